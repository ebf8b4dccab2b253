// Generates a values.yaml with N stages and N workflows in exactly the form
// `clara-wf cs` and `clara-wf workflow create` write (fenced blocks, flow lists).
export function generateValues(n) {
  const out = ['# generated for benchmarks', 'stages:'];
  for (let i = 0; i < n; i++) {
    const s = `stage-${i}`;
    out.push(
      `  ##BEGIN_${s}##`,
      `  ${s}:`,
      `    image:`,
      `      repository: bench/${s}`,
      `      tag: 1.0.${i}`,
      `    mount:`,
      `      in:`,
      `        name: "input"`,
      `      out:`,
      `        name: "output"`,
      `    stageName: "${s}"`,
      `    appDir: "/app"`,
      `    inputLock: "/app/locks/input.lock"`,
      `    inputs: "input"`,
      `    logName: "/app/logs/${s}.log"`,
      `    outputs: "output"`,
      `    lockDir: "/app/locks"`,
      `    lockName: "${s}.lock"`,
      `    timeout: "300"`,
      `    publishPath: "/publish"`,
      `  ##END_${s}##`,
    );
  }
  out.push('workflows:');
  for (let i = 0; i < n; i++) {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const a = `stage-${i}`;
    const b = `stage-${(i + 1) % n}`;
    const c = `stage-${(i + 2) % n}`;
    out.push(
      `  ${id}:`,
      `    name: "workflow-${i}"`,
      `    stages: ["${a}", "${b}", "${c}"]`,
      `    waitLocks: ["", "${a}.lock", "${b}.lock"]`,
      `    ioFolders: ["${a}/input", "${a}/output", "${b}/output", "${c}/output"]`,
      `    args: ["", ["-p", "foo"], ""]`,
    );
  }
  return out.join('\n') + '\n';
}
