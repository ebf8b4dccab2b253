// Diagnostics for CI (issue 26 §2): GitHub annotations as exact lines, SARIF
// validated against the official SARIF 2.1.0 schema (test/fixtures/sarif,
// from OASIS), GITHUB_ACTIONS choosing github, every code in the rule
// catalog, and .pre-commit-hooks.yaml run by the real pre-commit.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Ajv04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { RULES, ruleInfo } from '../src/core/rule-catalog.js';
import { chartCopy, cli, fixture, repoRoot, tempDir } from './helpers.js';

const sarifSchema = JSON.parse(fs.readFileSync(fixture('sarif', 'sarif-schema-2.1.0.json'), 'utf8')) as object;
// CommonJS packages: their default export sits under .default when imported from ESM.
const Ajv04 = ((Ajv04Module as unknown as { default?: typeof Ajv04Module }).default ?? Ajv04Module) as unknown as typeof Ajv04Module.default;
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as typeof addFormatsModule.default;
const ajv = new Ajv04({ allErrors: true, strict: false });
addFormats(ajv as never);
const validSarif = ajv.compile(sarifSchema);

function brokenChart() {
  const p = chartCopy();
  const text = fs.readFileSync(p.values, 'utf8');
  fs.writeFileSync(p.values, text.replace('tag: 0.2.0', 'tag: "bad tag!"'));
  return { ...p, line: text.split('\n').findIndex((l) => l.includes('tag: 0.2.0')) + 1 };
}

function expectSarif(stdout: string) {
  const log = JSON.parse(stdout) as { version: string; runs: { tool: { driver: { rules: { id: string; help: { text: string } }[] } }; results: { ruleId: string; level: string; locations?: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number; startColumn?: number } } }[] }[] }[] };
  const ok = validSarif(log);
  expect(ok, JSON.stringify(validSarif.errors, null, 1)).toBe(true);
  return log;
}

describe('--format github', () => {
  it('validate: one workflow command per diagnostic, exactly', async () => {
    const p = brokenChart();
    const r = await cli(['validate', '--format', 'github'], { cwd: p.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `::error file=charts/clara-workflow/values.yaml,line=${p.line},col=12,title=IMAGE_TAG_INVALID::stages.dicom-reader.image.tag: image tag must be 1-128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-' (got "bad tag!")\n`,
    );
    expect(r.stderr).toBe('1 error, 0 warnings\n');
  });

  it('is chosen by GITHUB_ACTIONS=true when no format is given; --format text overrides it', async () => {
    const p = brokenChart();
    const auto = await cli(['validate'], { cwd: p.dir, env: { GITHUB_ACTIONS: 'true' } });
    expect(auto.stdout).toMatch(/^::error file=charts\/clara-workflow\/values\.yaml,line=\d+,col=12,title=IMAGE_TAG_INVALID::/);
    const text = await cli(['validate', '--format', 'text'], { cwd: p.dir, env: { GITHUB_ACTIONS: 'true' } });
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain('error IMAGE_TAG_INVALID');
  });

  it('escapes as GitHub does: % CR LF in the message, and : , in properties too', async () => {
    const { githubAnnotations } = await import('../src/core/report-formats.js');
    expect(githubAnnotations([{ severity: 'warning', code: 'X_Y', message: '100% a\nb', file: 'a,b:c.yaml', line: 2, column: 3, path: '' }])).toBe('::warning file=a%2Cb%3Ac.yaml,line=2,col=3,title=X_Y::100%25 a%0Ab\n');
    expect(githubAnnotations([{ severity: 'error', code: 'FILE_UNREADABLE', message: 'gone', file: 'v.yaml', line: 0, column: 0, path: '' }])).toBe('::error file=v.yaml,title=FILE_UNREADABLE::gone\n');
  });

  it('pipeline validate and dicom validate', async () => {
    const bad = fixture('pipeline-invalid', fs.readdirSync(fixture('pipeline-invalid')).find((f) => f.endsWith('.yaml')) as string);
    const pl = await cli(['pipeline', 'validate', bad, '--format', 'github']);
    expect(pl.code).toBe(1);
    expect(pl.stdout).toMatch(/^::error file=[^,]+,line=\d+,col=\d+,title=[A-Z_0-9]+::/);
    const p = chartCopy();
    const dicom = path.join(p.chart, 'files', 'dicom-server-config.yaml');
    fs.writeFileSync(dicom, fs.readFileSync(dicom, 'utf8').replace('destination-name: MYPACS', 'destination-name: NOPACS'));
    const d = await cli(['dicom', 'validate', '--format', 'github'], { cwd: p.dir });
    expect(d.code).toBe(1);
    expect(d.stdout).toMatch(/^::error file=charts\/clara-workflow\/files\/dicom-server-config\.yaml,line=\d+,col=\d+,title=MAPPING_DESTINATION_UNKNOWN::/);
    expect((await cli(['dicom', 'validate'], { cwd: repoRoot })).code).toBe(0);
  });

  it('golden check: each drifted file at its first changed line; exit 3', async () => {
    const p = chartCopy({ golden: true });
    fs.writeFileSync(p.values, fs.readFileSync(p.values, 'utf8').replace('tag: 0.2.0', 'tag: 0.2.1'));
    const r = await cli(['golden', 'check', '--format', 'github'], { cwd: p.dir });
    expect(r.code).toBe(3);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^::error file=golden\/[^,]+,line=\d+,col=1,title=GOLDEN_CHANGED::what the chart renders differs from golden\/[^ ]+ \(.*0\.2\.0.* → .*0\.2\.1.*\); if intended, run clara-wf golden update/);
    // The line named is the changed one in the golden file.
    const first = /^::error file=([^,]+),line=(\d+)/.exec(lines[0] as string)!;
    expect(fs.readFileSync(path.join(p.dir, first[1] as string), 'utf8').split('\n')[Number(first[2]) - 1]).toContain('0.2.0');
  });
});

