// The values helm will install: values.yaml + -f overlays + --set, merged as
// helm merges them and checked before helm or a cluster sees them. Every case
// runs through `clara-wf validate` and the real `helm template` with the same
// flags: both must accept or both reject, a rejection points into the overlay
// (or the --set argument), and for accepted cases the merged values equal
// what helm renders from `.Values` (a debug template in a chart copy).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkValues } from '../src/core/validate-values.js';
import { checkMergedValues, type ValuesLayer } from '../src/core/validate-merged.js';
import type { Values } from '../src/core/model.js';
import { cli, helmBin, referenceValues, repoRoot, tempDir } from './helpers.js';

interface Case {
  name: string;
  files?: Record<string, string>;
  set?: string[];
  setString?: string[];
  setJson?: string[];
  setFile?: string[];
  /** Rejected: the file (or --set argument) and line the first error points at. */
  rejects?: { file: string; line: number; code: string };
  /** Accepted: what the merged values hold there (checked as well as equality with helm). */
  expect?: (v: any) => void;
}

const WF = '7b413e24-d018-4689-8c41-73272f6649d4';
const cases: Case[] = [
  { name: 'typo in an overlay key', files: { 'a.yaml': 'stages:\n  user-ai:\n    imgae:\n      tag: "2"\n' }, rejects: { file: 'a.yaml', line: 3, code: 'UNKNOWN_KEY' } },
  { name: 'wrong type in an overlay', files: { 'a.yaml': 'stages:\n  user-ai:\n    timeout: 600\n' }, rejects: { file: 'a.yaml', line: 3, code: 'YAML11_NUMBER' } },
  { name: 'a valid overlay', files: { 'a.yaml': 'stages:\n  user-ai:\n    timeout: "600"\n' }, expect: (v) => expect(v.stages['user-ai'].timeout).toBe('600') },
  { name: '--set types a number', set: ['stages.user-ai.timeout=600'], rejects: { file: '--set stages.user-ai.timeout=600', line: 1, code: 'WRONG_TYPE' } },
  { name: '--set-string keeps a string', setString: ['stages.user-ai.timeout=600'], expect: (v) => expect(v.stages['user-ai'].timeout).toBe('600') },
  { name: '--set true is a boolean', set: ['stages.user-ai.image.tag=true'], rejects: { file: '--set stages.user-ai.image.tag=true', line: 1, code: 'WRONG_TYPE' } },
  { name: '--set a leading zero stays a string', set: ['stages.user-ai.timeout=0600'], rejects: { file: '--set stages.user-ai.timeout=0600', line: 1, code: 'TIMEOUT_INVALID' } },
  { name: '--set escapes a dot in a key', setString: ['stages.user-ai.env.A\\.B=x'], expect: (v) => expect(v.stages['user-ai'].env['A.B']).toBe('x') },
  { name: '--set two values at once', setString: ['stages.user-ai.image.tag=2.0,stages.user-ai.timeout=90'], expect: (v) => expect([v.stages['user-ai'].image.tag, v.stages['user-ai'].timeout]).toEqual(['2.0', '90']) },
  { name: '--set an escaped comma', setString: ['stages.user-ai.env.NOTE=a\\,b'], expect: (v) => expect(v.stages['user-ai'].env.NOTE).toBe('a,b') },
  { name: 'null deletes a workflow (and the mapping that used it fails)', files: { 'a.yaml': `workflows:\n  ${WF}: null\n` }, expect: (v) => expect(v.workflows[WF]).toBeUndefined() },
  { name: 'null deletes an optional key', files: { 'a.yaml': 'stages:\n  user-ai:\n    publishPath: null\n' }, rejects: { file: 'a.yaml', line: 2, code: 'MISSING_KEY' } },
  { name: 'a list replaces, not merges', files: { 'a.yaml': `workflows:\n  ${WF}:\n    args: ["", "", ""]\n` }, expect: (v) => expect(v.workflows[WF].args).toEqual(['', '', '']) },
  { name: 'a list too short for its workflow', files: { 'a.yaml': `workflows:\n  ${WF}:\n    waitLocks: [""]\n` }, rejects: { file: 'a.yaml', line: 3, code: 'WORKFLOW_LENGTH_MISMATCH' } },
  { name: 'later files win', files: { 'a.yaml': 'stages:\n  user-ai:\n    timeout: "100"\n', 'b.yaml': 'stages:\n  user-ai:\n    timeout: "200"\n' }, expect: (v) => expect(v.stages['user-ai'].timeout).toBe('200') },
  { name: '--set wins over files', files: { 'a.yaml': 'stages:\n  user-ai:\n    timeout: "100"\n' }, setString: ['stages.user-ai.timeout=300'], expect: (v) => expect(v.stages['user-ai'].timeout).toBe('300') },
  { name: 'a bad value in the second file is found there', files: { 'a.yaml': 'stages:\n  user-ai:\n    timeout: "100"\n', 'b.yaml': '# b\nstages:\n  user-ai:\n    timeout: "1h"\n' }, rejects: { file: 'b.yaml', line: 4, code: 'TIMEOUT_INVALID' } },
  { name: 'a YAML 1.1 boolean tag in an overlay', files: { 'a.yaml': 'stages:\n  user-ai:\n    image:\n      tag: no\n' }, rejects: { file: 'a.yaml', line: 4, code: 'YAML11_BOOLEAN' } },
  { name: 'a new stage added by an overlay must be complete', files: { 'a.yaml': 'stages:\n  extra-ai:\n    image:\n      repository: extra\n      tag: "1"\n' }, rejects: { file: 'a.yaml', line: 2, code: 'MISSING_KEY' } },
  { name: 'an unknown top-level key', files: { 'a.yaml': 'stagez: {}\n' }, rejects: { file: 'a.yaml', line: 1, code: 'UNKNOWN_KEY' } },
  { name: 'a list index with --set', setString: ['workflows.' + WF + '.args[0]=-v'], rejects: { file: `--set-string workflows.${WF}.args[0]=-v`, line: 1, code: 'ARGS_INVALID' } },
  { name: '--set-json sets a structured value', setJson: ['stages.user-ai.env={"A":"1","B":"two, with a comma"}'], expect: (v) => expect(v.stages['user-ai'].env).toEqual({ A: '1', B: 'two, with a comma' }) },
  { name: '--set-json with the wrong type', setJson: ['stages.user-ai.timeout=300'], rejects: { file: '--set-json stages.user-ai.timeout=300', line: 1, code: 'WRONG_TYPE' } },
  { name: '--set-file takes a file\'s content as a string', files: { 'note.txt': 'from a file' }, setFile: ['stages.user-ai.env.NOTE=note.txt'], expect: (v) => expect(v.stages['user-ai'].env.NOTE).toBe('from a file') },
  // helm's strvals refuses a key path through a value that is there but not a map (or not a list, for [n]).
  { name: '--set a key under a null an earlier --set made', set: ['stages.user-ai=null', 'stages.user-ai.image.tag=2.0'], rejects: { file: '--set stages.user-ai.image.tag=2.0', line: 1, code: 'SET_SYNTAX' } },
  { name: '--set a key under a scalar in the same --set', set: ['lockWaiter.pollSeconds=1,lockWaiter.pollSeconds.x=2'], rejects: { file: '--set lockWaiter.pollSeconds=1,lockWaiter.pollSeconds.x=2', line: 1, code: 'SET_SYNTAX' } },
  { name: '--set a key under a null an -f file made', files: { 'a.yaml': 'stages:\n  user-ai: null\n' }, set: ['stages.user-ai.image.tag=2.0'], rejects: { file: '--set stages.user-ai.image.tag=2.0', line: 1, code: 'SET_SYNTAX' } },
  { name: '--set an index under a scalar', set: ['catalog=1', 'catalog[0]=x'], rejects: { file: '--set catalog[0]=x', line: 1, code: 'SET_SYNTAX' } },
  { name: '--set-string after --set: helm applies --set first, so the map is replaced, not refused', set: ['stages.user-ai.image.tag=2.0'], setString: ['stages.user-ai=x'], rejects: { file: '--set-string stages.user-ai=x', line: 1, code: 'WRONG_TYPE' } },
  { name: 'a list with {} and --set', set: [`workflows.${WF}.waitLocks={,dicom-reader.lock,user-ai.lock}`], expect: (v) => expect(v.workflows[WF].waitLocks).toEqual(['', 'dicom-reader.lock', 'user-ai.lock']) },
];

