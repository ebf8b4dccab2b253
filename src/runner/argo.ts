// Runtime "argo": a Workflow per job from the catalog release's
// WorkflowTemplate (engine: argo), submitted through the API; followed with a
// watch, its status.nodes mapped to the same per-stage states as local runs,
// stopped (spec.shutdown: Stop) at the run timeout, a failed node's pod log read.
import { createHash } from 'node:crypto';
import { helmFailed, startHelm } from '../adapters/helm.js';
import { ExternalToolError, UsageError } from '../core/errors.js';
import { keepWatching } from './watch.js';
import { FollowedRun, terminal, type ClusterSetup, type FollowOptions } from './followed.js';
import type { RunPlan } from './plan.js';
import type { StageStatus } from './runner.js';
import { stageRun, type Runtime, type StageRun, type StartOptions } from './runtime.js';

const GROUP = 'argoproj.io';
const VERSION = 'v1alpha1';

/* eslint-disable @typescript-eslint/no-explicit-any */
interface ArgoNode {
  id: string;
  name?: string;
  displayName?: string;
  type?: string;
  phase?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}

export type ArgoRunOptions = FollowOptions;

/** A node's phase as a stage status (Argo: Pending, Running, Succeeded, Failed, Error, Skipped, Omitted). */
export function nodeStatus(phase: string | undefined): StageStatus {
  switch (phase) {
    case 'Running':
      return 'running';
    case 'Succeeded':
      return 'done';
    case 'Failed':
    case 'Error':
      return 'failed';
    case 'Skipped':
    case 'Omitted':
      return 'skipped';
    default:
      return 'waiting';
  }
}

export class ArgoRun extends FollowedRun {
  /** The Workflow's name, once seen. */
  workflow: string | null = null;
  private readonly podOf = new Map<string, string>();

  protected onTimeout(reason: string): void {
    void this.stop(reason, 'timeout');
  }

  /** Ctrl-C: stop the Workflow too. */
  abort(reason: string): void {
    void this.stop(reason);
  }

  /** Stop the Workflow (Argo's spec.shutdown: Stop) and end the run. */
  async stop(reason: string, as: StageStatus = 'killed'): Promise<void> {
    if (this.abortReason) return;
    this.abortReason = reason;
    const { cluster } = this.opts;
    if (this.workflow) {
      const api = cluster.kc.makeApiClient(cluster.k8s.CustomObjectsApi);
      await cluster
        .call(`stopping workflow ${this.workflow}`, () =>
          api.patchNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.namespace, plural: 'workflows', name: this.workflow as string, body: { spec: { shutdown: 'Stop' } } }, cluster.k8s.setHeaderOptions('Content-Type', 'application/merge-patch+json')),
        )
        .catch(() => undefined);
    }
    this.endOpen(reason, as);
  }

  protected async watch(): Promise<void> {
    const { cluster, release } = this.opts;
    const w = keepWatching<any>(cluster, `/apis/${GROUP}/${VERSION}/namespaces/${cluster.namespace}/workflows`, `app.kubernetes.io/instance=${release},clara.nvidia.com/job=${this.plan.jobId}`, (wf) => this.observe(wf));
    this.stopWatch = w.stop;
    await w.started;
  }

  private observe(wf: any): void {
    this.workflow = wf?.metadata?.name ?? this.workflow;
    if (this.abortReason) return;
    const nodes = Object.values((wf?.status?.nodes ?? {}) as Record<string, ArgoNode>).filter((n) => n.type === 'Pod' || n.type === 'Retry');
    this.states.forEach((st, i) => {
      if (terminal(st.status)) return;
      // A retried stage has a Retry node and one Pod node per attempt: the Retry node speaks for it.
      const mine = nodes.filter((n) => n.displayName === st.name || n.displayName?.startsWith(`${st.name}(`));
      const node = mine.find((n) => n.type === 'Retry') ?? mine.at(-1);
      if (!node) return;
      if (node.type === 'Pod') this.podOf.set(st.name, node.id);
      const status = nodeStatus(node.phase);
      const log = `workflow/${this.workflow} node ${node.displayName}`;
      if (status === 'running' && st.status !== 'running') this.update(i, { status, startedAt: node.startedAt ? new Date(node.startedAt) : new Date(), log });
      else if (terminal(status)) this.update(i, { status, reason: status === 'done' ? null : (node.message ?? node.phase ?? null), startedAt: st.startedAt ?? (node.startedAt ? new Date(node.startedAt) : null), finishedAt: node.finishedAt ? new Date(node.finishedAt) : new Date(), log });
    });
    const phase = wf?.status?.phase;
    if (['Succeeded', 'Failed', 'Error'].includes(phase)) {
      // Whatever never started is skipped, with the Workflow's reason.
      this.states.forEach((st, i) => {
        if (!terminal(st.status)) this.update(i, { status: 'skipped', reason: wf.status.message ?? `workflow ${phase}` });
      });
    }
    this.maybeFinish();
  }

  /** The log of a stage's (last) pod. */
  async logs(stage: string): Promise<string> {
    const { cluster } = this.opts;
    const core = cluster.kc.makeApiClient(cluster.k8s.CoreV1Api);
    try {
      const pods = await cluster.call('listing pods', () => core.listNamespacedPod({ namespace: cluster.namespace, labelSelector: `workflows.argoproj.io/workflow=${this.workflow}` }));
      const want = `${this.workflow}.${stage}`;
      const out: string[] = [];
      for (const p of pods.items) {
        const node = p.metadata?.annotations?.['workflows.argoproj.io/node-name'] ?? '';
        if (node !== want && !node.startsWith(`${want}(`) && p.metadata?.name !== this.podOf.get(stage)) continue;
        const name = p.metadata?.name as string;
        const text = await cluster.call(`reading logs of ${name}`, () => core.readNamespacedPodLog({ name, namespace: cluster.namespace, container: 'main' }).catch(() => core.readNamespacedPodLog({ name, namespace: cluster.namespace })));
        out.push(`--- pod ${name} ---\n${text}`);
      }
      return out.join('\n');
    } catch (e) {
      return `(logs unavailable: ${(e as Error).message})`;
    }
  }
}

