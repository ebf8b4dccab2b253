// Mounts are what the pipeline declares, in both engines and in the local
// runner (issue 22). Every pipeline fixture (ours and NVIDIA's) is imported into
// the stock chart with --prefix, beside the chart's own and the DAG values
// fixture's workflows; then, for every stage of every workflow:
// - no container of a rendered Job or Argo template mounts one path twice (the
//   API server refuses it: kubernetes pkg/apis/core/validation/validation.go,
//   ValidateVolumeMounts, "must be unique"; kubernetes-models does not check it);
// - the chart's mounts equal core/mounts.ts stageMounts (path, folder, readOnly),
//   and so do the local runner's and docker's;
// - for an imported operator, the mounted paths are its declared (on-disk)
//   inputs and outputs plus the chart's lock, log and publish folders, nothing else.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { load, loadAll } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { listedInputs, logFolderPath, mountKey, stageMounts } from '../src/core/mounts.js';
import { stagesOf, workflowsOf, type StageSpec, type Values, type WorkflowSpec } from '../src/core/model.js';
import { checkValues } from '../src/core/validate-values.js';
import { dockerArgv, planRun } from '../src/runner/plan.js';
import { chartCopy, cli, fixture, helmBin } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const JOB = '22222222-2222-2222-2222-222222222222';

