// Rendering with the real helm, asserting on parsed manifests.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { chartCopy, cli, helmBin, referenceValues, repoRoot, tempDir } from './helpers.js';

const JOB = '11111111-1111-1111-1111-111111111111';
const docs = (text: string) => (loadAll(text) as any[]).filter(Boolean);

describe('catalog mode', () => {
  it('one ConfigMap key per workflow with the resolved workflow, the DICOM config, standard labels', async () => {
    const r = await cli(['render'], { cwd: repoRoot });
    expect(r.code, r.stderr).toBe(0);
    const d = docs(r.stdout);
    expect(d.map((x) => `${x.kind}/${x.metadata.name}`)).toEqual(['ConfigMap/clara-workflow-workflows', 'ConfigMap/clara-workflow-dicom']);
    const catalog = d[0];
    expect(Object.keys(catalog.data).sort()).toEqual(['5f1c8d2e-3b4a-4c6d-9e8f-0a1b2c3d4e5f.json', '7b413e24-d018-4689-8c41-73272f6649d4.json', 'fd3ee8bf-b9f3-4808-bd60-243f870ff9bd.json']);
    const liver = JSON.parse(catalog.data['fd3ee8bf-b9f3-4808-bd60-243f870ff9bd.json']);
    expect(liver.name).toBe('liver-seg');
    expect(liver.stages.map((s: any) => s.name)).toEqual(['dicom-reader', 'ai-livertumor', 'dicom-writer']);
    expect(liver.stages[1]).toMatchObject({ waitLock: 'dicom-reader.lock', input: 'dicom-reader/output', output: 'ai-livertumor/output', spec: { image: { repository: 'clara/ai-livertumor', tag: '0.2.0' }, resources: { gpu: 1 } } });
    const user = JSON.parse(catalog.data['7b413e24-d018-4689-8c41-73272f6649d4.json']);
    expect(user.stages[1].args).toEqual(['-p', 'foo']);
    for (const x of d) {
      expect(x.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'clara-workflow', 'app.kubernetes.io/instance': 'clara-workflow', 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': 'clara-workflow-0.1.0' });
    }
    expect(d[1].data['dicom-server-config.yaml']).toContain('ae-title: MYPACS');
  });
});

describe('catalog size: the API server refuses a ConfigMap over 1 MiB (keys + values)', () => {
  const apiBytes = (cm: any) => Object.entries(cm.data as Record<string, string>).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);

  it('spreads the keys, in order, over ConfigMaps of at most catalog.maxBytes; each workflow unchanged', async () => {
    const whole = docs((await cli(['render', '--show-only', 'catalog.yaml'], { cwd: repoRoot })).stdout);
    expect(whole).toHaveLength(1);
    const r = await cli(['render', '--show-only', 'catalog.yaml', '--set', 'catalog.maxBytes=6000'], { cwd: repoRoot });
    expect(r.code, r.stderr).toBe(0);
    const shards = docs(r.stdout);
    expect(shards.map((c) => c.metadata.name)).toEqual(['clara-workflow-workflows', 'clara-workflow-workflows-1', 'clara-workflow-workflows-2']);
    for (const c of shards) {
      expect(apiBytes(c)).toBeLessThanOrEqual(6000);
      expect(c.metadata.labels['app.kubernetes.io/component']).toBe('workflow-catalog');
    }
    expect(shards.flatMap((c) => Object.keys(c.data))).toEqual(Object.keys(whole[0].data).sort());
    expect(Object.assign({}, ...shards.map((c) => c.data))).toEqual(whole[0].data);
    // The default is the API server's limit itself.
    expect(apiBytes(whole[0])).toBeLessThanOrEqual(1048576);
  });

  it('a workflow bigger than a ConfigMap on its own fails the render with its name: validate finds it before helm does', async () => {
    const r = await cli(['render', '--set', 'catalog.maxBytes=2000'], { cwd: repoRoot });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error CATALOG_ENTRY_TOO_LARGE workflow 5f1c8d2e-3b4a-4c6d-9e8f-0a1b2c3d4e5f \(threshold-example\) resolves to 3229 bytes, more than a ConfigMap holds \(catalog\.maxBytes 2000\)/);
    expect(r.stdout).toBe('');
    // helm's own guard says the same (the sizes agree to the byte: test/chart-guards.test.ts).
    const helm = spawnSync(helmBin, ['template', 'x', path.join(repoRoot, 'charts', 'clara-workflow'), '--set', 'catalog.maxBytes=2000'], { encoding: 'utf8' });
    expect(helm.stderr).toContain('workflow 5f1c8d2e-3b4a-4c6d-9e8f-0a1b2c3d4e5f (threshold-example) resolves to 3229 bytes');
  });

  it('catalog.maxBytes beyond the limit is a validation error', async () => {
    const c = chartCopy({ values: referenceValues.replace('maxBytes: 1048576', 'maxBytes: 2000000') });
    const r = await cli(['--chart', c.chart, 'validate', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).diagnostics).toEqual([expect.objectContaining({ path: '/catalog/maxBytes', line: referenceValues.split('\n').findIndex((l) => l.includes('maxBytes:')) + 1 })]);
  });
});

