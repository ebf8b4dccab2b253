// The README's console blocks that run offline, run for real: every block
// marked with an HTML comment `<!-- readme-test -->` on the line before its
// fence is executed in order, in a fresh copy of the project (charts/ and
// examples/), and each `$ clara-wf ...` command must print what the README
// shows (stdout, then stderr) and `$ echo $?` the exit code shown. A drifting
// README fails here. `<!-- readme-test: file <path> -->` followed by a fenced
// block writes that file first (for the overlay examples).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, repoRoot, tempDir } from './helpers.js';

interface Step {
  kind: 'run' | 'file';
  line: number;
  command?: string;
  expected?: string;
  file?: string;
  content?: string;
}

function steps(readme: string): Step[] {
  const lines = readme.split('\n');
  const out: Step[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^<!-- readme-test(?:: file (\S+))? -->$/.exec(lines[i] as string);
    if (!m) continue;
    const start = i + 1;
    if (!/^```/.test(lines[start] ?? '')) throw new Error(`README.md:${i + 1}: readme-test marker not followed by a fence`);
    let end = start + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end] as string)) end++;
    const body = lines.slice(start + 1, end);
    if (m[1]) {
      out.push({ kind: 'file', line: start + 1, file: m[1], content: body.join('\n') + '\n' });
      continue;
    }
    for (let k = 0; k < body.length; k++) {
      const l = body[k] as string;
      if (!l.startsWith('$ ')) continue;
      let command = l.slice(2);
      while (command.endsWith('\\')) command = command.slice(0, -1) + ' ' + (body[++k] as string).trim();
      const expected: string[] = [];
      while (k + 1 < body.length && !(body[k + 1] as string).startsWith('$ ')) expected.push(body[++k] as string);
      out.push({ kind: 'run', line: start + 1 + k, command: command.replace(/\s+#.*$/, '').trim(), expected: expected.join('\n') });
    }
  }
  return out;
}

/** Split a command line as a shell would for these simple commands (quotes, no expansion). */
function argv(command: string): string[] {
  const out: string[] = [];
  for (const m of command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? (m[3] as string));
  return out;
}

describe('README console blocks', () => {
  it('run as written, with the output shown', async () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const list = steps(readme);
    expect(list.filter((s) => s.kind === 'run').length).toBeGreaterThanOrEqual(10);
    const dir = tempDir();
    fs.cpSync(path.join(repoRoot, 'charts'), path.join(dir, 'charts'), { recursive: true });
    fs.cpSync(path.join(repoRoot, 'examples'), path.join(dir, 'examples'), { recursive: true });
    let last = 0;
    for (const s of list) {
      if (s.kind === 'file') {
        fs.writeFileSync(path.join(dir, s.file as string), s.content as string);
        continue;
      }
      const args = argv(s.command as string);
      if (args[0] === 'echo' && args[1] === '$?') {
        expect(String(last), `README.md:${s.line}: ${s.command}`).toBe((s.expected as string).trim());
        continue;
      }
      if (args[0] !== 'clara-wf') throw new Error(`README.md:${s.line}: a readme-test block runs clara-wf commands only, not "${s.command}"`);
      const r = await cli(args.slice(1), { cwd: dir, env: { NO_COLOR: '1' } });
      last = r.code;
      const got = (r.stdout + r.stderr).replace(/\s+$/, '');
      expect(got, `README.md:${s.line}: ${s.command}`).toBe((s.expected as string).replace(/\s+$/, ''));
    }
  });
});