const overlayFiles = (c: Case) => Object.keys(c.files ?? {}).filter((f) => f.endsWith('.yaml'));

/** helm template with a debug template that prints .Values as JSON: [exit code, values or stderr]. */
function helmValues(chart: string, cwd: string, c: Case): { code: number; values?: unknown; stderr: string } {
  const args = ['template', 'x', chart, '--show-only', 'templates/zz-values.yaml'];
  for (const f of overlayFiles(c)) args.push('-f', path.join(cwd, f));
  for (const s of c.set ?? []) args.push('--set', s);
  for (const s of c.setString ?? []) args.push('--set-string', s);
  for (const s of c.setJson ?? []) args.push('--set-json', s);
  for (const s of c.setFile ?? []) args.push('--set-file', s);
  const r = spawnSync(helmBin, args, { encoding: 'utf8', cwd, env: { ...process.env, HOME: cwd } });
  if (r.status !== 0) return { code: r.status ?? 1, stderr: r.stderr };
  const line = r.stdout.split('\n').find((l) => l.startsWith('values: ')) as string;
  return { code: 0, values: JSON.parse(JSON.parse(line.slice('values: '.length))), stderr: '' };
}

describe('overlays: clara-wf and helm agree on the values helm installs', async () => {
  // install --dry-run with the same flags must decide the same, before any request for a rejected case.
  const { KubeTestServer } = await import('./kube/server.js');
  const server = await KubeTestServer.start({});
  afterAll(() => server.stop());
  const kubeHome = tempDir();
  const kubeEnv = { HOME: kubeHome, KUBECONFIG: server.kubeconfig(kubeHome) };
  const dir = tempDir();
  // install gets a chart copy without the debug template (helm validates objects for a dry run).
  const plainChart = path.join(tempDir(), 'clara-workflow');
  fs.cpSync(path.join(repoRoot, 'charts', 'clara-workflow'), plainChart, { recursive: true });
  const chart = path.join(dir, 'charts', 'clara-workflow');
  fs.cpSync(path.join(repoRoot, 'charts', 'clara-workflow'), chart, { recursive: true });
  // Only in this copy: print the merged values.
  fs.writeFileSync(path.join(chart, 'templates', 'zz-values.yaml'), '# debug\nvalues: {{ toJson .Values | quote }}\n');
  const base = checkValues(referenceValues, 'charts/clara-workflow/values.yaml');

  for (const c of cases) {
    it(c.name, async () => {
      const cwd = tempDir(c.files ?? {});
      const flags = [...overlayFiles(c).flatMap((f) => ['-f', f]), ...(c.set ?? []).flatMap((s) => ['--set', s]), ...(c.setString ?? []).flatMap((s) => ['--set-string', s]), ...(c.setJson ?? []).flatMap((s) => ['--set-json', s]), ...(c.setFile ?? []).flatMap((s) => ['--set-file', s])];
      fs.symlinkSync(path.join(dir, 'charts'), path.join(cwd, 'charts'));
      const ours = await cli(['validate', '--json', ...flags], { cwd });
      const helm = helmValues(chart, cwd, c);
      const report = JSON.parse(ours.stdout);
      const errors = report.diagnostics.filter((d: any) => d.severity === 'error');
      const before = server.requests.length;
      const install = await cli(['--chart', plainChart, 'install', '--dry-run', ...flags], { cwd, env: kubeEnv });
      if (c.rejects) {
        // A --set helm cannot parse is a usage error (exit 2); a value that does not validate, 1.
        const exit = c.rejects.code === 'SET_SYNTAX' ? 2 : 1;
        expect(ours.code, ours.stdout).toBe(exit);
        expect(errors[0]).toMatchObject({ file: c.rejects.file, line: c.rejects.line, code: c.rejects.code });
        expect(install.code, install.stderr).toBe(exit);
        expect(install.stderr).toContain(`${c.rejects.file}:${c.rejects.line}:`);
        expect(server.requests.length, 'a rejected install sent requests').toBe(before);
        // helm rejects it too: by the schema, or by the chart's fail guards.
        expect(helm.code, `helm accepted what clara-wf rejects (${c.name})`).not.toBe(0);
      } else {
        const layers: ValuesLayer[] = [
          ...overlayFiles(c).map((file) => ({ kind: 'file' as const, file, text: (c.files as Record<string, string>)[file] as string })),
          ...(c.set ?? []).map((arg) => ({ kind: 'set' as const, arg })),
          ...(c.setString ?? []).map((arg) => ({ kind: 'set-string' as const, arg })),
          ...(c.setJson ?? []).map((arg) => ({ kind: 'set-json' as const, arg })),
          ...(c.setFile ?? []).map((arg) => ({ kind: 'set-file' as const, arg })),
        ];
        const merged = checkMergedValues({ values: base.values as Values, yaml: base.yaml!, file: 'values.yaml', text: referenceValues }, layers, (p) => fs.readFileSync(path.join(cwd, p), 'utf8'));
        c.expect?.(merged.values);
        if (c.name.startsWith('null deletes a workflow')) {
          // values.yaml's own check passes; the DICOM mapping to the deleted workflow fails: in
          // validate, in install before the cluster, and in helm (the chart's guard).
          expect(ours.code).toBe(1);
          expect(errors.map((d: any) => d.code)).toEqual(['MAPPING_WORKFLOW_UNKNOWN']);
          expect(helm.code).not.toBe(0);
          expect(install.code, install.stderr).toBe(1);
          expect(install.stderr).toMatch(/dicom-server-config\.yaml:\d+:\d+ error MAPPING_WORKFLOW_UNKNOWN/);
          expect(server.requests.length, 'a rejected install sent requests').toBe(before);
          return;
        }
        expect(ours.code, ours.stdout).toBe(0);
        expect(install.code, install.stderr).toBe(0);
        expect(helm.code, helm.stderr).toBe(0);
        expect(merged.values).toEqual(helm.values);
      }
    });
  }
});