describe('run mode', () => {
  it('one Job per stage: image, args, deadlines, mounts, env, gpu, init container, affinity', async () => {
    const r = await cli(['render', '--workflow', 'user-workflow', '--job', JOB], { cwd: repoRoot });
    expect(r.code, r.stderr).toBe(0);
    const jobs = docs(r.stdout);
    expect(jobs.map((j) => `${j.apiVersion}/${j.kind}/${j.metadata.name}`)).toEqual([
      'batch/v1/Job/clara-workflow-11111111-dicom-reader-75799dfbf3',
      'batch/v1/Job/clara-workflow-11111111-1111-1111-1111-111111111111-user-ai',
      'batch/v1/Job/clara-workflow-11111111-dicom-writer-4e94e1967a',
    ]);
    expect(jobs.map((j) => j.spec.activeDeadlineSeconds)).toEqual([300, 600, 900]);
    for (const j of jobs) {
      expect(j.spec.backoffLimit).toBe(0);
      expect(j.spec.template.spec.restartPolicy).toBe('Never');
      expect(j.metadata.labels['clara.nvidia.com/job']).toBe(JOB);
      expect(j.spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]).toMatchObject({ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'clara.nvidia.com/job': JOB } } });
      expect(j.spec.template.spec.volumes).toEqual([{ name: 'clara-io', hostPath: { path: '/clara-io', type: 'DirectoryOrCreate' } }]);
    }
    const ai = jobs[1].spec.template.spec;
    const c = ai.containers[0];
    expect(c.image).toBe('user-ai:0.1.0');
    expect(c.args).toEqual(['-p', 'foo']);
    expect(jobs[0].spec.template.spec.containers[0].args).toBeUndefined();
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({ NVIDIA_CLARA_INPUT: '/app/input', NVIDIA_CLARA_OUTPUT: '/app/output', NVIDIA_CLARA_LOGS: '/app/logs', NVIDIA_CLARA_PUBLISHING: '/publish', NVIDIA_CLARA_WAIT_LOCK: '/app/locks/dicom-reader.lock', NVIDIA_CLARA_LOCK: '/app/locks/user-ai.lock', CLARA_JOB_ID: JOB, CLARA_STAGE: 'user-ai' });
    expect(c.volumeMounts.map((m: any) => `${m.mountPath}<-${m.subPath}`)).toEqual([
      `/app/input<-${JOB}/dicom-reader/output`,
      `/app/output<-${JOB}/user-ai/output`,
      `/app/locks<-${JOB}/locks`,
      `/app/logs<-${JOB}/logs`,
      `/publish<-${JOB}/publish/user-ai`,
    ]);
    expect(ai.initContainers[0]).toMatchObject({ name: 'wait-lock', env: [{ name: 'CLARA_WAIT_LOCKS', value: '/app/locks/dicom-reader.lock' }] });
    expect(jobs[0].spec.template.spec.initContainers).toBeUndefined();
  });

  it('gpu → nvidia.com/gpu, a PVC volume, job.timeout caps deadlines, long names are truncated with a hash', async () => {
    const long = 'a'.repeat(60);
    const values = referenceValues.replace('  ##END_dicom-writer##\n', `  ##END_dicom-writer##\n  ##BEGIN_${long}##\n  ${long}:\n    image:\n      repository: long\n      tag: "1"\n    mount:\n      in:\n        name: "input"\n      out:\n        name: "output"\n    stageName: "${long}"\n    appDir: "/app"\n    inputLock: "/app/locks/input.lock"\n    inputs: "input"\n    logName: "/app/logs/${long}.log"\n    outputs: "output"\n    lockDir: "/app/locks"\n    lockName: "${long}.lock"\n    timeout: "300"\n    publishPath: "/publish"\n    resources:\n      cpu: 500m\n      memory: 1Gi\n  ##END_${long}##\n`).replace('args: ["", "", ""]\n', `args: ["", "", ""]\n  0b9c6a2e-4f0e-4a7d-9c1a-6b2d8e3f4a51:\n    name: "long"\n    stages: ["ai-livertumor", "${long}"]\n    waitLocks: ["", "ai-livertumor.lock"]\n    ioFolders: ["ai-livertumor/input", "ai-livertumor/output", "${long}/output"]\n    args: ["", ""]\n`);
    const c = chartCopy({ values });
    const extra = path.join(c.dir, 'pvc.yaml');
    fs.writeFileSync(extra, 'volume:\n  type: persistentVolumeClaim\n  claimName: shared-rwx\njob:\n  timeout: "450"\n');
    const r = await cli(['--chart', c.chart, 'render', '--workflow', 'long', '--job', 'job-1', '-f', extra]);
    expect(r.code, r.stderr).toBe(0);
    const jobs = docs(r.stdout);
    expect(jobs.map((j) => j.spec.activeDeadlineSeconds)).toEqual([300, 450]);
    const name = jobs[1].metadata.name as string;
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^clara-workflow-job-1-a+-[0-9a-f]{10}$/);
    // A stage naming no CPU or memory requests the chart's defaults: never BestEffort.
    expect(jobs[0].spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { 'nvidia.com/gpu': 1 } });
    expect(jobs[1].spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } });
    expect(jobs[1].spec.template.spec.volumes).toEqual([{ name: 'clara-io', persistentVolumeClaim: { claimName: 'shared-rwx' } }]);
    // A PVC lets pods spread: no node pinning.
    expect(jobs[1].spec.template.spec.affinity).toBeUndefined();
  });
});

