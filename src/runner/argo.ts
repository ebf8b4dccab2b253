// Runtime "argo": the run-mode release renders one Argo Workflow (engine:
// argo); this follows it with a watch, maps its status.nodes to the same
// per-stage states as local runs, stops it (spec.shutdown: Stop) at the run
// timeout, and reads a failed node's pod log.
import { keepWatching } from './watch.js';
import { FollowedRun, terminal, type FollowOptions } from './followed.js';
import type { StageStatus } from './runner.js';

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
