// status: the release (revision, state, chart), the workflows in its catalog
// ConfigMap, and in run mode each stage Job's state; with engine argo, the
// release's WorkflowTemplates and a run's Workflow with each node's phase.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { ExternalToolError } from '../../core/errors.js';
import { jobState } from '../../runner/jobs.js';
import type { Ctx } from '../context.js';
import { checkClusterFlags, connect, type ClusterFlags } from '../cluster.js';
import { table } from './stage.js';

export async function status(ctx: Ctx, f: ClusterFlags): Promise<number> {
  checkClusterFlags(f);
  const release = f.release ?? 'clara-workflow';
  const cluster = await connect(ctx, f);
  await cluster.version();
  const state = await cluster.releaseState(release, cluster.namespace);
  if (!state) throw new ExternalToolError(`no release ${release} in namespace ${cluster.namespace} on ${cluster.server}`);
  const core = cluster.kc.makeApiClient(cluster.k8s.CoreV1Api);
  const batch = cluster.kc.makeApiClient(cluster.k8s.BatchV1Api);
  const ns = cluster.namespace;
  const catalogs = await cluster.call('reading the catalog', () => core.listNamespacedConfigMap({ namespace: ns, labelSelector: `app.kubernetes.io/instance=${release},app.kubernetes.io/component=workflow-catalog` }));
  const workflows = catalogs.items.flatMap((cm) =>
    Object.entries(cm.data ?? {}).map(([key, json]) => {
      try {
        const w = JSON.parse(json) as { id: string; name: string; stages: { name: string }[] };
        return { id: w.id, name: w.name, stages: w.stages.map((s) => s.name) };
      } catch {
        return { id: key.replace(/\.json$/, ''), name: '?', stages: [] as string[] };
      }
    }),
  );
  const jobs = await cluster.call('reading stage jobs', () => batch.listNamespacedJob({ namespace: ns, labelSelector: `app.kubernetes.io/instance=${release},app.kubernetes.io/component=stage` }));
  const stages = jobs.items
    .map((j) => ({ index: Number(j.metadata?.labels?.['clara.nvidia.com/stage-index'] ?? 0), stage: j.metadata?.labels?.['clara.nvidia.com/stage'] ?? '?', job: j.metadata?.name ?? '?', state: jobState(j) }))
    .sort((a, b) => a.index - b.index);
  // engine argo: the release's WorkflowTemplates, and the Workflows run from them (labelled with this release) with each node's phase.
  const custom = cluster.kc.makeApiClient(cluster.k8s.CustomObjectsApi);
  const argoList = async (plural: string): Promise<any[]> => {
    try {
      const r = (await custom.listNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: ns, plural, labelSelector: `app.kubernetes.io/instance=${release}` })) as { items?: any[] };
      return r.items ?? [];
    } catch {
      return []; // no Argo on this cluster
    }
  };
  const [templates, runs] = await Promise.all([argoList('workflowtemplates'), argoList('workflows')]);
  const workflowTemplates = templates.map((t) => ({ name: String(t.metadata?.name), workflow: String(t.metadata?.annotations?.['clara.nvidia.com/workflow-name'] ?? '?'), tasks: (t.spec?.templates?.find((x: any) => x.name === t.spec?.entrypoint)?.dag?.tasks ?? []).length }));
  const argoRuns = runs.map((w) => ({
    name: String(w.metadata?.name),
    template: String(w.spec?.workflowTemplateRef?.name ?? ''),
    phase: String(w.status?.phase ?? 'Pending'),
    nodes: Object.values((w.status?.nodes ?? {}) as Record<string, any>)
      .filter((n) => n.type === 'Pod' || n.type === 'Retry')
      .map((n) => ({ node: String(n.displayName ?? n.name), phase: String(n.phase ?? '?'), message: n.message ?? null })),
  }));
  const mode = stages.length || argoRuns.length ? 'run' : 'catalog';
  const result = {
    release,
    namespace: ns,
    server: cluster.server,
    revision: state.revision,
    status: state.status,
    chartVersion: state.chartVersion ?? null,
    appVersion: state.appVersion ?? null,
    updated: state.updated ?? null,
    mode,
    workflows,
    stages: stages.map((s) => ({ stage: s.stage, job: s.job, state: s.state.status, reason: s.state.reason })),
    workflowTemplates,
    argoWorkflows: argoRuns,
  };
  if (ctx.json) {
    ctx.printJson(result);
    return 0;
  }
  ctx.out(`release ${release} in ${ns}: revision ${state.revision}, ${state.status}${state.chartVersion ? ` (chart ${state.chartVersion}, app ${state.appVersion ?? '?'})` : ''}`);
  if (workflows.length) {
    ctx.out(`catalog: ${workflows.length} workflow${workflows.length === 1 ? '' : 's'}`);
    table(ctx, ['ID', 'NAME', 'STAGES'], workflows.map((w) => [w.id, w.name, w.stages.join(' → ')]));
  }
  if (workflowTemplates.length) {
    ctx.out(`argo: ${workflowTemplates.length} WorkflowTemplate${workflowTemplates.length === 1 ? '' : 's'}`);
    table(ctx, ['TEMPLATE', 'WORKFLOW', 'TASKS'], workflowTemplates.map((t) => [t.name, t.workflow, String(t.tasks)]));
  }
  for (const r of argoRuns) {
    ctx.out(`argo workflow ${r.name} (template ${r.template}): ${r.phase}`);
    if (r.nodes.length) table(ctx, ['NODE', 'PHASE'], r.nodes.map((n) => [n.node, n.phase + (n.message ? ` (${n.message})` : '')]));
  }
  if (stages.length) {
    ctx.out('stage jobs:');
    table(ctx, ['#', 'STAGE', 'JOB', 'STATE'], stages.map((s) => [String(s.index + 1), s.stage, s.job, s.state.status + (s.state.reason ? ` (${s.state.reason})` : '')]));
  }
  return 0;
}