describe('install and upgrade check the merged values before the cluster', async () => {
  const { KubeTestServer } = await import('./kube/server.js');
  it('a rejected overlay or --set sends 0 requests; an accepted one installs', async () => {
    const server = await KubeTestServer.start({});
    try {
      const home = tempDir();
      const env = { HOME: home, KUBECONFIG: server.kubeconfig(home) };
      const dir = tempDir({ 'typo.yaml': 'stages:\n  user-ai:\n    imgae:\n      tag: "2"\n', 'ok.yaml': 'stages:\n  user-ai:\n    timeout: "600"\n' });
      fs.cpSync(path.join(repoRoot, 'charts'), path.join(dir, 'charts'), { recursive: true });
      for (const bad of [['-f', 'typo.yaml'], ['--set', 'stages.user-ai.timeout=600']]) {
        for (const cmd of ['install', 'upgrade']) {
          const r = await cli([cmd, '-n', 'clara', '--create-namespace', '--dry-run', ...bad], { cwd: dir, env });
          expect(r.code, r.stderr).toBe(1);
          expect(r.stderr).toMatch(bad[0] === '-f' ? /typo\.yaml:3:5 error UNKNOWN_KEY/ : /--set stages\.user-ai\.timeout=600:1:1 error WRONG_TYPE/);
          expect(r.stderr).toContain('nothing was sent to the cluster');
        }
      }
      const run = await cli(['test', 'user-workflow', '--runtime', 'cluster', '-f', 'typo.yaml'], { cwd: dir, env });
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/typo\.yaml:3:5 error UNKNOWN_KEY[\s\S]*nothing was run/);
      expect(server.requests).toHaveLength(0);
      const ok = await cli(['install', '-n', 'clara', '--create-namespace', '-f', 'ok.yaml', '--set-string', 'stages.user-ai.image.tag=2.0'], { cwd: dir, env });
      expect(ok.code, ok.stderr).toBe(0);
      const catalog = server.objects('ConfigMap', 'clara').find((o) => o.metadata.name === 'clara-workflow-workflows');
      const userWorkflow = JSON.parse(catalog?.data[`${WF}.json`]);
      expect(userWorkflow.stages.find((s: any) => s.name === 'user-ai').spec).toMatchObject({ timeout: '600', image: { tag: '2.0' } });
    } finally {
      await server.stop();
    }
  });
});

