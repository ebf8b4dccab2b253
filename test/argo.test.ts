// engine: argo, checked as rendered by the real helm: every WorkflowTemplate
// and Workflow structurally (@kubernetes-models/argo-workflows 2.0.0, pinned)
// and semantically by our own check (entrypoint, templates, dependencies, no
// cycles, the DAG equals the workflow's), and each stage's container equals
// the Jobs rendering's (same image, command, args, env, resources, mounts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Workflow } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Workflow';
import { WorkflowTemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowTemplate';
import { loadAll } from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeTestServer, type KubeServerOptions } from './kube/server.js';
import { argoProblems } from './argo-check.js';
import { checkValues } from '../src/core/validate-values.js';
import type { Values } from '../src/core/model.js';
import { chartCopy, cli, fixture, helmBin, repoRoot, tempDir } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const JOB = '11111111-1111-1111-1111-111111111111';

function helm(chart: string, ...given: string[]): any[] {
  // engine argo with the stock hostPath volume needs a node to pin runs to (ARGO_HOSTPATH_UNPINNED).
  const set = given.includes('engine=argo') && !given.some((s) => s.startsWith('volume.')) ? [...given, 'volume.nodeSelector.kubernetes\\.io/hostname=node-1'] : given;
  const r = spawnSync(helmBin, ['template', 'clara-workflow', chart, ...set.flatMap((s) => ['--set', s])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return (loadAll(r.stdout) as any[]).filter(Boolean);
}

/** The workflow's DAG from values: each stage depends on its wait lock's owner and every stage it reads. */
function valuesDag(values: Values, id: string): Record<string, string[]> {
  const wf = (values.workflows as any)[id];
  const stages = values.stages as any;
  return Object.fromEntries(
    wf.stages.map((s: string, i: number) => {
      const lock = wf.waitLocks[i];
      const deps = new Set<string>();
      if (lock) deps.add(wf.stages.find((o: string) => stages[o].lockName === lock));
      const listed = wf.inputs?.[i];
      if (Array.isArray(listed)) for (const x of listed) if (x.from) deps.add(x.from);
      return [s, [...deps].sort()];
    }),
  );
}

const templateDag = (wt: any) => Object.fromEntries(wt.spec.templates.find((t: any) => t.name === wt.spec.entrypoint).dag.tasks.map((t: any) => [t.name, [...(t.dependencies ?? [])].sort()]));

function checkChart(chart: string) {
  const values = checkValues(fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8'), 'values.yaml').values as Values;
  const docs = helm(chart, 'engine=argo');
  const wts = docs.filter((d) => d.kind === 'WorkflowTemplate');
  expect(wts.length).toBe(Object.keys(values.workflows as object).length);
  expect(docs.filter((d) => d.kind === 'Job')).toEqual([]);
  for (const wt of wts) {
    new WorkflowTemplate(wt).validate();
    expect(argoProblems(wt), wt.metadata.name).toEqual([]);
    const id = wt.metadata.labels['clara.nvidia.com/workflow'];
    expect(templateDag(wt), wt.metadata.name).toEqual(valuesDag(values, id));
    // Each stage's container is the Jobs rendering's, with the job as Argo's parameter and no lock to wait on.
    const jobs = helm(chart, `job.workflow=${id}`, `job.id=${JOB}`).filter((d) => d.kind === 'Job');
    for (const job of jobs) {
      const stage = job.metadata.labels['clara.nvidia.com/stage'];
      const fromJob = job.spec.template.spec.containers[0];
      const tpl = wt.spec.templates.find((t: any) => t.name === stage);
      const fromArgo = JSON.parse(JSON.stringify(tpl.container).split('{{workflow.parameters.job}}').join(JOB));
      const noWait = (c: any) => ({ ...c, env: c.env.map((e: any) => (e.name === 'NVIDIA_CLARA_WAIT_LOCK' ? { ...e, value: '' } : e)) });
      expect(fromArgo, `${wt.metadata.name} ${stage}`).toEqual(noWait(fromJob));
      expect(tpl.activeDeadlineSeconds).toBe(Number((values.stages as any)[stage].timeout));
    }
    // Run mode: one Workflow that runs this template for the job.
    const run = helm(chart, 'engine=argo', `job.workflow=${id}`, `job.id=${JOB}`);
    expect(run.map((d) => d.kind)).toEqual(['Workflow']);
    new Workflow(run[0]).validate();
    expect(run[0].spec.workflowTemplateRef.name).toBe(wt.metadata.name);
    expect(run[0].spec.arguments.parameters).toEqual([{ name: 'job', value: JOB }]);
  }
  return wts;
}

describe('engine: argo', () => {
  it('every reference workflow: valid WorkflowTemplates whose DAG and containers are the workflow\'s', () => {
    const wts = checkChart(path.join(repoRoot, 'charts', 'clara-workflow'));
    const liver = wts.find((w) => w.metadata.annotations['clara.nvidia.com/workflow-name'] === 'liver-seg');
    expect(liver.metadata.name).toBe('clara-workflow-liver-seg');
    expect(liver.spec.podGC).toEqual({ strategy: 'OnPodSuccess' });
    // hostPath under argo: the run is pinned to the named node (pod affinity cannot hold a run whose stages run one after another).
    expect(liver.spec.nodeSelector).toEqual({ 'kubernetes.io/hostname': 'node-1' });
    expect(liver.spec.affinity).toBeUndefined();
    expect(liver.spec.templates.find((t: any) => t.name === 'ai-livertumor').container.resources.limits['nvidia.com/gpu']).toBe(1);
  });

  it('DAG workflows (fan-out, fan-in, payload inputs, named outputs) render their DAG, not a chain', async () => {
    const c = chartCopy({ values: 'stages: {}\nworkflows: {}\n' });
    fs.writeFileSync(path.join(c.chart, 'files', 'dicom-server-config.yaml'), 'dicom:\n  scp:\n    port: 104\n    ae-titles: []\n  scu:\n    ae-title: ClaraSCU\n');
    for (const f of ['diamond-unordered.yaml', 'multi-output.yaml', 'fan-in.yaml']) {
      const file = path.join(tempDir(), f);
      fs.copyFileSync(fixture('pipelines', f), file);
      const r = await cli(['--chart', c.chart, 'pipeline', 'import', file]);
      expect(r.code, r.stderr).toBe(0);
    }
    const wts = checkChart(c.chart);
    const diamond = wts.find((w) => w.metadata.annotations['clara.nvidia.com/workflow-name'] === 'diamond');
    expect(templateDag(diamond)).toEqual({ start: [], left: ['start'], right: ['start'], join: ['left', 'right'] });
  });

  it('retries, the volume choices and the chart settings reach the template', () => {
    const c = chartCopy();
    const values = fs.readFileSync(c.values, 'utf8').replace('    timeout: "120"\n', '    timeout: "120"\n    retries: 2\n');
    expect(values).toContain('retries: 2');
    fs.writeFileSync(c.values, values);
    expect((checkValues(values, 'values.yaml').diagnostics ?? []).filter((d) => d.severity === 'error')).toEqual([]);
    const claim = helm(c.chart, 'engine=argo', 'volume.type=volumeClaimTemplate', 'volume.size=20Gi', 'argo.podGC.strategy=OnWorkflowCompletion', 'serviceAccountName=clara');
    const wt = claim.find((d) => d.kind === 'WorkflowTemplate' && d.spec.templates.some((t: any) => t.retryStrategy));
    expect(wt.spec.templates.find((t: any) => t.retryStrategy).retryStrategy).toEqual({ limit: 2 });
    expect(wt.spec.volumes).toBeUndefined();
    expect(wt.spec.affinity).toBeUndefined();
    expect(wt.spec.volumeClaimTemplates).toEqual([{ metadata: { name: 'clara-io' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } } }]);
    expect(wt.spec.podGC).toEqual({ strategy: 'OnWorkflowCompletion' });
    expect(wt.spec.serviceAccountName).toBe('clara');
    // @kubernetes-models/argo-workflows wrongly requires apiVersion/kind on volumeClaimTemplates entries (a
    // PersistentVolumeClaim without them is what Argo takes): added here for its check, not in the chart.
    const forModel = structuredClone(wt);
    forModel.spec.volumeClaimTemplates = forModel.spec.volumeClaimTemplates.map((v: any) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...v }));
    new WorkflowTemplate(forModel).validate();
    const pvc = helm(c.chart, 'engine=argo', 'volume.type=persistentVolumeClaim', 'volume.claimName=rwx').find((d) => d.kind === 'WorkflowTemplate');
    expect(pvc.spec.volumes).toEqual([{ name: 'clara-io', persistentVolumeClaim: { claimName: 'rwx' } }]);
  });

  it('the structural check can fail: a bad podGC strategy is rejected', () => {
    const wt = helm(path.join(repoRoot, 'charts', 'clara-workflow'), 'engine=argo').find((d) => d.kind === 'WorkflowTemplate');
    wt.spec.podGC.strategy = 'Sometimes';
    expect(() => new WorkflowTemplate(wt).validate()).toThrow();
    const broken = structuredClone(wt);
    broken.spec.templates[0].dag.tasks[1].dependencies = ['nope'];
    broken.spec.templates[0].dag.tasks.push({ name: 'x', template: 'missing' });
    expect(argoProblems(broken)).toEqual(expect.arrayContaining([expect.stringMatching(/dependency nope is not a task/), expect.stringMatching(/template missing does not exist/)]));
  });

  it('the same guards fail under argo as under Jobs', () => {
    const c = chartCopy();
    fs.writeFileSync(c.values, fs.readFileSync(c.values, 'utf8').replace('waitLocks: ["", "dicom-reader.lock", "user-ai.lock"]', 'waitLocks: ["", "nope.lock", "user-ai.lock"]'));
    const r = spawnSync(helmBin, ['template', 'x', c.chart, '--set', 'engine=argo', '--set', 'volume.nodeSelector.kubernetes\\.io/hostname=node-1'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/waits on "nope.lock"/);
  });
});

describe('test --runtime argo (test server with a small Argo controller)', () => {
  const servers: KubeTestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });
  const cluster = async (opts: KubeServerOptions) => {
    const server = await KubeTestServer.start(opts);
    servers.push(server);
    const home = tempDir();
    return { server, env: { HOME: home, KUBECONFIG: server.kubeconfig(home) } };
  };
  const RUN = '33333333-3333-3333-3333-333333333333';

  it('installs the catalog with engine argo when the template is missing, runs the DAG in order, removes the Workflow', async () => {
    const order: string[] = [];
    const { server, env } = await cluster({ argo: (_wf, task) => (order.push(task), { result: 'succeed', runMs: 40 }) });
    const r = await cli(['test', 'liver-seg', RUN, '--runtime', 'argo', '--set', 'volume.nodeSelector.kubernetes\\.io/hostname=node-1', '--json'], { cwd: repoRoot, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.stages.map((s: any) => `${s.name}:${s.status}`)).toEqual(['dicom-reader:done', 'ai-livertumor:done', 'dicom-writer:done']);
    expect(order).toEqual(['dicom-reader', 'ai-livertumor', 'dicom-writer']);
    expect(server.objects('WorkflowTemplate', 'default').map((w) => w.metadata.name).sort()).toEqual(['clara-workflow-liver-seg', 'clara-workflow-threshold-example', 'clara-workflow-user-workflow']);
    expect(server.objects('Job')).toEqual([]);
    expect(server.objects('Workflow')).toEqual([]); // the run release was uninstalled
    // A second run finds the template and does not reinstall the catalog.
    const again = await cli(['test', 'liver-seg', '44444444-4444-4444-4444-444444444444', '--runtime', 'argo', '--set', 'volume.nodeSelector.kubernetes\\.io/hostname=node-1'], { cwd: repoRoot, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/installing the catalog/);
  });

  it('a failed stage: exit 1, its pod log printed, its dependants skipped (Omitted)', async () => {
    const { env } = await cluster({ argo: (_wf, task) => (task === 'ai-livertumor' ? { result: 'fail', runMs: 30, log: 'loading model...\nCUDA error: out of memory\n' } : { result: 'succeed', runMs: 30 }) });
    const r = await cli(['test', 'liver-seg', RUN, '--runtime', 'argo', '--set', 'volume.nodeSelector.kubernetes\\.io/hostname=node-1'], { cwd: repoRoot, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no WorkflowTemplate for liver-seg in release clara-workflow: installing the catalog with engine argo/);
    expect(r.stderr).toMatch(/stage ai-livertumor failed \(Error \(exit code 1\)\)/);
    expect(r.stderr).toMatch(/\| CUDA error: out of memory/);
    expect(r.stderr).toMatch(/dicom-writer skipped/);
  });

  it('the run timeout stops the Workflow (spec.shutdown: Stop) and --keep keeps it', async () => {
    const { server, env } = await cluster({ argo: () => ({ result: 'hang' }) });
    const t0 = Date.now();
    const r = await cli(['test', 'liver-seg', RUN, '2', '--runtime', 'argo', '--set', 'volume.nodeSelector.kubernetes\\.io/hostname=node-1', '--keep', '--json'], { cwd: repoRoot, env });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, aborted: 'the run timed out after 2 s' });
    const [wf] = server.objects('Workflow', 'default');
    expect(wf.spec.shutdown).toBe('Stop');
    expect(wf.spec.workflowTemplateRef).toEqual({ name: 'clara-workflow-liver-seg' });
    // status: the catalog release's WorkflowTemplates; the kept run's Workflow with each node's phase.
    const cat = JSON.parse((await cli(['status', '--json'], { cwd: repoRoot, env })).stdout);
    expect(cat.workflowTemplates.map((t: any) => `${t.workflow}:${t.tasks}`).sort()).toEqual(['liver-seg:3', 'threshold-example:3', 'user-workflow:3']);
    expect(cat.argoWorkflows.map((w: any) => w.name)).toEqual([wf.metadata.name]);
    const run = await cli(['status'], { cwd: repoRoot, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/argo workflow clara-workflow-liver-seg-\S+ \(template clara-workflow-liver-seg\): Failed/);
    expect(run.stdout).toMatch(/dicom-reader\s+Failed \(Stopped with strategy 'Stop'\)/);
    expect(wf.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'clara-workflow', 'clara.nvidia.com/job': RUN });
    expect(wf.spec.arguments.parameters).toEqual([{ name: 'job', value: RUN }]);
    new Workflow(wf as any).validate();
  });

  it('the Workflow is named from the job: a second submit of the same job follows it and submits nothing', async () => {
    let starts = 0;
    const { server, env } = await cluster({ argo: () => (starts++, { result: 'succeed', runMs: 20 }) });
    const args = ['test', 'liver-seg', RUN, '--runtime', 'argo', '--set', 'volume.nodeSelector.kubernetes\\.io/hostname=node-1', '--keep'];
    const first = await cli(args, { cwd: repoRoot, env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`submitted Argo Workflow clara-workflow-liver-seg-${RUN} from WorkflowTemplate clara-workflow-liver-seg`);
    const second = await cli(args, { cwd: repoRoot, env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`Argo Workflow clara-workflow-liver-seg-${RUN} of job ${RUN} exists already: following it (nothing submitted again)`);
    expect(server.objects('Workflow', 'default').map((w) => w.metadata.name)).toEqual([`clara-workflow-liver-seg-${RUN}`]);
    expect(starts).toBe(3); // each stage ran once
  });

  it('a job ID that makes the name longer than 63 characters is shortened with a hash, the same every time', async () => {
    const { workflowName } = await import('../src/runner/argo.js');
    const long = workflowName('clara-workflow-a-rather-long-workflow-name', '11111111-1111-1111-1111-111111111111');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^clara-workflow-a-rather-long-workflow-name-11111111-[0-9a-f]{10}$|^[a-z0-9-]+-[0-9a-f]{10}$/);
    expect(workflowName('clara-workflow-a-rather-long-workflow-name', '11111111-1111-1111-1111-111111111111')).toBe(long);
    expect(workflowName('clara-workflow-a-rather-long-workflow-name', '11111111-1111-1111-1111-111111111112')).not.toBe(long);
  });

  it('a cluster without Argo says so, and nothing is installed', async () => {
    const { server, env } = await cluster({});
    const r = await cli(['test', 'liver-seg', RUN, '--runtime', 'argo', '--set', 'volume.nodeSelector.kubernetes\\.io/hostname=node-1'], { cwd: repoRoot, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has no Argo Workflows .*--runtime cluster/);
    expect(server.objects('ConfigMap', 'default').filter((c) => c.metadata.name.startsWith('clara'))).toEqual([]);
  });
});

describe('production defaults, both engines, every rendered document valid', () => {
  it('every document of every rendering validates with kubernetes-models / @kubernetes-models/argo-workflows', async () => {
    const { Job } = await import('kubernetes-models/batch/v1/Job');
    const { ConfigMap } = await import('kubernetes-models/v1/ConfigMap');
    const { CustomResourceDefinition } = await import('kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition');
    const models: Record<string, any> = { Job, ConfigMap, CustomResourceDefinition, WorkflowTemplate, Workflow };
    const chart = path.join(repoRoot, 'charts', 'clara-workflow');
    const values = checkValues(fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8'), 'values.yaml').values as Values;
    const crd = (loadAll(fs.readFileSync(path.join(chart, 'crds', 'pipelines.clara.nvidia.com.yaml'), 'utf8')) as any[]).filter(Boolean);
    let checked = 0;
    for (const engine of ['jobs', 'argo']) {
      const renders = [helm(chart, `engine=${engine}`), ...Object.keys(values.workflows as object).map((id) => helm(chart, `engine=${engine}`, `job.workflow=${id}`, `job.id=${JOB}`))];
      for (const doc of [...crd, ...renders.flat()]) {
        const Model = models[doc.kind];
        expect(Model, `a model for ${doc.kind}`).toBeDefined();
        new Model(doc).validate();
        checked++;
        if (doc.kind !== 'Job') continue;
        const pod = doc.spec.template.spec;
        expect(doc.spec.ttlSecondsAfterFinished).toBe(86400);
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
        for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
          expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
          expect(c.resources.requests.cpu && c.resources.requests.memory, `${doc.metadata.name} ${c.name} is not BestEffort`).toBeTruthy();
        }
        for (const c of pod.initContainers ?? []) expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534 });
      }
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('a stage overrides its security context and asks for its token; the chart defaults are settings', () => {
    const c = chartCopy();
    const text = fs.readFileSync(c.values, 'utf8').replace('    timeout: "120"\n', '    timeout: "120"\n    securityContext: {runAsNonRoot: true, runAsUser: 1000}\n    automountServiceAccountToken: true\n');
    fs.writeFileSync(c.values, text);
    expect(checkValues(text, 'values.yaml').diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const jobs = helm(c.chart, 'job.workflow=threshold-example', `job.id=${JOB}`, 'defaultRequests.cpu=250m', 'jobs.ttlSecondsAfterFinished=600').filter((d) => d.kind === 'Job');
    const threshold = jobs.find((j) => j.metadata.labels['clara.nvidia.com/stage'] === 'threshold');
    const reader = jobs.find((j) => j.metadata.labels['clara.nvidia.com/stage'] === 'dicom-reader');
    expect(threshold.spec.template.spec.automountServiceAccountToken).toBe(true);
    expect(threshold.spec.template.spec.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 1000 });
    expect(reader.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(reader.spec.template.spec.containers[0].resources.requests.cpu).toBe('250m');
    expect(reader.spec.ttlSecondsAfterFinished).toBe(600);
    // The same container under Argo.
    const wt = helm(c.chart, 'engine=argo').find((d) => d.kind === 'WorkflowTemplate' && d.metadata.annotations['clara.nvidia.com/workflow-name'] === 'threshold-example');
    expect(wt.spec.templates.find((t: any) => t.name === 'threshold').container.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(wt.spec.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
  });
});
