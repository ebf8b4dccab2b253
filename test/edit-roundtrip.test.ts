// Every edit command changes only the lines it owns: all other bytes
// (comments, blank lines, quoting, key order, CRLF) stay identical.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkValues } from '../src/core/validate-values.js';
import { changedRegion, cli, fixture, tempDir } from './helpers.js';

const names = fs.readdirSync(fixture('roundtrip')).filter((f) => f.endsWith('.yaml')).sort();
const variants = names.flatMap((n) => [
  { name: n, eol: 'LF' as const },
  { name: n, eol: 'CRLF' as const },
]);

function setup(name: string, eol: 'LF' | 'CRLF') {
  let text = fs.readFileSync(fixture('roundtrip', name), 'utf8');
  if (eol === 'CRLF') text = text.replace(/\n/g, '\r\n');
  const dir = tempDir({ 'values.yaml': text });
  const file = path.join(dir, 'values.yaml');
  const read = () => fs.readFileSync(file, 'utf8');
  const run = async (...args: string[]) => {
    const r = await cli(['--values-file', file, ...args]);
    expect(r.stderr + r.stdout).not.toMatch(/internal error/);
    expect(r.code, r.stderr).toBe(0);
    return r;
  };
  return { text, file, read, run };
}

const strip = (l: string) => l.replace(/\r$/, '');
const nonBlank = (ls: string[]) => ls.map(strip).filter((l) => l.trim() !== '');

function expectEolKept(text: string, eol: 'LF' | 'CRLF') {
  if (eol === 'CRLF') expect(text.replace(/\r\n/g, '')).not.toContain('\n');
  else expect(text).not.toContain('\r');
}