/**
 * The catalog release's WorkflowTemplate for a workflow. If the cluster has
 * none, install (or upgrade) the catalog release with engine argo first, and say so.
 */
async function ensureArgoCatalog(setup: ClusterSetup, wf: { id: string; name: string }): Promise<string> {
  const { cluster } = setup;
  const api = cluster.kc.makeApiClient(cluster.k8s.CustomObjectsApi);
  const find = async () => {
    const list = await cluster
      .call('listing Argo WorkflowTemplates', () => api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.namespace, plural: 'workflowtemplates', labelSelector: `app.kubernetes.io/instance=${setup.catalogRelease},clara.nvidia.com/workflow=${wf.id}` }))
      .catch((e: Error) => {
        if (/404|not found/i.test(e.message)) throw new UsageError(`the cluster at ${cluster.server} has no Argo Workflows (no workflowtemplates.argoproj.io); install Argo, or run with --runtime cluster (Jobs)`);
        throw e;
      });
    return ((list as { items?: { metadata?: { name?: string } }[] }).items ?? [])[0]?.metadata?.name;
  };
  const found = await find();
  if (found) return found;
  if (setup.installCatalog === false) throw new UsageError(`release ${setup.catalogRelease} in namespace ${cluster.namespace} has no WorkflowTemplate for workflow ${wf.name} (${wf.id}): upgrade the release with engine argo and this workflow in its values`);
  setup.info(`no WorkflowTemplate for ${wf.name} in release ${setup.catalogRelease}: installing the catalog with engine argo (helm upgrade --install ${setup.catalogRelease})`);
  const args = ['upgrade', '--install', setup.catalogRelease, setup.chartDir, ...setup.clusterArgs, ...setup.valuesArgs, '--set-string', 'engine=argo', ...(setup.createNamespace ? ['--create-namespace'] : [])];
  const r = await startHelm(setup.helmBin, args, { env: setup.env, cwd: setup.cwd }).done;
  if (r.code !== 0) helmFailed(`helm upgrade --install ${setup.catalogRelease}`, r);
  const installed = await find();
  if (!installed) throw new ExternalToolError(`release ${setup.catalogRelease} was installed with engine argo but has no WorkflowTemplate for ${wf.name}`);
  return installed;
}

/**
 * The job's Workflow name: the template's and the whole job ID, so the same
 * job always names the same Workflow; over 63 characters (Argo puts the name
 * in pod labels), a readable part and a hash of the whole name.
 */
export function workflowName(template: string, jobId: string): string {
  const full = `${template}-${jobId}`.toLowerCase();
  if (full.length <= 63) return full;
  return `${full.slice(0, 52).replace(/-+$/, '')}-${createHash('sha256').update(full).digest('hex').slice(0, 10)}`;
}

/**
 * The Workflow running the template for one job, created through the API under
 * the job's own name: a second submit of the same job (a retry, a restarted
 * caller) finds it there (409 AlreadyExists) and runs nothing twice.
 */