describe('--format sarif', () => {
  it('validate on a broken chart: a SARIF 2.1.0 log the official schema accepts, with rules, help and locations', async () => {
    const p = brokenChart();
    const r = await cli(['validate', '--format', 'sarif'], { cwd: p.dir });
    expect(r.code).toBe(1);
    const log = expectSarif(r.stdout);
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0]!;
    expect(run.tool.driver.rules.map((x) => x.id)).toEqual(['IMAGE_TAG_INVALID']);
    expect(run.tool.driver.rules[0]!.help.text).toContain('malformed stage fields');
    expect(run.results[0]).toMatchObject({ ruleId: 'IMAGE_TAG_INVALID', level: 'error', locations: [{ physicalLocation: { artifactLocation: { uri: 'charts/clara-workflow/values.yaml' }, region: { startLine: p.line, startColumn: 12 } } }] });
  });

  it('every invalid fixture (values, DICOM, pipeline) gives a valid log, and its codes have catalog help', async () => {
    const seen = new Set<string>();
    for (const f of fs.readdirSync(fixture('invalid')).filter((x) => x.endsWith('.yaml'))) {
      const r = await cli(['--values-file', fixture('invalid', f), '--dicom-config', path.join(repoRoot, 'charts/clara-workflow/files/dicom-server-config.yaml'), 'validate', '--format', 'sarif'], { cwd: repoRoot });
      for (const x of expectSarif(r.stdout).runs[0]!.results) seen.add(x.ruleId);
    }
    for (const f of fs.readdirSync(fixture('pipeline-invalid')).filter((x) => x.endsWith('.yaml'))) {
      const r = await cli(['pipeline', 'validate', fixture('pipeline-invalid', f), '--format', 'sarif']);
      for (const x of expectSarif(r.stdout).runs[0]!.results) seen.add(x.ruleId);
    }
    for (const f of fs.readdirSync(fixture('dicom-invalid')).filter((x) => x.endsWith('.yaml'))) {
      const r = await cli(['--dicom-config', fixture('dicom-invalid', f), 'dicom', 'validate', '--format', 'sarif'], { cwd: repoRoot });
      for (const x of expectSarif(r.stdout).runs[0]!.results) seen.add(x.ruleId);
    }
    expect(seen.size).toBeGreaterThan(40);
    expect([...seen].filter((c) => !ruleInfo(c))).toEqual([]);
  });

  it('a clean chart: a valid log with no results; golden drift too', async () => {
    expect(expectSarif((await cli(['validate', '--format', 'sarif'], { cwd: repoRoot })).stdout).runs[0]!.results).toEqual([]);
    const p = chartCopy({ golden: true });
    fs.writeFileSync(p.values, fs.readFileSync(p.values, 'utf8').replace('tag: 0.2.0', 'tag: 0.2.1'));
    fs.rmSync(path.join(p.dir, 'golden', 'catalog', 'dicom-config.yaml'));
    const r = await cli(['golden', 'check', '--format', 'sarif'], { cwd: p.dir });
    expect(r.code).toBe(3);
    const ids = expectSarif(r.stdout).runs[0]!.results.map((x) => x.ruleId);
    expect(ids).toContain('GOLDEN_CHANGED');
    expect(ids).toContain('GOLDEN_MISSING');
  });
});