describe.each(variants)('$name ($eol)', ({ name, eol }) => {
  it('cs <new> inserts one block and nothing else; again is a no-op', async () => {
    const t = setup(name, eol);
    await t.run('cs', 'qa-stage', '--tag', '1.0.0');
    const after = t.read();
    const r = changedRegion(t.text, after);
    // Only an empty flow mapping ("stages: {}") is rewritten to make room.
    expect(r.removed.map(strip).every((l) => /^stages:\s*\{\s*\}/.test(l))).toBe(true);
    const added = nonBlank(r.added).filter((l) => !/^stages:/.test(l));
    expect(added[0]?.trim()).toBe('##BEGIN_qa-stage##');
    expect(added[added.length - 1]?.trim()).toBe('##END_qa-stage##');
    expect(added.filter((l) => l.includes('##')).length).toBe(2);
    expectEolKept(after, eol);
    const check = checkValues(after, 'v');
    expect(check.ok).toBe(true);
    expect((check.values as any).stages['qa-stage'].image).toEqual({ repository: 'qa-stage', tag: '1.0.0' });

    await t.run('cs', 'qa-stage', '--tag', '1.0.0');
    expect(t.read()).toBe(after);
  });

  it('cs <existing> --tag regenerates only that block and keeps other fields', async () => {
    const t = setup(name, eol);
    const before = checkValues(t.text, 'v');
    const fence = before.fences[0];
    if (!fence) return; // files with no stage yet
    const stageBefore = (before.values as any).stages[fence.name];
    await t.run('cs', fence.name, '--tag', '9.9.9');
    const after = t.read();
    const r = changedRegion(t.text, after);
    expect(r.from).toBeGreaterThanOrEqual(fence.begin);
    expect(r.from + r.removed.length - 1).toBeLessThanOrEqual(fence.end);
    expectEolKept(after, eol);
    const stageAfter = (checkValues(after, 'v').values as any).stages[fence.name];
    expect(stageAfter).toEqual({ ...stageBefore, image: { ...stageBefore.image, tag: '9.9.9' } });
  });

  it('stage remove <unused> removes exactly its fenced lines', async () => {
    const t = setup(name, eol);
    const before = checkValues(t.text, 'v');
    const fence = before.fences.find((f) => f.name === 'spare');
    if (!fence) return;
    await t.run('stage', 'remove', 'spare');
    const r = changedRegion(t.text, t.read());
    expect(r.added).toEqual([]);
    expect(r.removed).toEqual(t.text.split('\n').slice(fence.begin, fence.end + 1));
  });

  it('workflow create appends one entry; workflow remove takes exactly it away', async () => {
    const t = setup(name, eol);
    await t.run('cs', 'qa-stage', '--tag', '1.0.0');
    const withStage = t.read();
    const id = 'cccccccc-0000-4000-8000-000000000001';
    await t.run('workflow', 'create', '--name', 'qa-wf', '--stages', 'qa-stage', '--id', id, '--arg', 'qa-stage=-x');
    const created = t.read();
    const r = changedRegion(withStage, created);
    expect(r.removed.map(strip).every((l) => /^workflows:\s*\{\s*\}/.test(l))).toBe(true);
    const added = nonBlank(r.added).filter((l) => !/^workflows:/.test(l));
    expect(added[0]?.trim()).toBe(`${id}:`);
    expect(added).toHaveLength(6);
    expectEolKept(created, eol);
    const wf = (checkValues(created, 'v').values as any).workflows[id];
    expect(wf).toEqual({ name: 'qa-wf', stages: ['qa-stage'], waitLocks: [''], ioFolders: ['qa-stage/input', 'qa-stage/output'], args: [['-x']] });

    await t.run('workflow', 'remove', 'qa-wf');
    const removed = t.read();
    const back = changedRegion(created, removed);
    expect(back.added).toEqual([]);
    expect(nonBlank(back.removed)).toEqual(added);
  });

  it('workflow remove of an existing entry removes its lines only', async () => {
    const t = setup(name, eol);
    const check = checkValues(t.text, 'v');
    const ids = Object.keys((check.values as any).workflows ?? {});
    if (!ids.length) return;
    await t.run('workflow', 'remove', ids[0] as string);
    const r = changedRegion(t.text, t.read());
    expect(r.added).toEqual([]);
    expect(strip(r.removed[0] as string).trim()).toBe(`${ids[0]}:`);
    // What is removed is the entry: its key line and deeper-indented lines (and blank lines between them).
    const keyIndent = /^ */.exec(r.removed[0] as string)?.[0].length ?? 0;
    for (const l of r.removed.slice(1)) if (strip(l).trim()) expect(/^ */.exec(l)?.[0].length).toBeGreaterThan(keyIndent);
  });
});

