// The console blocks of the README and of docs/ (the pages in PAGES' order,
// which is the order the README once held them in) run for real, in order, in a fresh copy of the
// project (charts/ and examples/, with package.json, scripts/, test/ and
// node_modules/ linked so `npm run test-server` works as a newcomer runs it).
// A drifting README fails here. Markers, on the line before a fence:
//
//   <!-- readme-test -->         each `$ clara-wf ...` must print exactly what
//                                the block shows (stdout, then stderr), and
//                                `$ echo $?` the exit code shown.
//   <!-- readme-test: loose -->  any shell command (bash, the project's
//                                bin/clara-wf first on PATH); output compared
//                                after normalising what changes from run to run
//                                (times, pids, durations, random UUIDs and UIDs,
//                                tokens, test-server ports); a `...` line stands
//                                for any lines, `...` inside a line for any text.
//                                `# runs until Ctrl-C` after a command starts it
//                                in the background (the lines shown must appear);
//                                `export NAME=value` sets the environment of
//                                later commands; `pkill -9 -f <text>` kills this
//                                test's own background commands matching it.
//   <!-- readme-test: output --> more output of the last background command,
//                                waited for (30 s) and matched from where the
//                                previous match ended.
//   <!-- readme-test: file X --> the block is written to file X first.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, repoRoot, tempDir } from './helpers.js';

type Mode = 'exact' | 'loose' | 'output' | 'file';
interface Step {
  mode: Mode;
  page: string;
  line: number;
  command?: string;
  background?: boolean;
  expected: string[];
  file?: string;
}

/** The README, then each docs/ page, in the order their blocks build on each other. */
const PAGES = ['README.md', 'docs/commands.md', 'docs/local-runs.md', 'docs/dicom.md', 'docs/chart.md', 'docs/gateway.md', 'docs/cluster.md', 'docs/kubernetes.md', 'docs/monai.md', 'docs/overlays.md', 'docs/benchmarks.md', 'docs/development.md'];

