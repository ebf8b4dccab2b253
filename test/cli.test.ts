// The CLI driven in-process: exit codes, output shapes, no stack traces for user mistakes.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartCopy as fullChartCopy, cli, lineOf, referenceValues, repoRoot, tempDir } from './helpers.js';

const chartCopy = () => {
  const dir = tempDir({
    'charts/clara-workflow/values.yaml': referenceValues,
    'charts/clara-workflow/values.schema.json': fs.readFileSync(path.join(repoRoot, 'charts/clara-workflow/values.schema.json'), 'utf8'),
    'charts/clara-workflow/files/dicom-server-config.yaml': fs.readFileSync(path.join(repoRoot, 'charts/clara-workflow/files/dicom-server-config.yaml'), 'utf8'),
  });
  return dir;
};

describe('exit codes', () => {
  it('--help is 0 and lists every command', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['cs', 'stage', 'workflow', 'validate', 'schema', 'graph']) expect(r.stdout).toContain(c);
    expect(r.stdout).toMatch(/Exit codes: 0 ok, 1 validation failed, 2 usage/);
  });
  it('a subcommand\'s usage error points at that subcommand\'s help', async () => {
    const r = await cli(['workflow', 'create', '--stages', 'a']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('(run clara-wf workflow create --help for usage)');
    expect((await cli(['dicom', 'ae', 'add'])).stderr).toContain('(run clara-wf dicom ae add --help for usage)');
    expect((await cli(['frobnicate'])).stderr).toContain('(run clara-wf --help for usage)');
  });
  it('without --chart, the chart is found from a subfolder, as from the project folder', async () => {
    const dir = tempDir({ 'project/charts/clara-workflow/Chart.yaml': 'apiVersion: v2\nname: clara-workflow\nversion: 0.1.0\n', 'project/charts/clara-workflow/values.yaml': referenceValues, 'project/docs/deep/x.txt': '' });
    for (const cwd of ['project', 'project/docs/deep', 'project/charts/clara-workflow']) {
      const r = await cli(['workflow', 'list', '--json'], { cwd: path.join(dir, cwd) });
      expect(r.code, `${cwd}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout).length).toBeGreaterThanOrEqual(3);
    }
  });
  it('--values is helm\'s overlay (after the command); --values-file replaces values.yaml; the old global form says what changed', async () => {
    const dir = chartCopy();
    fs.writeFileSync(path.join(dir, 'extra.yaml'), 'stages:\n  user-ai:\n    imgae: {}\n');
    const overlay = await cli(['validate', '--values', 'extra.yaml', '--json'], { cwd: dir });
    expect(overlay.code).toBe(1);
    expect(JSON.parse(overlay.stdout).diagnostics[0]).toMatchObject({ file: 'extra.yaml', line: 3, code: 'UNKNOWN_KEY' });
    const legacy = await cli(['--values', 'extra.yaml', 'validate'], { cwd: dir });
    expect(legacy.code).toBe(2);
    expect(legacy.stderr).toContain('use --values-file <file>');
    fs.writeFileSync(path.join(dir, 'copy.yaml'), referenceValues);
    expect((await cli(['--values-file', 'copy.yaml', 'cs', 'only-in-copy'], { cwd: dir })).code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'copy.yaml'), 'utf8')).toContain('##BEGIN_only-in-copy##');
    expect(fs.readFileSync(path.join(dir, 'charts/clara-workflow/values.yaml'), 'utf8')).toBe(referenceValues);
  });
  it('render --values-file: helm reads the chart values.yaml under it, and so does the check', async () => {
    const { dir } = fullChartCopy();
    // A full values file without liver-seg: helm still renders liver-seg (it
    // reads the chart's values.yaml first), so --workflow finds it too.
    const withoutLiver = referenceValues.replace(/^  fd3ee8bf-b9f3-4808-bd60-243f870ff9bd:\n(?:    .*\n)+/m, '');
    expect(withoutLiver).not.toContain('liver-seg');
    fs.writeFileSync(path.join(dir, 'copy.yaml'), withoutLiver);
    const r = await cli(['--values-file', 'copy.yaml', 'render', '--workflow', 'fd3ee8bf-b9f3-4808-bd60-243f870ff9bd', '--job', '33333333-3333-3333-3333-333333333333'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ai-livertumor');
    // A value the merge makes invalid is reported at copy.yaml's line.
    fs.writeFileSync(path.join(dir, 'bad.yaml'), withoutLiver + 'job:\n  workflw: x\n');
    const bad = await cli(['--values-file', 'bad.yaml', 'render', '--json'], { cwd: dir });
    expect(bad.code).toBe(1);
  });
  it('an unknown command or option is 2', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['validate', '--nope'])).code).toBe(2);
  });
  it('validate: 0 valid, 1 invalid, 2 unparsable, 2 unreadable', async () => {
    const dir = chartCopy();
    expect((await cli(['validate'], { cwd: dir })).code).toBe(0);
    const f = path.join(dir, 'bad.yaml');
    fs.writeFileSync(f, referenceValues.replace('timeout: "300"', 'timeout: "5m"'));
    expect((await cli(['--values-file', f, 'validate'])).code).toBe(1);
    fs.writeFileSync(f, 'stages: [\n');
    const r = await cli(['--values-file', f, 'validate', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).diagnostics[0]).toMatchObject({ code: 'YAML_SYNTAX', line: 2 });
    const missing = await cli(['--values-file', path.join(dir, 'nope.yaml'), 'validate', '--json']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).diagnostics[0]).toMatchObject({ code: 'FILE_UNREADABLE' });
  });
  it('--strict turns warnings into errors', async () => {
    const text = referenceValues.replace('tag: "0.1.0"', 'tag: latest');
    const dir = tempDir({ 'v.yaml': text });
    const f = path.join(dir, 'v.yaml');
    expect((await cli(['--values-file', f, 'validate'])).code).toBe(0);
    const s = await cli(['--values-file', f, 'validate', '--strict', '--json']);
    expect(s.code).toBe(1);
    expect(JSON.parse(s.stdout).diagnostics[0]).toMatchObject({ severity: 'error', code: 'IMAGE_TAG_LATEST', line: lineOf(text, 'tag: latest'), column: 12 });
  });
  it('a user mistake prints no stack trace; --debug does', async () => {
    const dir = chartCopy();
    const r = await cli(['workflow', 'show', 'nope'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^clara-wf: no workflow "nope"; known: user-workflow/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const d = await cli(['--debug', 'workflow', 'show', 'nope'], { cwd: dir });
    expect(d.stderr).toMatch(/\n\s+at /);
  });
  it('--json errors are JSON on stdout', async () => {
    const dir = chartCopy();
    const r = await cli(['--json', 'cs', 'Bad_Name'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'UsageError' } });
  });
});

describe('human output', () => {
  it('is file:line:col severity code message, a code frame and a hint', async () => {
    const text = referenceValues.replace('"user-ai/output"', '"user-ai/ output"');
    const line = lineOf(text, '"dicom-reader/output", "user-ai/ output"');
    const dir = tempDir({ 'v.yaml': text });
    const r = await cli(['--values-file', path.join(dir, 'v.yaml'), '--no-color', 'validate'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`v.yaml:${line}:62 error IOFOLDER_INVALID ioFolders entry "user-ai/ output" contains whitespace`);
    expect(r.stderr).toContain(`  > ${line} |     ioFolders:`);
    expect(r.stderr).toContain('hint: write "user-ai/output"');
    expect(r.stderr).toContain('1 error, 0 warnings');
  });
});

describe('schema', () => {
  it('--check passes on the repo chart, fails on a stale copy, and `schema` fixes it', async () => {
    expect((await cli(['schema', '--check'], { cwd: repoRoot })).code).toBe(0);
    const dir = chartCopy();
    const target = path.join(dir, 'charts/clara-workflow/values.schema.json');
    fs.writeFileSync(target, '{}\n');
    const stale = await cli(['schema', '--check'], { cwd: dir });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/stale; run `clara-wf schema`/);
    expect(fs.readFileSync(target, 'utf8')).toBe('{}\n');
    expect((await cli(['schema'], { cwd: dir })).code).toBe(0);
    expect((await cli(['schema', '--check'], { cwd: dir })).code).toBe(0);
    const schema = JSON.parse(fs.readFileSync(target, 'utf8'));
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.$comment).toMatch(/^Generated by clara-wf/);
  });
});

describe('read-only commands', () => {
  it('workflow list/show and stage list, human and --json', async () => {
    const dir = chartCopy();
    const list = await cli(['--json', 'workflow', 'list'], { cwd: dir });
    expect(JSON.parse(list.stdout).map((w: any) => w.name)).toEqual(['user-workflow', 'liver-seg', 'threshold-example']);
    const show = await cli(['--json', 'workflow', 'show', 'liver-seg'], { cwd: dir });
    expect(JSON.parse(show.stdout)).toMatchObject({ id: 'fd3ee8bf-b9f3-4808-bd60-243f870ff9bd', stages: ['dicom-reader', 'ai-livertumor', 'dicom-writer'] });
    const stages = await cli(['stage', 'list'], { cwd: dir });
    expect(stages.stdout).toMatch(/^dicom-reader\s+clara\/dicom-reader:0\.2\.0\s+300\s+user-workflow, liver-seg, threshold-example$/m);
  });
  it('graph: mermaid and dot', async () => {
    const dir = chartCopy();
    const m = await cli(['graph', 'user-workflow'], { cwd: dir });
    expect(m.stdout).toContain('flowchart LR');
    expect(m.stdout).toContain('n_dicom_reader -->|dicom-reader.lock| n_user_ai');
    expect(m.stdout).toContain('start -->|dicom-reader/input| n_dicom_reader');
    const d = await cli(['graph', '7b413e24-d018-4689-8c41-73272f6649d4', '--format', 'dot'], { cwd: dir });
    expect(d.stdout).toContain('digraph "user-workflow" {');
    expect(d.stdout).toContain('"user-ai" -> "dicom-writer" [label="user-ai.lock"];');
    expect((await cli(['graph', 'user-workflow', '--format', 'png'], { cwd: dir })).code).toBe(2);
  });
  it('workflow create prints a fresh v4 UUID', async () => {
    const dir = chartCopy();
    const r = await cli(['workflow', 'create', '--name', 'liver-2', '--stages', 'dicom-reader,ai-livertumor,dicom-writer'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('whole-number flags: one parser, the range in the message, exit 2', () => {
  it.each([
    [['test', 'user-workflow', 'job-1', '0'], /the timeout must be a whole number of seconds from 1 to 9999999, not "0"/],
    [['test', 'user-workflow', 'job-1', '5m'], /the timeout must be a whole number of seconds from 1 to 9999999, not "5m"/],
    [['test', 'user-workflow', 'job-1', '--grace', '-1'], /--grace must be a whole number of seconds from 0 to 3600, not "-1"/],
    [['dicom', 'serve', '--port', '70000'], /--port must be a whole number from 0 to 65535, not "70000"/],
    [['dicom', 'serve', '--max-jobs', '0'], /--max-jobs must be a whole number from 1 to 64, not "0"/],
    [['dicom', 'serve', '--dashboard', '1e3'], /--dashboard must be a whole number from 0 to 65535, not "1e3"/],
  ])('%j', async (args, message) => {
    const r = await cli(args, { cwd: repoRoot });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
