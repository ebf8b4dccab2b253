// status: the release (revision, state, chart), the workflows in its catalog
// ConfigMap, and in run mode each stage Job's state.
import { ExternalToolError } from '../../core/errors.js';
import { jobState } from '../../runner/cluster.js';
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
  const mode = stages.length ? 'run' : 'catalog';
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
  if (stages.length) {
    ctx.out('stage jobs:');
    table(ctx, ['#', 'STAGE', 'JOB', 'STATE'], stages.map((s) => [String(s.index + 1), s.stage, s.job, s.state.status + (s.state.reason ? ` (${s.state.reason})` : '')]));
  }
  return 0;
}
