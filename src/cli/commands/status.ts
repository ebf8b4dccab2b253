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
  // Stage Jobs of this release (run mode), and of the run-mode releases its gateway installs (<release>-<job>, engine jobs).
  const allJobs = await cluster.call('reading stage jobs', () => batch.listNamespacedJob({ namespace: ns, labelSelector: 'app.kubernetes.io/component=stage' }));
  const gatewayRuns = new Map<string, { stage: string; state: string }[]>();
  for (const j of allJobs.items) {
    const labels = j.metadata?.labels ?? {};
    if (!labels['app.kubernetes.io/instance']?.startsWith(`${release}-`) || !labels['clara.nvidia.com/job']) continue;
    const list = gatewayRuns.get(labels['clara.nvidia.com/job']) ?? [];
    list[Number(labels['clara.nvidia.com/stage-index'] ?? 0)] = { stage: labels['clara.nvidia.com/stage'] ?? '?', state: jobState(j).status };
    gatewayRuns.set(labels['clara.nvidia.com/job'], list);
  }
  // The gateway (gateway.enabled): its StatefulSet and Services.
  const apps = cluster.kc.makeApiClient(cluster.k8s.AppsV1Api);
  const gatewaySel = `app.kubernetes.io/instance=${release},app.kubernetes.io/component=gateway`;
  const [sets, services] = await Promise.all([cluster.call('reading the gateway', () => apps.listNamespacedStatefulSet({ namespace: ns, labelSelector: gatewaySel })), cluster.call('reading the gateway Services', () => core.listNamespacedService({ namespace: ns, labelSelector: gatewaySel }))]);
  const gatewaySet = sets.items[0];
  const gateway = gatewaySet
    ? {
        name: gatewaySet.metadata?.name ?? '?',
        ready: gatewaySet.status?.readyReplicas ?? 0,
        replicas: gatewaySet.spec?.replicas ?? 1,
        services: services.items.map((svc) => ({ name: svc.metadata?.name ?? '?', type: svc.spec?.type ?? 'ClusterIP', ports: (svc.spec?.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, nodePort: p.nodePort ?? null })) })).sort((a, b) => a.name.localeCompare(b.name)),
      }
    : null;
  const stages = allJobs.items
    .filter((j) => j.metadata?.labels?.['app.kubernetes.io/instance'] === release)
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
    gateway,
    gatewayRuns: [...gatewayRuns].map(([job, st]) => ({ job, stages: st.filter(Boolean) })),
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
  if (gateway) {
    const svc = gateway.services.map((x) => `${x.name} (${x.type} ${x.ports.map((p) => `${p.name} ${p.port}${p.nodePort ? `→node ${p.nodePort}` : ''}`).join(', ')})`).join(', ');
    ctx.out(`gateway: ${gateway.name} ${gateway.ready}/${gateway.replicas} ready; ${svc || 'no Services'}`);
  }
  for (const [job, st] of gatewayRuns) ctx.out(`gateway run of job ${job}: ${st.filter(Boolean).map((x) => `${x.stage} ${x.state}`).join(' → ')}`);
  if (stages.length) {
    ctx.out('stage jobs:');
    table(ctx, ['#', 'STAGE', 'JOB', 'STATE'], stages.map((s) => [String(s.index + 1), s.stage, s.job, s.state.status + (s.state.reason ? ` (${s.state.reason})` : '')]));
  }
  return 0;
}