describe('render', () => {
  it('is deterministic: same input, same bytes', async () => {
    const a = await cli(['render'], { cwd: repoRoot });
    const b = await cli(['render'], { cwd: repoRoot });
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
  });

  it('a values file holding only stages and workflows renders (every setting has a default)', async () => {
    const only = referenceValues.slice(0, referenceValues.indexOf('\n# ---- Chart settings'));
    expect(only).not.toMatch(/^(job|volume|lockWaiter):/m);
    const c = chartCopy({ values: only + '\n' });
    for (const args of [['render'], ['render', '--workflow', 'liver-seg', '--job', 'j1']]) {
      const r = await cli(['--chart', c.chart, ...args]);
      expect(r.code, r.stderr).toBe(0);
      expect(docs(r.stdout).length).toBeGreaterThan(1);
    }
  });

  it('--output-dir writes one file per template', async () => {
    const out = tempDir();
    const r = await cli(['render', '--output-dir', out], { cwd: repoRoot });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['catalog.yaml', 'dicom-config.yaml']);
  });

  it('invalid values: exit 1, nothing printed, helm never finishes a render', async () => {
    const c = chartCopy({ values: referenceValues.replace('timeout: "300"', 'timeout: "5m"') });
    const r = await cli(['--chart', c.chart, 'render']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/TIMEOUT_INVALID/);
  });

  it('usage errors: unknown workflow, --workflow without --job, bad job ID', async () => {
    expect((await cli(['render', '--workflow', 'nope', '--job', 'j1'], { cwd: repoRoot })).stderr).toMatch(/no workflow "nope"/);
    expect((await cli(['render', '--workflow', 'liver-seg'], { cwd: repoRoot })).code).toBe(2);
    expect((await cli(['render', '--workflow', 'liver-seg', '--job', 'Bad_Job'], { cwd: repoRoot })).code).toBe(2);
  });
});

describe("helm's schema pass", () => {
  const tmpRenders = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('clara-wf-render-'));

  it('with the chart schema clara-wf checks against, helm renders a copy without it: the same bytes as helm template, nothing left behind', async () => {
    const before = tmpRenders().length;
    const r = await cli(['render'], { cwd: repoRoot });
    expect(r.code).toBe(0);
    const helm = spawnSync(helmBin, ['template', 'clara-workflow', path.join(repoRoot, 'charts', 'clara-workflow')], { encoding: 'utf8' });
    expect(r.stdout).toBe(helm.stdout);
    expect(tmpRenders().length).toBe(before);
  });

  it('a chart whose values.schema.json is not ours keeps helm checking it', async () => {
    const c = chartCopy();
    const schemaFile = path.join(c.chart, 'values.schema.json');
    // A stricter, hand-edited schema: a catalog ConfigMap of at most 10 bytes, which the values exceed.
    const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
    schema.properties.catalog = { type: 'object', properties: { maxBytes: { type: 'integer', maximum: 10 } } };
    fs.writeFileSync(schemaFile, JSON.stringify(schema));
    const r = await cli(['--chart', c.chart, 'render']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('catalog.maxBytes: Must be less than or equal to 10');
    expect(r.stdout).toBe('');
  });
});

describe('helm discovery', () => {
  it('HELM_BIN that does not exist: exit 4 with a clear message', async () => {
    const r = await cli(['render'], { cwd: repoRoot, env: { HELM_BIN: '/nonexistent/helm' } });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/HELM_BIN=\/nonexistent\/helm is not an executable file/);
  });
  it('a helm older than 3.8 is refused with exit 4', async () => {
    const dir = tempDir({ 'helm': '#!/bin/sh\necho v3.2.4\n' });
    fs.chmodSync(path.join(dir, 'helm'), 0o755);
    const r = await cli(['render'], { cwd: repoRoot, env: { HELM_BIN: path.join(dir, 'helm') } });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/is helm 3\.2\.4; clara-wf needs helm >=3\.8\.0 <5\.0\.0/);
  });
  it("helm's own failure is shown with exit 4", async () => {
    const dir = tempDir({ 'helm': '#!/bin/sh\nif [ "$1" = version ]; then echo v3.10.1; exit 0; fi\necho "Error: something broke" >&2\nexit 1\n' });
    fs.chmodSync(path.join(dir, 'helm'), 0o755);
    const r = await cli(['render'], { cwd: repoRoot, env: { HELM_BIN: path.join(dir, 'helm') } });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/helm template failed \(helm exit 1\)\nError: something broke/);
  });
});