async function submitWorkflow(setup: ClusterSetup, template: string, plan: RunPlan, runTimeoutMs: number, fresh: boolean): Promise<{ name: string; existed: boolean; replaced: boolean }> {
  const { cluster } = setup;
  const api = cluster.kc.makeApiClient(cluster.k8s.CustomObjectsApi);
  const name = workflowName(template, plan.jobId);
  const body = {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Workflow',
    metadata: {
      name,
      labels: { 'app.kubernetes.io/instance': setup.catalogRelease, 'app.kubernetes.io/managed-by': 'clara-wf', 'app.kubernetes.io/component': 'workflow-run', 'clara.nvidia.com/workflow': plan.workflowId, 'clara.nvidia.com/job': plan.jobId },
      annotations: { 'clara.nvidia.com/workflow-name': plan.workflowName },
    },
    spec: { workflowTemplateRef: { name: template }, arguments: { parameters: [{ name: 'job', value: plan.jobId }] }, activeDeadlineSeconds: Math.ceil(runTimeoutMs / 1000) },
  };
  const create = () =>
    cluster.call('submitting the Argo Workflow', () =>
      api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.namespace, plural: 'workflows', body }).then(
        () => false,
        (e: { code?: number }) => {
          if (e.code === 409) return true;
          throw e;
        },
      ),
    );
  // A new attempt: the last attempt's Workflow (finished, or stopped) goes first.
  const replaced = fresh && (await deleteWorkflow(setup, name));
  const existed = await create();
  if (existed && fresh) throw new ExternalToolError(`Argo Workflow ${name} of an earlier attempt of job ${plan.jobId} was deleted but is still there; delete it (kubectl delete workflow ${name} -n ${cluster.namespace}) and retry the job`);
  return { name, existed, replaced };
}

/** Delete a Workflow and wait (up to 30 s) until the API no longer has it: finalizers may hold it a moment. False: there was none. */
async function deleteWorkflow(setup: ClusterSetup, name: string): Promise<boolean> {
  const { cluster } = setup;
  const api = cluster.kc.makeApiClient(cluster.k8s.CustomObjectsApi);
  const gone = (e: { code?: number }) => {
    if (e.code === 404) return true;
    throw e;
  };
  if (await cluster.call(`deleting workflow ${name}`, () => api.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.namespace, plural: 'workflows', name, propagationPolicy: 'Foreground' }).then(() => false, gone))) return false;
  for (let t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 200))) {
    if (await cluster.call(`looking for workflow ${name}`, () => api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.namespace, plural: 'workflows', name }).then(() => false, gone))) break;
  }
  return true;
}

/** A job's Workflow, followed; removing it deletes the Workflow. */
function followWorkflow(setup: ClusterSetup, plan: RunPlan, name: string, opts: StartOptions): StageRun {
  const run = new ArgoRun(plan, { cluster: setup.cluster, release: setup.catalogRelease, runTimeoutMs: opts.runTimeoutMs, onChange: opts.onChange });
  run.workflow = name;
  return stageRun(run, {
    logs: (stage) => run.logs(stage),
    where: `workflow ${name}`,
    remove: async () => {
      await deleteWorkflow(setup, name);
    },
  });
}

export function argoRuntime(setup: ClusterSetup): Runtime {
  return {
    name: 'argo',
    async start(plan, opts) {
      const template = await ensureArgoCatalog(setup, { id: plan.workflowId, name: plan.workflowName });
      const { name, existed, replaced } = await submitWorkflow(setup, template, plan, opts.runTimeoutMs, opts.fresh === true);
      setup.info(existed ? `Argo Workflow ${name} of job ${plan.jobId} exists already: following it (nothing submitted again)` : `submitted Argo Workflow ${name} from WorkflowTemplate ${template}${replaced ? ' (the last attempt\'s Workflow deleted first)' : ''}`);
      return followWorkflow(setup, plan, name, opts);
    },
    async reattach(plan, _left, opts) {
      if (!plan) return { stopped: 0, run: null };
      // The Workflow outlives the caller: follow the job's Workflow again if there is one.
      const { cluster } = setup;
      const api = cluster.kc.makeApiClient(cluster.k8s.CustomObjectsApi);
      const list = (await cluster.call('listing Argo Workflows', () => api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.namespace, plural: 'workflows', labelSelector: `app.kubernetes.io/instance=${setup.catalogRelease},clara.nvidia.com/job=${plan.jobId}` }))) as { items?: { metadata?: { name?: string } }[] };
      const name = list.items?.[0]?.metadata?.name;
      return { stopped: 0, run: name ? followWorkflow(setup, plan, name, opts) : null };
    },
  };
}