describe('the rule catalog', () => {
  it('lists exactly the codes of the diagnostic-code table in docs/commands.md', () => {
    const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'commands.md'), 'utf8');
    const table = doc.slice(doc.indexOf('## Diagnostic codes'));
    const documented = new Set([...table.matchAll(/^\|([^|]*)\|/gm)].flatMap((m) => [...(m[1] as string).matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((x) => x[1] as string)));
    const catalog = new Set(RULES.flatMap((r) => r.codes));
    expect([...catalog].filter((c) => !documented.has(c))).toEqual([]);
    expect([...documented].filter((c) => !catalog.has(c))).toEqual([]);
  });
});

const hasPreCommit = spawnSync('pre-commit', ['--version']).status === 0;

describe.skipIf(!hasPreCommit)('.pre-commit-hooks.yaml with the real pre-commit', () => {
  const git = (cwd: string, ...args: string[]) => {
    const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim();
  };

  it('a scratch repository using the hooks: a broken values.yaml fails with the diagnostic; fixed, it passes', async () => {
    // The hooks repository: this repository's .pre-commit-hooks.yaml, committed.
    const hooks = tempDir({ '.pre-commit-hooks.yaml': fs.readFileSync(path.join(repoRoot, '.pre-commit-hooks.yaml'), 'utf8') });
    git(hooks, 'init', '-q');
    git(hooks, 'add', '.');
    git(hooks, 'commit', '-qm', 'hooks');
    const rev = git(hooks, 'rev-parse', 'HEAD');

    // The scratch project: a chart from init, and clara-wf installed as npm would (node_modules/.bin).
    const proj = tempDir();
    expect((await cli(['init', '--ci', 'none'], { cwd: proj })).code).toBe(0);
    fs.mkdirSync(path.join(proj, 'node_modules', '.bin'), { recursive: true });
    fs.symlinkSync(path.join(repoRoot, 'bin', 'clara-wf'), path.join(proj, 'node_modules', '.bin', 'clara-wf'));
    fs.writeFileSync(path.join(proj, 'package.json'), '{"name":"scratch","private":true}\n');
    fs.writeFileSync(path.join(proj, '.pre-commit-config.yaml'), `repos:\n  - repo: ${hooks}\n    rev: ${rev}\n    hooks:\n      - id: clara-wf-validate\n`);
    const values = path.join(proj, 'charts', 'clara-workflow', 'values.yaml');
    fs.writeFileSync(values, fs.readFileSync(values, 'utf8').replace('tag: 0.2.0', 'tag: "bad tag!"'));
    git(proj, 'init', '-q');
    git(proj, 'add', '.');
    const env = { ...process.env, PRE_COMMIT_HOME: tempDir(), PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` };
    const run = () => spawnSync('pre-commit', ['run', '--all-files'], { cwd: proj, encoding: 'utf8', env });
    const failed = run();
    expect(failed.status, failed.stdout + failed.stderr).toBe(1);
    expect(failed.stdout).toContain('clara-wf validate');
    expect(failed.stdout).toMatch(/charts\/clara-workflow\/values\.yaml:\d+:12 error IMAGE_TAG_INVALID/);
    fs.writeFileSync(values, fs.readFileSync(values, 'utf8').replace('tag: "bad tag!"', 'tag: 0.2.0'));
    git(proj, 'add', '.');
    const passed = run();
    expect(passed.status, passed.stdout + passed.stderr).toBe(0);
    expect(passed.stdout).toMatch(/clara-wf validate\.+Passed/);
  }, 60_000);
});