describe('--set syntax errors', () => {
  for (const [arg, says] of [
    ['stages.user-ai.timeout', 'has no value'],
    ['stages.user-ai.env.X={a,b', "list must terminate with '}'"],
    ['workflows.x.args[one]=a', 'must be a number in [ ]'],
  ] as const) {
    it(`--set ${arg}: exit 2, SET_SYNTAX, helm rejects it too`, async () => {
      const r = await cli(['validate', '--json', '--set', arg], { cwd: repoRoot });
      expect(r.code).toBe(2);
      const d = JSON.parse(r.stdout).diagnostics.find((x: any) => x.code === 'SET_SYNTAX');
      expect(d.message).toContain(says);
      expect(spawnSync(helmBin, ['template', 'x', path.join(repoRoot, 'charts', 'clara-workflow'), '--set', arg], { encoding: 'utf8' }).status).not.toBe(0);
    });
  }
});

describe('every command that reads values takes the overlays', () => {
  it('publish and pipeline export find a workflow an overlay adds; a bad overlay stops them', async () => {
    const wf = 'workflows:\n  0d6c3c52-8a43-4a9e-9d5e-4f0c2f9f6b11:\n    name: "overlay-wf"\n    stages: ["dicom-reader", "dicom-writer"]\n    waitLocks: ["", "dicom-reader.lock"]\n    ioFolders: ["dicom-reader/input", "dicom-reader/output", "dicom-writer/output"]\n    args: ["", ""]\n';
    const dir = tempDir({ 'wf.yaml': wf, 'typo.yaml': 'stages:\n  user-ai:\n    imgae: {}\n' });
    fs.cpSync(path.join(repoRoot, 'charts'), path.join(dir, 'charts'), { recursive: true });
    const pub = await cli(['publish', 'overlay-wf', 'Overlay', 'out', '-f', 'wf.yaml'], { cwd: dir });
    expect(pub.code, pub.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, 'out', '0d6c3c52-8a43-4a9e-9d5e-4f0c2f9f6b11.json'))).toBe(true);
    const exp = await cli(['pipeline', 'export', 'overlay-wf', '--values', 'wf.yaml'], { cwd: dir });
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stdout).toMatch(/name: overlay-wf/);
    const bad = await cli(['pipeline', 'export', 'user-workflow', '-f', 'typo.yaml'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/typo\.yaml:3:5 error UNKNOWN_KEY[\s\S]*nothing was exported/);
  });
});