function steps(readme: string, page = 'README.md'): Step[] {
  const lines = readme.split('\n');
  const out: Step[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^<!-- readme-test(?:: (loose|output|file (\S+)))? -->$/.exec(lines[i] as string);
    if (!m) continue;
    const mode: Mode = m[2] ? 'file' : ((m[1] as Mode | undefined) ?? 'exact');
    const start = i + 1;
    if (!/^```/.test(lines[start] ?? '')) throw new Error(`${page}:${i + 1}: readme-test marker not followed by a fence`);
    let end = start + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end] as string)) end++;
    const body = lines.slice(start + 1, end);
    if (mode === 'file') {
      out.push({ mode, page, line: start + 1, file: m[2], expected: body });
      continue;
    }
    if (mode === 'output') {
      out.push({ mode, page, line: start + 1, expected: body.filter((l) => l.trim() !== '') });
      continue;
    }
    for (let k = 0; k < body.length; k++) {
      const l = body[k] as string;
      if (!l.startsWith('$ ')) {
        if (mode === 'loose' && (l.trim() === '' || l.startsWith('# '))) continue;
        if (mode === 'exact' || k === 0) throw new Error(`${page}:${start + 2 + k}: output before any command`);
        continue;
      }
      const line = start + 2 + k;
      let command = l.slice(2);
      while (command.endsWith('\\')) command = command.slice(0, -1) + ' ' + (body[++k] as string).trim();
      const expected: string[] = [];
      while (k + 1 < body.length && !(body[k + 1] as string).startsWith('$ ')) {
        const next = body[++k] as string;
        // In loose blocks, blank lines and `# terminal 2: ...` remarks are prose.
        if (mode === 'loose' && (next.trim() === '' || next.startsWith('# '))) continue;
        expected.push(next);
      }
      const background = /#\s*runs until Ctrl-C\s*$/.test(command);
      command = command.replace(/\s+#.*$/, '').trim();
      out.push({ mode, page, line, command, background, expected });
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

/**
 * What changes from run to run, replaced by a placeholder on both sides.
 * UUIDs the project fixes (workflow IDs in values.yaml, the README's job IDs
 * like 1111…) stay literal and are compared.
 */
function normaliser(fixedUuids: Set<string>, dir: string) {
  return (s: string) =>
    s
      .split(dir)
      .join('<project>')
      .replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, '<timestamp>')
      .replace(/\b\d{2}:\d{2}:\d{2}\.\d{3}\b/g, '<time>')
      .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, (u) => (fixedUuids.has(u) || /^(\d)\1{7}-/.test(u) ? u : '<uuid>'))
      .replace(/^[0-9a-f]{8}(?= )/gm, '<id8>')
      .replace(/\bpid \d+/g, 'pid <n>')
      .replace(/\b\d+(\.\d+)? ?(s|ms)\b/g, '<n>$2')
      .replace(/token=[A-Za-z0-9_-]+/g, 'token=<token>')
      .replace(/\b2\.25\.\d+/g, '2.25.<uid>')
      .replace(/http(s?):\/\/127\.0\.0\.1:\d+/g, 'http$1://127.0.0.1:<port>');
}

/** Expected lines (with `...` wildcards) against actual lines; anchored at both ends unless `open`. */
function matchLines(expected: string[], actual: string[], open = false): number | undefined {
  const re = expected.map((e) => (e.trim() === '...' ? undefined : new RegExp('^' + e.split('...').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$')));
  const go = (i: number, j: number): number | undefined => {
    if (i === re.length) return open || j === actual.length ? j : undefined;
    const r = re[i];
    if (!r) {
      for (let k = j; k <= actual.length; k++) {
        const got = go(i + 1, k);
        if (got !== undefined) return got;
      }
      return undefined;
    }
    return j < actual.length && r.test(actual[j] as string) ? go(i + 1, j + 1) : undefined;
  };
  return go(0, 0);
}

interface Background {
  command: string;
  child: ChildProcess;
  output: string;
  consumed: number;
}
const running: Background[] = [];

afterAll(async () => {
  for (const b of running) if (b.child.exitCode === null) killGroup(b.child);
});

/** A background command and what it started (npm → sh → node): its own process group, killed whole. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('README console blocks', () => {
  it('run as written, with the output shown', async () => {
    const list = PAGES.flatMap((p) => steps(fs.readFileSync(path.join(repoRoot, p), 'utf8'), p));
    expect(list.filter((s) => s.command).length).toBeGreaterThanOrEqual(30);
    // The walk-through's fixed ports: a busy one would make the loop talk to a stranger.
    for (const port of [11112, 8000, 1004]) expect(await portFree(port), `port ${port} must be free for the README walk-through`).toBe(true);
    const dir = tempDir();
    fs.cpSync(path.join(repoRoot, 'charts'), path.join(dir, 'charts'), { recursive: true });
    fs.cpSync(path.join(repoRoot, 'examples'), path.join(dir, 'examples'), { recursive: true });
    for (const linked of ['package.json', 'scripts', 'test', 'node_modules', 'bin', 'dist']) fs.symlinkSync(path.join(repoRoot, linked), path.join(dir, linked));
    const values = fs.readFileSync(path.join(dir, 'charts/clara-workflow/values.yaml'), 'utf8');
    const norm = normaliser(new Set(values.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? []), dir);
    const env: Record<string, string> = { NO_COLOR: '1', PATH: `${path.join(repoRoot, 'bin')}:${process.env.PATH}` };
    const shellEnv = () => ({ ...process.env, ...env }) as NodeJS.ProcessEnv;
    const where = (s: Step) => `${s.page}:${s.line}: ${s.command ?? '(output block)'}`;
    const lines = (text: string) => norm(text.replace(/\s+$/, '')).split('\n').filter((l, i, a) => !(a.length === 1 && l === ''));
    let last = 0;

    const awaitOutput = async (b: Background, expected: string[], s: Step) => {
      const want = expected.map(norm);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const rest = b.output.slice(b.consumed);
        const complete = rest.slice(0, rest.lastIndexOf('\n') + 1);
        const got = complete === '' ? [] : norm(complete.replace(/\n$/, '')).split('\n');
        const n = want.length === 0 ? 0 : matchLines(want, got, true);
        if (n !== undefined) {
          // Advance past the matched lines.
          let off = 0;
          for (let k = 0; k < n; k++) off = complete.indexOf('\n', off) + 1;
          b.consumed += off;
          return;
        }
        if (Date.now() > deadline || b.child.exitCode !== null) {
          expect(got.join('\n'), `${where(s)}: output of "${b.command}" (waited 30 s)`).toBe(want.join('\n'));
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    for (const s of list) {
      if (s.mode === 'file') {
        fs.writeFileSync(path.join(dir, s.file as string), s.expected.join('\n') + '\n');
        continue;
      }
      if (s.mode === 'output') {
        const b = running.at(-1);
        if (!b) throw new Error(`${where(s)}: no background command runs`);
        await awaitOutput(b, s.expected, s);
        continue;
      }
      const command = s.command as string;
      const args = argv(command);
      if (args[0] === 'echo' && args[1] === '$?') {
        expect(String(last), where(s)).toBe(s.expected.join('\n').trim());
        continue;
      }
      if (s.mode === 'exact') {
        if (args[0] !== 'clara-wf') throw new Error(`${where(s)}: an exact readme-test block runs clara-wf commands only`);
        const r = await cli(args.slice(1), { cwd: dir, env: { ...env } });
        last = r.code;
        expect((r.stdout + r.stderr).replace(/\s+$/, ''), where(s)).toBe(s.expected.join('\n').replace(/\s+$/, ''));
        continue;
      }
      const exported = /^export (\w+)=(.*)$/.exec(command);
      if (exported) {
        env[exported[1] as string] = spawnSync('bash', ['-c', `printf %s ${exported[2]}`], { cwd: dir, env: shellEnv(), encoding: 'utf8' }).stdout;
        continue;
      }
      if (args[0] === 'pkill' && args[1] === '-9' && args[2] === '-f') {
        const victims = running.filter((b) => b.command.includes(args[3] as string) && b.child.exitCode === null);
        expect(victims.length, `${where(s)}: a background command to kill`).toBeGreaterThan(0);
        for (const b of victims) {
          killGroup(b.child);
          await new Promise((r) => b.child.once('close', r));
        }
        continue;
      }
      if (s.background) {
        const child = spawn('bash', ['-c', `exec ${command}`], { cwd: dir, env: shellEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        const b: Background = { command, child, output: '', consumed: 0 };
        child.stdout?.on('data', (d) => (b.output += d));
        child.stderr?.on('data', (d) => (b.output += d));
        running.push(b);
        if (s.expected.length) await awaitOutput(b, s.expected, s);
        else await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      // stderr joins stdout in order, as a terminal shows them.
      const r = spawnSync('bash', ['-c', `exec 2>&1\n${command}`], { cwd: dir, env: shellEnv(), encoding: 'utf8', timeout: 120_000 });
      last = r.status ?? 128;
      const got = lines(r.stdout ?? '');
      const want = s.expected.map(norm);
      if (matchLines(want, got) === undefined) expect(got.join('\n'), where(s)).toBe(want.join('\n'));
    }
  }, 240_000);
});

describe('the README and docs/', () => {
  it('the README is a front page (at most 300 lines); PAGES lists every docs/ page', () => {
    expect(fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(300);
    const docs = fs.readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`).sort();
    expect([...PAGES].filter((p) => p !== 'README.md').sort()).toEqual(docs);
  });

  it('every relative link names a file that exists, and an anchor that page has', () => {
    // GitHub's heading anchors: lowercased, punctuation but - and _ dropped, spaces as -.
    const slug = (h: string) => h.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, '').replace(/ /g, '-');
    const anchorsOf = (file: string) => {
      const out = new Set<string>();
      let fence = false;
      for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
        if (l.startsWith('```')) fence = !fence;
        const m = /^#{1,6} (.*)$/.exec(l);
        if (m && !fence) out.add(slug(m[1] as string));
      }
      return out;
    };
    const broken: string[] = [];
    for (const page of PAGES) {
      const text = fs.readFileSync(path.join(repoRoot, page), 'utf8');
      for (const m of text.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
        const target = m[1] as string;
        if (/^[a-z]+:/.test(target)) continue;
        const [file, anchor] = target.split('#') as [string, string | undefined];
        const abs = file ? path.resolve(path.dirname(path.join(repoRoot, page)), file) : path.join(repoRoot, page);
        if (!fs.existsSync(abs)) broken.push(`${page}: ${target} (no such file)`);
        else if (anchor && abs.endsWith('.md') && !anchorsOf(abs).has(anchor)) broken.push(`${page}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('the README matcher', () => {
  const norm = normaliser(new Set(['5f1c8d2e-3b4a-4c6d-9e8f-0a1b2c3d4e5f']), '/tmp/x');
  it('normalises what changes from run to run, and nothing the project fixes', () => {
    expect(norm('01:59:02.676 job c81fd8f5-7eef-4fcc-a958-71b37d6fa038 (pid 42) done after 0.2s')).toBe('<time> job <uuid> (pid <n>) done after <n>s');
    expect(norm('workflow 5f1c8d2e-3b4a-4c6d-9e8f-0a1b2c3d4e5f job 11111111-1111-1111-1111-111111111111')).toBe('workflow 5f1c8d2e-3b4a-4c6d-9e8f-0a1b2c3d4e5f job 11111111-1111-1111-1111-111111111111');
  });
  it('fails on a changed line, accepts `...` for lines and text', () => {
    expect(matchLines(['a', '...', 'd'], ['a', 'b', 'c', 'd'])).toBe(4);
    expect(matchLines(['a', 'x...z'], ['a', 'xyz'])).toBe(2);
    expect(matchLines(['a', 'c'], ['a', 'b'])).toBeUndefined();
    expect(matchLines(['a'], ['a', 'b'])).toBeUndefined();
    expect(matchLines(['a'], ['a', 'b'], true)).toBe(1);
  });
});