const pipelineFiles = [
  ...fs.readdirSync(fixture('pipelines')).filter((f) => f.endsWith('.yaml')).map((f) => fixture('pipelines', f)),
  ...fs.readdirSync(fixture('pipelines', 'nvidia')).filter((f) => f.endsWith('.yaml')).map((f) => fixture('pipelines', 'nvidia', f)),
].sort();
const wfName = (file: string) => `imp-${path.basename(file, '.yaml').toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;

function helm(chart: string, ...given: string[]): any[] {
  // engine argo with the stock hostPath volume needs a node to pin runs to (ARGO_HOSTPATH_UNPINNED).
  const set = given.includes('engine=argo') && !given.some((s) => s.startsWith('volume.')) ? [...given, 'volume.nodeSelector.kubernetes\\.io/hostname=node-1'] : given;
  const r = spawnSync(helmBin, ['template', 'clara-workflow', chart, ...set.flatMap((s) => ['--set', s])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return (loadAll(r.stdout) as any[]).filter(Boolean);
}

/** Paths mounted more than once in one container (what the API server refuses). */
function repeatedMountPaths(container: { volumeMounts?: { mountPath: string }[] }): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const m of container.volumeMounts ?? []) {
    const key = mountKey(m.mountPath);
    if (seen.has(key)) twice.push(m.mountPath);
    seen.add(key);
  }
  return twice;
}

const chartView = (c: any, job: string) => (c.volumeMounts ?? []).map((m: any) => ({ path: m.mountPath, folder: String(m.subPath).slice(job.length + 1), readOnly: !!m.readOnly })).sort((a: any, b: any) => a.path.localeCompare(b.path));
const coreView = (mounts: { path: string; folder: string; readOnly: boolean }[]) => mounts.map((m) => ({ path: m.path, folder: m.folder, readOnly: m.readOnly })).sort((a, b) => a.path.localeCompare(b.path));

let chart = '';
let values: Values;
const imported = new Map<string, string>();

beforeAll(async () => {
  const c = chartCopy();
  chart = c.chart;
  for (const [k, file] of pipelineFiles.entries()) {
    const r = await cli(['--chart', chart, 'pipeline', 'import', file, '--prefix', `p${k}-`, '--name', wfName(file)]);
    expect(r.code, `${file}: ${r.stderr}`).toBe(0);
    imported.set(wfName(file), file);
  }
  const check = checkValues(fs.readFileSync(c.values, 'utf8'), 'values.yaml');
  expect(check.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  values = check.values as Values;
}, 120_000);

const everyStage = () => Object.entries(workflowsOf(values)).flatMap(([id, wf]) => (wf as WorkflowSpec).stages.map((stage, i) => ({ id, wf: wf as WorkflowSpec, stage, i })));

describe('mounts as the pipeline declares them', () => {
  it('every NVIDIA and own pipeline fixture imports into the stock chart with --prefix, and the result validates', async () => {
    expect(imported.size).toBe(pipelineFiles.length);
    expect((await cli(['--chart', chart, 'validate'])).code).toBe(0);
  });

  it('Jobs: every container of every stage mounts each path once, and the stage container mounts exactly stageMounts', () => {
    const stages = stagesOf(values) as Record<string, StageSpec>;
    let containers = 0;
    for (const [id, w] of Object.entries(workflowsOf(values))) {
      const wf = w as WorkflowSpec;
      const jobs = helm(chart, `job.workflow=${id}`, `job.id=${JOB}`).filter((d) => d.kind === 'Job');
      expect(jobs.length, wf.name).toBe(wf.stages.length);
      for (const job of jobs) {
        const stage = job.metadata.labels['clara.nvidia.com/stage'];
        const pod = job.spec.template.spec;
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
          containers++;
          expect(repeatedMountPaths(c), `${wf.name} ${stage} ${c.name}`).toEqual([]);
        }
        const i = wf.stages.indexOf(stage);
        expect(chartView(pod.containers[0], JOB), `${wf.name} ${stage}`).toEqual(coreView(stageMounts(wf, i, stages)));
      }
    }
    expect(containers).toBeGreaterThan(40);
  });

  it('Argo: every template container mounts each path once, and exactly stageMounts', () => {
    const stages = stagesOf(values) as Record<string, StageSpec>;
    const wts = helm(chart, 'engine=argo').filter((d) => d.kind === 'WorkflowTemplate');
    expect(wts.length).toBe(Object.keys(workflowsOf(values)).length);
    for (const wt of wts) {
      const id = wt.metadata.labels['clara.nvidia.com/workflow'];
      const wf = workflowsOf(values)[id] as WorkflowSpec;
      for (const t of wt.spec.templates.filter((x: any) => x.container)) {
        expect(repeatedMountPaths(t.container), `${wf.name} ${t.name}`).toEqual([]);
        expect(chartView(t.container, '{{workflow.parameters.job}}'), `${wf.name} ${t.name}`).toEqual(coreView(stageMounts(wf, wf.stages.indexOf(t.name), stages)));
      }
    }
  });

  it('the local runner and docker mount the same set', () => {
    for (const { id, wf, i, stage } of everyStage()) {
      const plan = planRun({ values, workflowId: id, workflow: wf, jobId: JOB, dataDir: '/d', valuesDir: '/c' });
      const s = plan.stages[i]!;
      expect(coreView(s.mounts), `${wf.name} ${stage}`).toEqual(coreView(stageMounts(wf, i, stagesOf(values))));
      for (const m of s.mounts) expect(m.host).toBe(path.join('/d', JOB, m.folder));
      const targets = dockerArgv(plan, s).filter((a) => a.startsWith('type=bind')).map((a) => /target=([^,]+)/.exec(a)![1]);
      expect(new Set(targets).size, `${wf.name} ${stage}`).toBe(targets.length);
    }
  });

  it.each(pipelineFiles.map((f) => [path.relative(fixture('pipelines'), f), f]))('%s: each stage mounts its declared inputs and outputs and the chart folders, nothing else', (_, file) => {
    const doc = load(fs.readFileSync(file, 'utf8')) as any;
    const [id, wf] = Object.entries(workflowsOf(values)).find(([, w]) => w.name === wfName(file)) as [string, WorkflowSpec];
    const stages = stagesOf(values) as Record<string, StageSpec>;
    expect(id).toBeTruthy();
    for (const op of doc.operators) {
      const i = wf.stages.findIndex((s) => s.endsWith(op.name.toLowerCase().replace(/_/g, '-')));
      const sp = stages[wf.stages[i]!]!;
      const disk = (x: any) => typeof x.path === 'string' && (x.type === undefined || x.type === 'stream');
      const ins = (op.input ?? []).filter(disk).map((x: any) => mountKey(x.path));
      const chartOwn = [sp.lockDir, logFolderPath(sp), sp.publishPath].map(mountKey);
      // Outputs at the chart's publish or log folder are that folder.
      const outs = (op.output ?? []).filter(disk).map((x: any) => mountKey(x.path)).filter((p: string) => !chartOwn.includes(p));
      // An operator that lists no input reads the job's payload at its input folder.
      const expected = new Set([...(ins.length ? ins : [mountKey(path.posix.join(sp.appDir, sp.inputs))]), ...(outs.length ? outs : [mountKey(path.posix.join(sp.appDir, sp.outputs))]), ...chartOwn]);
      const got = stageMounts(wf, i, stages).map((m) => mountKey(m.path));
      expect(new Set(got), `${op.name}`).toEqual(expected);
      expect(got.length, `${op.name}: ${got.join(' ')}`).toBe(expected.size);
      // Listed inputs are read-only (the seed's chain, a stage that reads what the previous one wrote, keeps its writable input folder).
      if (listedInputs(wf, i)) for (const m of stageMounts(wf, i, stages)) if (ins.includes(mountKey(m.path))) expect(m.readOnly, `${op.name} ${m.path}`).toBe(true);
    }
  });
});
