// Clara pipeline definitions: validation corpus, export ↔ import identity
// (including fan-in), and create/list/show/remove against the test server.
import fs from 'node:fs';
import { emptyDicomConfig } from '../src/cli/commands/init.js';
import path from 'node:path';
import { load, loadAll } from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { checkPipeline } from '../src/core/pipeline.js';
import { checkValues } from '../src/core/validate-values.js';
import { findWorkflow } from '../src/core/workflow.js';
import { planRun } from '../src/runner/plan.js';
import { KubeTestServer } from './kube/server.js';
import { changedRegion, chartCopy, cli, expectation, fixture, repoRoot, tempDir } from './helpers.js';

const corpus = fs.readdirSync(fixture('pipeline-invalid')).filter((f) => f.endsWith('.yaml')).sort();

describe('bad pipelines', () => {
  it('there are at least 20, one defect each', () => expect(corpus.length).toBeGreaterThanOrEqual(20));
  it.each(corpus)('%s', (name) => {
    const text = fs.readFileSync(fixture('pipeline-invalid', name), 'utf8');
    const want = expectation(text);
    const check = checkPipeline(text, name);
    expect(check.ok).toBe(false);
    expect(check.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}@${d.line}`)).toContain(`${want.code}@${want.line}`);
    // One defect per file: nothing is reported on any other line.
    expect(check.diagnostics.filter((d) => d.line !== want.line).map((d) => `${d.severity} ${d.code}@${d.line}`)).toEqual([]);
    expect(check.unparsable ? 2 : 1).toBe(want.exit);
  });
  it('the valid ones pass; pipeline validate exit codes', async () => {
    for (const f of ['fan-in.yaml', 'diamond-unordered.yaml']) expect(checkPipeline(fs.readFileSync(fixture('pipelines', f), 'utf8'), f).diagnostics).toEqual([]);
    expect((await cli(['pipeline', 'validate', fixture('pipelines', 'fan-in.yaml')])).code).toBe(0);
    const bad = await cli(['pipeline', 'validate', fixture('pipeline-invalid', 'api-version-unsupported.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/PIPELINE_API_VERSION api-version 0\.9\.0 is not supported; clara-wf reads 0\.3\.0 to 0\.7\.0/);
    expect((await cli(['pipeline', 'validate', fixture('pipeline-invalid', 'yaml-syntax.yaml')])).code).toBe(2);
    expect((await cli(['pipeline', 'validate', '/nonexistent.yaml'])).code).toBe(2);
  });
});

/** A chart with empty stages and workflows (and no DICOM config to satisfy). */
function emptyChart() {
  const c = chartCopy({ values: 'stages: {}\nworkflows: {}\n' });
  // The chart renders its DICOM ConfigMap from this file: keep it, without the mappings of the workflows gone.
  const dicom = path.join(c.chart, 'files', 'dicom-server-config.yaml');
  fs.writeFileSync(dicom, emptyDicomConfig(fs.readFileSync(dicom, 'utf8')));
  return c;
}

async function exportOf(chart: string, wf: string): Promise<string> {
  const r = await cli(['--chart', chart, 'pipeline', 'export', wf]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

async function importInto(chart: string, text: string): Promise<void> {
  const f = path.join(tempDir(), 'p.yaml');
  fs.writeFileSync(f, text);
  const r = await cli(['--chart', chart, 'pipeline', 'import', f]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/);
}

describe('export → import → export', () => {
  it.each(['user-workflow', 'liver-seg', 'threshold-example'])('%s gives the same pipeline', async (name) => {
    const e1 = await exportOf(path.join(repoRoot, 'charts', 'clara-workflow'), name);
    expect(checkPipeline(e1, 'e1').ok).toBe(true);
    const c = emptyChart();
    await importInto(c.chart, e1);
    expect((await cli(['--chart', c.chart, 'validate'])).code).toBe(0);
    expect(await exportOf(c.chart, name)).toBe(e1);
  });

  it('a hand-written fan-in pipeline survives import and export unchanged', async () => {
    const hand = fs.readFileSync(fixture('pipelines', 'fan-in.yaml'), 'utf8');
    const c = emptyChart();
    await importInto(c.chart, hand);
    const e1 = await exportOf(c.chart, 'lung-nodules');
    expect(load(e1)).toEqual(load(hand));
    const c2 = emptyChart();
    await importInto(c2.chart, e1);
    expect(await exportOf(c2.chart, 'lung-nodules')).toBe(e1);
    // The merger waits for both detectors and reads both outputs.
    const v = checkValues(fs.readFileSync(c.values, 'utf8'), 'v').values!;
    const { id, workflow } = findWorkflow(v, 'lung-nodules');
    const merger = planRun({ values: v, workflowId: id, workflow, jobId: 'j', dataDir: '/d', valuesDir: '/c' }).stages[3]!;
    expect(merger.waitLocks).toEqual(['/d/j/locks/detector-b.lock', '/d/j/locks/detector-a.lock']);
    // Exactly its two declared inputs, read-only; nothing at its own input folder (no input sits there).
    expect(merger.inputs).toEqual([
      { from: 'detector-a', name: 'boxes', host: '/d/j/detector-a/output', path: '/input/a', readOnly: true },
      { from: 'detector-b', name: 'boxes', host: '/d/j/detector-b/output', path: '/input/b', readOnly: true },
    ]);
    expect(merger.input).toBe('/d/j/detector-a/output');
  });

  it('operators out of order come back in dependency order, with the same graph', async () => {
    const hand = fs.readFileSync(fixture('pipelines', 'diamond-unordered.yaml'), 'utf8');
    const c = emptyChart();
    await importInto(c.chart, hand);
    const e1 = await exportOf(c.chart, 'diamond');
    const graph = (t: string) => (load(t) as any).operators.flatMap((o: any) => (o.input ?? []).map((i: any) => `${i.from ?? '∅'}→${o.name}:${i.path}`)).sort();
    expect(graph(e1)).toEqual(graph(hand));
    expect((load(e1) as any).operators.map((o: any) => o.name)).toEqual(['start', 'left', 'right', 'join']);
    const c2 = emptyChart();
    await importInto(c2.chart, e1);
    expect(await exportOf(c2.chart, 'diamond')).toBe(e1);
  });

  it('the fan-in workflow renders: the merger waits on both locks and mounts both inputs', async () => {
    const c = emptyChart();
    fs.cpSync(path.join(repoRoot, 'charts', 'clara-workflow', 'files', 'dicom-server-config.yaml'), path.join(c.chart, 'files', 'dicom-server-config.yaml'));
    fs.writeFileSync(path.join(c.chart, 'files', 'dicom-server-config.yaml'), 'dicom:\n  scp:\n    port: 104\n    ae-titles: []\n  scu:\n    ae-title: ClaraSCU\n');
    await importInto(c.chart, fs.readFileSync(fixture('pipelines', 'fan-in.yaml'), 'utf8'));
    const r = await cli(['--chart', c.chart, 'render', '--workflow', 'lung-nodules', '--job', 'j1']);
    expect(r.code, r.stderr).toBe(0);
    const merger = (loadAll(r.stdout) as any[]).filter(Boolean).find((j) => j.metadata.labels['clara.nvidia.com/stage'] === 'merger');
    expect(merger.spec.template.spec.initContainers[0].env).toEqual([{ name: 'CLARA_WAIT_LOCKS', value: '/locks/detector-b.lock /locks/detector-a.lock' }]);
    const mounts = merger.spec.template.spec.containers[0].volumeMounts.map((m: any) => `${m.mountPath}<-${m.subPath}${m.readOnly ? ' ro' : ''}`);
    expect(mounts).toContain('/input/a<-j1/detector-a/output ro');
    expect(mounts).toContain('/input/b<-j1/detector-b/output ro');
  });

  it('a DAG renders with each stage reading the stage it names, not the one before it in the list', async () => {
    const c = emptyChart();
    fs.writeFileSync(path.join(c.chart, 'files', 'dicom-server-config.yaml'), 'dicom:\n  scp:\n    port: 104\n    ae-titles: []\n  scu:\n    ae-title: ClaraSCU\n');
    await importInto(c.chart, fs.readFileSync(fixture('pipelines', 'diamond-unordered.yaml'), 'utf8'));
    const r = await cli(['--chart', c.chart, 'render', '--workflow', 'diamond', '--job', 'j1']);
    expect(r.code, r.stderr).toBe(0);
    const jobs = (loadAll(r.stdout) as any[]).filter((d) => d?.kind === 'Job');
    const reads = Object.fromEntries(jobs.map((j) => [j.metadata.labels['clara.nvidia.com/stage'], j.spec.template.spec.containers[0].volumeMounts.filter((m: any) => m.mountPath.startsWith('/data/') && m.mountPath !== '/data/out' && !/locks|logs/.test(m.mountPath)).map((m: any) => `${m.mountPath}<-${m.subPath}`).sort()]));
    expect(reads).toEqual({
      start: ['/data/in<-j1/start/input'],
      left: ['/data/in<-j1/start/output'],
      right: ['/data/in<-j1/start/output'],
      join: ['/data/left<-j1/left/output', '/data/right<-j1/right/output'],
    });
    // The local runner's plan agrees.
    const v = checkValues(fs.readFileSync(c.values, 'utf8'), 'values.yaml');
    const { id, workflow } = findWorkflow(v.values as any, 'diamond');
    const plan = planRun({ values: v.values as any, workflowId: id, workflow, jobId: 'j1', dataDir: '/d', valuesDir: '/c' });
    expect(plan.stages.map((s) => `${s.name}<-${s.input}`)).toEqual(['start<-/d/j1/start/input', 'left<-/d/j1/start/output', 'right<-/d/j1/start/output', 'join<-/d/j1/left/output']);
  });

  it('several named outputs: each its own folder, read by name; the payload read by a later stage; export → import → export unchanged', async () => {
    const hand = fs.readFileSync(fixture('pipelines', 'multi-output.yaml'), 'utf8');
    const c = emptyChart();
    fs.writeFileSync(path.join(c.chart, 'files', 'dicom-server-config.yaml'), 'dicom:\n  scp:\n    port: 104\n    ae-titles: []\n  scu:\n    ae-title: ClaraSCU\n');
    await importInto(c.chart, hand);
    expect((await cli(['--chart', c.chart, 'validate'])).code).toBe(0);
    expect(fs.readFileSync(c.values, 'utf8')).toMatch(/extraOutputs:\n {6}- name: "metadata"\n {8}path: "\/metadata"/);
    const r = await cli(['--chart', c.chart, 'render', '--workflow', 'seg-report', '--job', 'j1']);
    expect(r.code, r.stderr).toBe(0);
    const jobs = (loadAll(r.stdout) as any[]).filter((d) => d?.kind === 'Job');
    const mounts = (stage: string) => jobs.find((j) => j.metadata.labels['clara.nvidia.com/stage'] === stage).spec.template.spec.containers[0].volumeMounts.filter((m: any) => !/locks|logs|publish/.test(m.mountPath)).map((m: any) => `${m.mountPath}<-${m.subPath}`).sort();
    expect(mounts('reader')).toEqual(['/input<-j1/reader/input', '/metadata<-j1/reader/output-metadata', '/output<-j1/reader/output']);
    expect(mounts('segmenter')).toEqual(['/input<-j1/reader/output', '/output<-j1/segmenter/output']);
    expect(mounts('reporter')).toEqual(['/input/metadata<-j1/reader/output-metadata', '/input/original<-j1/reader/input', '/input<-j1/segmenter/output', '/output<-j1/reporter/output']);
    const e1 = await exportOf(c.chart, 'seg-report');
    const graph = (t: string) => (load(t) as any).operators.flatMap((o: any) => [...(o.input ?? []).map((i: any) => `${i.from ?? '∅'}:${i.name ?? ''}→${o.name}:${i.path}`), ...(o.output ?? []).map((x: any) => `${o.name}→${x.name}:${x.path}`)]).sort();
    expect(graph(e1)).toEqual(graph(hand));
    const c2 = emptyChart();
    await importInto(c2.chart, e1);
    expect(await exportOf(c2.chart, 'seg-report')).toBe(e1);
  });

  it.each([['diamond-unordered.yaml', 'diamond'], ['multi-output.yaml', 'seg-report'], ['fan-in.yaml', 'lung-nodules']])('%s: export → import into the chart it came from (stages reused) → export is the identity', async (file, name) => {
    const c = emptyChart();
    await importInto(c.chart, fs.readFileSync(fixture('pipelines', file), 'utf8'));
    const e1 = await exportOf(c.chart, name);
    const f = path.join(tempDir(), 'again.yaml');
    fs.writeFileSync(f, e1);
    const r = await cli(['--chart', c.chart, '--json', 'pipeline', 'import', f, '--name', `${name}-again`]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).stagesCreated).toEqual([]);
    const body = (t: string) => t.split('\n').filter((l) => !l.startsWith('#') && !l.startsWith('name: ')).join('\n');
    expect(body(await exportOf(c.chart, `${name}-again`))).toBe(body(e1));
  });

  it('pipeline graph draws a file\'s DAG; graph draws the imported workflow the same way', async () => {
    const file = fixture('pipelines', 'diamond-unordered.yaml');
    const g = await cli(['pipeline', 'graph', file]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout.split('\n').filter((l) => l.includes('-->')).sort()).toEqual([
      '  n_left -->|/data/left| n_join',
      '  n_right -->|/data/right| n_join',
      '  n_start -->|/data/in| n_right',
      '  n_start -->|out → /data/in| n_left',
      '  payload -->|/data/in| n_start',
    ]);
    const d = await cli(['pipeline', 'graph', file, '--format', 'dot']);
    expect(d.stdout).toContain('"(payload)" -> "start" [label="/data/in"];');
    expect((await cli(['pipeline', 'graph', fixture('pipeline-invalid', 'cycle.yaml')])).code).toBe(1);
    // The workflow it imports to: a stage named "start" is a stage, not the start node.
    const c = emptyChart();
    await importInto(c.chart, fs.readFileSync(file, 'utf8'));
    const w = await cli(['--chart', c.chart, 'graph', 'diamond']);
    expect(w.stdout.split('\n').filter((l) => l.includes('-->')).sort()).toEqual([
      '  n_left -->|/data/left| n_join',
      '  n_right -->|/data/right| n_join',
      '  n_start -->|/data/in| n_right',
      '  n_start -->|start.lock| n_left',
      '  start -->|start/input| n_start',
    ]);
  });

  it('import edits values.yaml surgically and refuses to overwrite a different stage', async () => {
    const c = chartCopy();
    const before = fs.readFileSync(c.values, 'utf8');
    const f = path.join(tempDir(), 'p.yaml');
    fs.writeFileSync(f, fs.readFileSync(fixture('pipelines', 'fan-in.yaml'), 'utf8').replace('      image: clara/dicom-reader\n      tag: 0.2.0\n    input:\n      - path: /input', '      image: clara/dicom-reader\n      tag: 0.2.0\n    input:\n      - path: /input'));
    // dicom-reader exists with another spec (appDir /app): refused, nothing written.
    const r = await cli(['--chart', c.chart, 'pipeline', 'import', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stage dicom-reader \(operator dicom-reader\) exists already and differs:\n +appDir: \/app here, \/ in the pipeline\n +output name: output here, volume in the pipeline\n/);
    expect(r.stderr).toMatch(/--prefix <prefix>- \(every stage\) or --rename <operator>=<stage>/);
    expect(fs.readFileSync(c.values, 'utf8')).toBe(before);
    // The exported liver-seg, under another name, reuses the identical stages.
    const e1 = await exportOf(c.chart, 'liver-seg');
    fs.writeFileSync(f, e1);
    const ok = await cli(['--chart', c.chart, '--json', 'pipeline', 'import', f, '--name', 'liver-seg-2']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ name: 'liver-seg-2', stagesCreated: [], stagesReused: ['dicom-reader', 'ai-livertumor', 'dicom-writer'] });
    const region = changedRegion(before, fs.readFileSync(c.values, 'utf8'));
    expect(region.removed).toEqual([]);
    expect(region.added.join('\n')).toMatch(/name: "liver-seg-2"/);
  });
});

// Our files, one per api-version and feature (written from NVIDIA's CPDL
// reference), and pipelines NVIDIA published (test/fixtures/pipelines/nvidia/SOURCE.md).
const valid = fs.readdirSync(fixture('pipelines')).filter((f) => f.endsWith('.yaml')).sort();
const published: Record<string, { warnings: string[]; dropped: RegExp[] }> = {
  'nullpipeline.yaml': { warnings: [], dropped: [/^pull-secrets \(ngc-clara\)/] },
  'operator_with_services.yaml': { warnings: [], dropped: [/^pull-secrets/, /^operator null-reader: service trtis \(nvcr\.io\/nvidia\/tritonserver:latest\) is not carried.*NVIDIA_CLARA_TRTISURI/] },
  'operator_with_model.yaml': { warnings: ['FIELD_NEWER_THAN_API_VERSION@31'], dropped: [/^pull-secrets/, /^operator null-reader: models \(segmentation_ct_spleen_v1, segmentation_ct_liver_v1\)/] },
  'dicom-test.yaml': { warnings: [], dropped: [/^pull-secrets \(ngc-clara\)/] },
  'COVID-19-pipeline.yaml': { warnings: [], dropped: [/^operator lung-segmentation: service trtis/, /^operator classification-covid-19: service trtis/] },
};

describe('the pipeline language as NVIDIA documents it', () => {
  it('covers every documented api-version and feature', () => {
    const all = valid.map((f) => load(fs.readFileSync(fixture('pipelines', f), 'utf8')) as Record<string, unknown>);
    expect(new Set(all.map((d) => String(d['api-version'])))).toEqual(new Set(['0.3.0', '0.4.0', '0.5.0', '0.6.0', '0.7.0']));
    const text = valid.map((f) => fs.readFileSync(fixture('pipelines', f), 'utf8')).join('\n');
    for (const feature of ['orchestrator:', 'pull-secrets:', 'services:', 'http:', 'volume:', 'hostVolumePath:', 'models:', 'element-type:', 'shape:', 'variables:', 'requests:']) expect(text, feature).toContain(feature);
  });
  it.each(valid)('%s validates with no diagnostic at all', (f) => {
    expect(checkPipeline(fs.readFileSync(fixture('pipelines', f), 'utf8'), f).diagnostics).toEqual([]);
  });
  it.each(Object.keys(published))('published %s: validates (only the expected warnings), imports with a warning per dropped field, and validates after import', async (f) => {
    const file = fixture('pipelines', 'nvidia', f);
    const check = checkPipeline(fs.readFileSync(file, 'utf8'), f);
    expect(check.ok).toBe(true);
    expect(check.diagnostics.map((d) => `${d.code}@${d.line}`)).toEqual(published[f]?.warnings);
    const c = emptyChart();
    const r = await cli(['--chart', c.chart, '--json', 'pipeline', 'import', file, '--name', f.replace(/\.yaml$/, '').replace(/_/g, '-')]);
    expect(r.code, r.stderr).toBe(0);
    const dropped = JSON.parse(r.stdout).dropped as string[];
    expect(dropped.length).toBe(published[f]?.dropped.length);
    for (const re of published[f]?.dropped ?? []) expect(dropped.some((d) => re.test(d)), `${re}`).toBe(true);
    expect((await cli(['--chart', c.chart, 'validate'])).code).toBe(0);
    // Run mode renders one Job per operator.
    const name = f.replace(/\.yaml$/, '').replace(/_/g, '-');
    const rendered = await cli(['--chart', c.chart, 'render', '--workflow', name, '--job', '44444444-4444-4444-4444-444444444444']);
    expect(rendered.code, rendered.stderr).toBe(0);
    const jobs = loadAll(rendered.stdout).filter((d) => (d as { kind?: string })?.kind === 'Job');
    expect(jobs.length).toBe(check.doc?.operators.length);
  });
  it('published nullpipeline runs locally in dependency order once its stages get a local command', async () => {
    const c = emptyChart();
    const file = fixture('pipelines', 'nvidia', 'nullpipeline.yaml');
    expect((await cli(['--chart', c.chart, 'pipeline', 'import', file])).code).toBe(0);
    const stage = path.join(c.chart, 'stage.mjs');
    fs.copyFileSync(fixture('runner', 'stage.mjs'), stage);
    for (const s of ['null-reader', 'null-inference', 'null-writer']) {
      const r = await cli(['--chart', c.chart, 'cs', s, '--local-command', 'node', '--local-command', 'stage.mjs', '--local-command', 'copy']);
      expect(r.code, r.stderr).toBe(0);
    }
    const data = path.join(c.dir, 'data');
    const job = '66666666-6666-6666-6666-666666666666';
    fs.mkdirSync(path.join(data, job, 'null-reader', 'input'), { recursive: true });
    fs.writeFileSync(path.join(data, job, 'null-reader', 'input', 'study.dcm'), 'pixels');
    const run = await cli(['--chart', c.chart, 'test', 'null-pipeline', job, '--runtime', 'process', '--data', data]);
    expect(run.code, run.stderr).toBe(0);
    expect(fs.readFileSync(path.join(data, job, 'null-writer', 'output', 'trail.txt'), 'utf8')).toBe('null-reader\nnull-inference\nnull-writer\n');
    expect(fs.readdirSync(path.join(data, job, 'null-writer', 'output')).sort()).toEqual(['study.dcm', 'trail.txt']);
  });

  it('variables under container count as the operator\'s, with a warning saying where Clara reads them', async () => {
    const text = 'api-version: 0.4.0\nname: v\noperators:\n  - name: reader\n    container:\n      image: clara/dicom-reader\n      variables:\n        CLARA_TRACE: 2\n    input:\n      - path: /input\n    output:\n      - path: /output\n';
    const check = checkPipeline(text, 'v.yaml');
    expect(check.diagnostics.map((d) => `${d.severity} ${d.code}@${d.line}`)).toEqual(['warning VARIABLES_UNDER_CONTAINER@7']);
    const c = emptyChart();
    const f = path.join(tempDir(), 'v.yaml');
    fs.writeFileSync(f, text);
    expect((await cli(['--chart', c.chart, 'pipeline', 'import', f])).code).toBe(0);
    expect(fs.readFileSync(c.values, 'utf8')).toMatch(/CLARA_TRACE: "2"/);
  });
  it.each(['user-workflow', 'liver-seg', 'threshold-example'])('%s: export → import into the chart it came from → export is the identity (args split back off the stage command)', async (name) => {
    const c = chartCopy();
    const e1 = await exportOf(c.chart, name);
    const f = path.join(tempDir(), 'e1.yaml');
    fs.writeFileSync(f, e1);
    const r = await cli(['--chart', c.chart, '--json', 'pipeline', 'import', f, '--name', `${name}-copy`]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).stagesCreated).toEqual([]);
    const e2 = await exportOf(c.chart, `${name}-copy`);
    const body = (t: string) => t.split('\n').filter((l) => !l.startsWith('#') && !l.startsWith('name: ')).join('\n');
    expect(body(e2)).toBe(body(e1));
    // The workflow's args are args again, not part of the stage's command.
    const values = load(fs.readFileSync(c.values, 'utf8')) as { workflows: Record<string, { name: string; args: unknown[] }> };
    const [orig, copy] = [name, `${name}-copy`].map((n) => Object.values(values.workflows).find((w) => w.name === n));
    expect(copy?.args).toEqual(orig?.args);
  });
});

describe('pipeline create / list / show / remove (test server, real client-node)', () => {
  const servers: KubeTestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });
  const start = async () => {
    const server = await KubeTestServer.start();
    servers.push(server);
    const home = tempDir();
    return { server, env: { HOME: home, KUBECONFIG: server.kubeconfig(home) } };
  };

  it('registers a Pipeline resource named by a new 32-hex ID, lists, shows and removes it', async () => {
    const { server, env } = await start();
    expect((await cli(['install'], { cwd: repoRoot, env })).code).toBe(0);
    const file = fixture('pipelines', 'fan-in.yaml');
    const c = await cli(['pipeline', 'create', '-p', file], { cwd: repoRoot, env });
    expect(c.code, c.stderr).toBe(0);
    const id = c.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const [cr] = server.objects('Pipeline', 'default');
    expect(cr).toMatchObject({ apiVersion: 'clara.nvidia.com/v1alpha1', metadata: { name: id }, spec: { name: 'lung-nodules', apiVersion: '0.4.0', operatorCount: 4 } });
    expect(cr.spec.definition).toBe(fs.readFileSync(file, 'utf8'));
    expect(cr.spec.dag.edges).toContainEqual({ from: 'detector-b', to: 'merger' });

    const l = await cli(['pipeline', 'list'], { cwd: repoRoot, env });
    expect(l.stdout).toMatch(new RegExp(`^${id}\\s+lung-nodules\\s+4\\s+`, 'm'));
    const s = await cli(['pipeline', 'show', id], { cwd: repoRoot, env });
    expect(s.stdout).toBe(fs.readFileSync(file, 'utf8'));
    const rm = await cli(['pipeline', 'remove', id], { cwd: repoRoot, env });
    expect(rm.code).toBe(0);
    expect(server.objects('Pipeline')).toEqual([]);
    const again = await cli(['pipeline', 'show', id], { cwd: repoRoot, env });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no pipeline .* in namespace default/);
  });

  it('registers every valid definition, ours and NVIDIA\'s', async () => {
    const { server, env } = await start();
    expect((await cli(['install'], { cwd: repoRoot, env })).code).toBe(0);
    const files = [...valid.map((f) => fixture('pipelines', f)), ...Object.keys(published).map((f) => fixture('pipelines', 'nvidia', f))];
    for (const file of files) {
      const c = await cli(['pipeline', 'create', '-p', file], { cwd: repoRoot, env });
      expect(c.code, `${file}: ${c.stderr}`).toBe(0);
    }
    expect(server.objects('Pipeline', 'default').length).toBe(files.length);
  });

  it('an invalid pipeline makes no request; a cluster without the CRD says how to fix it', async () => {
    const { server, env } = await start();
    const bad = await cli(['pipeline', 'create', '-p', fixture('pipeline-invalid', 'cycle.yaml')], { cwd: repoRoot, env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/PIPELINE_CYCLE/);
    expect(server.requests).toEqual([]);
    const noCrd = await cli(['pipeline', 'create', '-p', fixture('pipelines', 'fan-in.yaml')], { cwd: repoRoot, env });
    expect(noCrd.code).toBe(4);
    expect(noCrd.stderr).toMatch(/the Pipeline CRD \(pipelines\.clara\.nvidia\.com\) is not installed .*clara-wf install/);
  });
});