describe('edits that must not happen', () => {
  it('a failing edit leaves the file untouched (unknown stage in workflow)', async () => {
    const t = setup('comments-everywhere.yaml', 'LF');
    const r = await cli(['--values-file', t.file, 'workflow', 'create', '--name', 'x', '--stages', 'reader,nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope not defined/);
    expect(t.read()).toBe(t.text);
  });

  it('an edit of a file with errors is refused and writes nothing', async () => {
    const t = setup('comments-everywhere.yaml', 'LF');
    const broken = t.text.replace('timeout: "600"', 'timeout: "10m"');
    fs.writeFileSync(t.file, broken);
    const r = await cli(['--values-file', t.file, 'cs', 'another']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TIMEOUT_INVALID/);
    expect(r.stderr).toMatch(/Nothing was written/);
    expect(fs.readFileSync(t.file, 'utf8')).toBe(broken);
  });

  it('stage remove refuses a stage in use, and --force removes its workflows too', async () => {
    const t = setup('comments-everywhere.yaml', 'LF');
    const r = await cli(['--values-file', t.file, 'stage', 'remove', 'seg']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/used by workflow main/);
    expect(t.read()).toBe(t.text);
    const f = await cli(['--values-file', t.file, 'stage', 'remove', 'seg', '--force']);
    expect(f.code).toBe(0);
    expect(f.stdout).toMatch(/workflow main .* removed/);
    const v = checkValues(t.read(), 'v');
    expect(v.ok).toBe(true);
    expect(Object.keys((v.values as any).stages)).toEqual(['reader', 'spare']);
    expect(Object.values((v.values as any).workflows).map((w: any) => w.name)).toEqual(['reader-only']);
  });

  it('refuses a workflow ID or name already in use', async () => {
    const t = setup('comments-everywhere.yaml', 'LF');
    const a = await cli(['--values-file', t.file, 'workflow', 'create', '--name', 'new', '--stages', 'reader', '--id', '11111111-2222-4333-8444-555555555555']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/already used by workflow "main"/);
    const b = await cli(['--values-file', t.file, 'workflow', 'create', '--name', 'main', '--stages', 'reader']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/named "main" exists already/);
    expect(t.read()).toBe(t.text);
  });

  it('will not rewrite a stage that has no markers', async () => {
    const t = setup('comments-everywhere.yaml', 'LF');
    const unfenced = t.text.replace('  ##BEGIN_reader##\n', '').replace('  ##END_reader##\n', '');
    fs.writeFileSync(t.file, unfenced);
    const r = await cli(['--values-file', t.file, 'cs', 'reader', '--tag', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/without ##BEGIN_reader## \/ ##END_reader## markers/);
    expect(t.read()).toBe(unfenced);
  });
});

describe('regeneration follows changed bases but keeps overrides', () => {
  it('--app-dir moves derived paths; a hand-set logName stays', async () => {
    const t = setup('comments-everywhere.yaml', 'LF');
    fs.writeFileSync(t.file, t.text.replace('logName: "/app/logs/seg.log"', 'logName: "/var/log/seg.log"'));
    await t.run('cs', 'seg', '--app-dir', '/opt/seg');
    const s = (checkValues(t.read(), 'v').values as any).stages.seg;
    expect(s.appDir).toBe('/opt/seg');
    expect(s.lockDir).toBe('/opt/seg/locks');
    expect(s.inputLock).toBe('/opt/seg/locks/input.lock');
    expect(s.logName).toBe('/var/log/seg.log');
    expect(s.timeout).toBe('600');
    expect(s.image).toEqual({ repository: 'team/seg', tag: '2.1' });
  });

  it('the seed\'s cs user-ai block, byte for byte', async () => {
    const t = setup('empty-stages.yaml', 'LF');
    await t.run('cs', 'user-ai');
    expect(t.read()).toBe(`stages:
  ##BEGIN_user-ai##
  user-ai:
    image:
      repository: user-ai
      tag: latest
    mount:
      in:
        name: "input"
      out:
        name: "output"
    stageName: "user-ai"
    appDir: "/app"
    inputLock: "/app/locks/input.lock"
    inputs: "input"
    logName: "/app/logs/user-ai.log"
    outputs: "output"
    lockDir: "/app/locks"
    lockName: "user-ai.lock"
    timeout: "300"
    publishPath: "/publish"
  ##END_user-ai##
workflows: {}
`);
  });

  it('quotes tags Helm would misread', async () => {
    const t = setup('empty-stages.yaml', 'LF');
    await t.run('cs', 'x', '--tag', '1.10');
    await t.run('cs', 'y', '--image', 'registry:5000/team/y:no', '--env', 'MODE=fast', '--cpu', '500m', '--memory', '2Gi', '--gpu', '1', '--command', 'python', '--command', 'run.py', '--local-command', 'node', '--local-command', 'examples/y.mjs');
    const text = t.read();
    expect(text).toContain('tag: "1.10"');
    expect(text).toContain('tag: "no"');
    // A stage named "y" is the boolean true to YAML 1.1 unless quoted.
    expect(text).toContain('  "y":');
    const v = checkValues(text, 'v');
    expect(v.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect((v.values as any).stages.y).toMatchObject({
      image: { repository: 'registry:5000/team/y', tag: 'no' },
      env: { MODE: 'fast' },
      resources: { cpu: '500m', memory: '2Gi', gpu: 1 },
      command: ['python', 'run.py'],
      local: { command: ['node', 'examples/y.mjs'] },
    });
  });
});
