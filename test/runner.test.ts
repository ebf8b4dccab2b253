// The local runner with real processes.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkValues } from '../src/core/validate-values.js';
import { cli, fixture, runCli, spawnCli, tempDir } from './helpers.js';

const stageBlock = (name: string, timeout = '30') => `  ##BEGIN_${name}##
  ${name}:
    image:
      repository: test/${name}
      tag: "1"
    mount:
      in:
        name: "input"
      out:
        name: "output"
    stageName: "${name}"
    appDir: "/app"
    inputLock: "/app/locks/input.lock"
    inputs: "input"
    logName: "/app/logs/${name}.log"
    outputs: "output"
    lockDir: "/app/locks"
    lockName: "${name}.lock"
    timeout: "${timeout}"
    publishPath: "/publish"
    local:
      command: ["node", "stage.mjs"]
  ##END_${name}##
`;

/** A project with values.yaml (stages s1..sN in a chain with the given behaviours) and input data. */
function project(behaviours: string[][], opts: { timeouts?: string[]; job?: string } = {}) {
  const names = behaviours.map((_, i) => `s${i + 1}`);
  const id = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
  const values =
    'stages:\n' +
    names.map((n, i) => stageBlock(n, opts.timeouts?.[i])).join('') +
    `workflows:\n  ${id}:\n    name: "chain"\n    stages: ${JSON.stringify(names)}\n    waitLocks: ${JSON.stringify(names.map((_, i) => (i ? `${names[i - 1]}.lock` : '')))}\n    ioFolders: ${JSON.stringify([`${names[0]}/input`, ...names.map((n) => `${n}/output`)])}\n    args: ${JSON.stringify(behaviours)}\n`;
  const dir = tempDir({ 'chart/values.yaml': values, 'chart/stage.mjs': fs.readFileSync(fixture('runner', 'stage.mjs'), 'utf8') });
  const job = opts.job ?? '11111111-1111-1111-1111-111111111111';
  const data = path.join(dir, 'data');
  fs.mkdirSync(path.join(data, job, 's1', 'input'), { recursive: true });
  fs.writeFileSync(path.join(data, job, 's1', 'input', 'image.dcm'), 'pixels');
  const args = (...extra: string[]) => ['--values-file', path.join(dir, 'chart', 'values.yaml'), 'test', 'chain', job, ...extra, '--runtime', 'process', '--data', data];
  return { dir, data, job, names, jobDir: path.join(data, job), args };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const pidsOf = (jobDir: string, stage: string) =>
  fs.readFileSync(path.join(jobDir, 'publish', stage, 'pids'), 'utf8').trim().split('\n').map(Number);
const startedAt = (jobDir: string, stage: string) => Number(fs.readFileSync(path.join(jobDir, 'publish', stage, 'started'), 'utf8').split('\n')[0]);
const finishedAt = (jobDir: string, stage: string) => Number(fs.readFileSync(path.join(jobDir, 'publish', stage, 'finished'), 'utf8').split('\n')[0]);

describe('process runtime', () => {
  it('a three-stage chain: outputs, locks, logs, order', async () => {
    const p = project([['copy'], ['copy'], ['copy']]);
    const r = await runCli([...p.args(), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ workflow: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', job: p.job, ok: true });
    expect(summary.stages.map((s: any) => s.status)).toEqual(['done', 'done', 'done']);
    expect(fs.readFileSync(path.join(p.jobDir, 's3', 'output', 'trail.txt'), 'utf8')).toBe('s1\ns2\ns3\n');
    expect(fs.readFileSync(path.join(p.jobDir, 's3', 'output', 'image.dcm'), 'utf8')).toBe('pixels');
    expect(fs.readdirSync(path.join(p.jobDir, 'locks')).sort()).toEqual(['s1.lock', 's2.lock', 's3.lock']);
    const log = fs.readFileSync(path.join(p.jobDir, 'logs', 's2.log'), 'utf8');
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \[stdout\] copied for s2 \(job 11111111-1111-1111-1111-111111111111\)$/m);
    expect(log).toMatch(/^\S+ \[stderr\] a line on stderr$/m);
    for (let i = 1; i < 3; i++) expect(startedAt(p.jobDir, `s${i + 1}`)).toBeGreaterThanOrEqual(finishedAt(p.jobDir, `s${i}`));
  });

  it('a seven-stage chain', async () => {
    const p = project(Array.from({ length: 7 }, () => ['copy']));
    const r = await runCli(p.args());
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(p.jobDir, 's7', 'output', 'trail.txt'), 'utf8')).toBe(p.names.join('\n') + '\n');
    expect(fs.readdirSync(path.join(p.jobDir, 'locks'))).toHaveLength(7);
    // Non-TTY progress: one line per event.
    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d\.\d{3} s7 done after/m);
  });

  it('a failing middle stage: no lock, later stages never start, the run names the stage and its log', async () => {
    const p = project([['copy'], ['fail'], ['copy']]);
    const r = await runCli(p.args());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stage s2 failed \(exit code 3\); log: .*logs\/s2\.log/);
    expect(r.stderr).toMatch(/\| .* \[stderr\] s2: something went wrong/);
    expect(fs.existsSync(path.join(p.jobDir, 'locks', 's2.lock'))).toBe(false);
    expect(fs.existsSync(path.join(p.jobDir, 'publish', 's3', 'started'))).toBe(false);
    const j = await runCli([...p.args('--force'), '--json']);
    expect(JSON.parse(j.stdout).stages.map((s: any) => s.status)).toEqual(['done', 'failed', 'skipped']);
  });

  it('a hanging stage is killed at its timeout with its children; the run ends within timeout + grace', async () => {
    const p = project([['copy'], ['hang', 'noterm'], ['copy']], { timeouts: ['30', '2', '30'] });
    const t0 = Date.now();
    const r = await runCli([...p.args('--grace', '1'), '--json']);
    const took = Date.now() - t0;
    expect(r.code).toBe(1);
    expect(took).toBeLessThan(2000 + 1000 + 2500);
    expect(took).toBeGreaterThanOrEqual(2000);
    const s = JSON.parse(r.stdout).stages;
    expect(s[1]).toMatchObject({ status: 'timeout', reason: 'timed out after 2 s' });
    expect(s[2].status).toBe('skipped');
    for (const pid of pidsOf(p.jobDir, 's2')) expect(alive(pid)).toBe(false);
  });

  it('a process that left the stage\'s process group (setsid) is still stopped when the stage ends', async () => {
    const p = project([['escape'], ['copy']]);
    const r = await runCli(p.args());
    expect(r.code, r.stderr).toBe(0);
    const [escaped] = pidsOf(p.jobDir, 's1');
    // Gone, or a zombie waiting for init to reap it: in neither case running.
    const running = () => {
      try {
        return !/\) Z /.test(fs.readFileSync(`/proc/${escaped}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    expect(running()).toBe(false);
  });

  it('the whole-run timeout stops the run', async () => {
    const p = project([['hang']]);
    const r = await runCli([...p.args('--grace', '1').slice(0, -4), '2', ...p.args('--grace', '1').slice(-4), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, aborted: 'the run timed out after 2 s', stages: [{ status: 'timeout' }] });
  });

  it('Ctrl-C (SIGINT to clara-wf) leaves no child alive', async () => {
    const p = project([['hang', 'noterm']]);
    const child = spawnCli(p.args('--grace', '1'));
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const pidsFile = path.join(p.jobDir, 'publish', 's1', 'pids');
    const t0 = Date.now();
    while (!fs.existsSync(pidsFile) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    const pids = pidsOf(p.jobDir, 's1');
    expect(pids.every(alive)).toBe(true);
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('re-running a job without --force refuses and changes nothing', async () => {
    const p = project([['copy'], ['copy']]);
    expect((await runCli(p.args())).code).toBe(0);
    const snapshot = () => fs.readdirSync(p.jobDir, { recursive: true }).sort().map((f) => [f, fs.statSync(path.join(p.jobDir, String(f))).mtimeMs]);
    const before = snapshot();
    const r = await runCli(p.args());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds results of an earlier run .*pass --force/);
    expect(snapshot()).toEqual(before);
    const f = await runCli(p.args('--force'));
    expect(f.code, f.stderr).toBe(0);
  });

  it('usage errors before anything starts: unknown workflow, no input, no local.command', async () => {
    const p = project([['copy']]);
    const values = path.join(p.dir, 'chart', 'values.yaml');
    expect((await cli(['--values-file', values, 'test', 'nope', '--runtime', 'process', '--data', p.data])).code).toBe(2);
    const noInput = await cli(['--values-file', values, 'test', 'chain', '22222222-2222-2222-2222-222222222222', '--runtime', 'process', '--data', p.data]);
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toMatch(/put the workflow's input data in .*22222222-2222-2222-2222-222222222222\/s1\/input/);
    fs.writeFileSync(values, fs.readFileSync(values, 'utf8').replace('    local:\n      command: ["node", "stage.mjs"]\n', ''));
    const noCmd = await cli(['--values-file', values, 'test', 'chain', p.job, '--runtime', 'process', '--data', p.data]);
    expect(noCmd.code).toBe(2);
    expect(noCmd.stderr).toMatch(/stage s1 has no local.command/);
    expect(fs.existsSync(path.join(p.jobDir, 'locks'))).toBe(false);
  });
});

describe('a DAG workflow (pipeline inputs): each stage reads what it names, independent branches run at once', () => {
  it('a stage reading an earlier stage that is not the previous one gets that stage\'s output; the payload reaches a later stage', async () => {
    const p = project([['dag'], ['dag'], ['dag'], ['dag']]);
    const file = path.join(p.dir, 'chart', 'values.yaml');
    // s1 → s2, s1 → s3 (not s2!), s2 + s3 + the payload → s4.
    const text = fs.readFileSync(file, 'utf8').replace(/    waitLocks: .*\n/, '    waitLocks: ["", "s1.lock", "s1.lock", "s3.lock"]\n') + '    inputs: ["", "", [{from: "s1", path: "/app/input"}], [{from: "s2", path: "/app/input"}, {from: "s3", path: "/app/s3"}, {path: "/app/payload"}]]\n';
    fs.writeFileSync(file, text);
    expect(checkValues(text, 'values.yaml').diagnostics).toEqual([]);
    const r = await runCli(p.args());
    expect(r.code, r.stderr).toBe(0);
    const trail = (stage: string) => fs.readFileSync(path.join(p.jobDir, stage, 'output', 'trail.txt'), 'utf8');
    expect(trail('s2')).toBe('s1\ns2\n');
    expect(trail('s3')).toBe('s1\ns3\n');
    expect(trail('s4')).toBe('s1\ns2\ns4\n');
    const given = JSON.parse(fs.readFileSync(path.join(p.jobDir, 's4', 'output', 's4-inputs.json'), 'utf8'));
    expect(given.CLARA_INPUT_S3).toContain('s3-inputs.json');
    expect(given.CLARA_INPUT_PAYLOAD).toEqual(['image.dcm']);
    // s2 and s3 both waited only on s1: they overlapped.
    const span = (stage: string) => fs.readFileSync(path.join(p.jobDir, 'publish', stage, 'started'), 'utf8').split('\n')[0];
    const end = (stage: string) => fs.readFileSync(path.join(p.jobDir, 'publish', stage, 'finished'), 'utf8').split('\n')[0];
    expect(Number(span('s3'))).toBeLessThan(Number(end('s2')) + 1000);
  });

  it('a further named output (extraOutputs) is its own folder, read by name by a later stage', async () => {
    const p = project([['dag'], ['dag'], ['dag']]);
    const file = path.join(p.dir, 'chart', 'values.yaml');
    let text = fs.readFileSync(file, 'utf8').replace('    outputs: "output"\n', '    outputs: "output"\n    extraOutputs:\n      - name: "meta"\n        path: "/app/meta"\n');
    // s3 reads s2's output and s1's "meta" output.
    text = text.replace(/    waitLocks: .*\n/, '    waitLocks: ["", "s1.lock", "s2.lock"]\n') + '    inputs: ["", "", [{from: "s2", path: "/app/input"}, {from: "s1", name: "meta", path: "/app/meta-in"}]]\n';
    fs.writeFileSync(file, text);
    expect(checkValues(text, 'values.yaml').diagnostics).toEqual([]);
    const r = await runCli(p.args());
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(path.join(p.jobDir, 's1', 'output-meta'))).toEqual(['s1-CLARA_OUTPUT_META.txt']);
    expect(fs.readdirSync(path.join(p.jobDir, 's1', 'output')).sort()).toEqual(['image.dcm', 's1-inputs.json', 'trail.txt']);
    const given = JSON.parse(fs.readFileSync(path.join(p.jobDir, 's3', 'output', 's3-inputs.json'), 'utf8'));
    expect(given.CLARA_INPUT_S1).toEqual(['s1-CLARA_OUTPUT_META.txt']);
  });
});
