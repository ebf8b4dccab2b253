// Runtime "argo": the run-mode release renders one Argo Workflow (engine:
// argo); this follows it with a watch, maps its status.nodes to the same
// per-stage states as local runs, stops it (spec.shutdown: Stop) at the run
// timeout, and reads a failed node's pod log.
import type { Cluster } from '../adapters/kube.js';
import type { RunPlan } from './plan.js';
import type { RunResult, StageState, StageStatus } from './runner.js';

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

export interface ArgoRunOptions {
  cluster: Cluster;
  release: string;
  runTimeoutMs: number;
  onChange?: (st: StageState, all: readonly StageState[]) => void;
}

const terminal = (s: StageStatus) => s !== 'waiting' && s !== 'running';

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

export class ArgoRun {
  private readonly states: StageState[];
  private abortReason: string | null = null;
  private finish!: (r: RunResult) => void;
  private stopWatch: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The Workflow's name, once seen. */
  workflow: string | null = null;
  private readonly podOf = new Map<string, string>();

  constructor(
    private readonly plan: RunPlan,
    private readonly opts: ArgoRunOptions,
  ) {
    this.states = plan.stages.map((s) => ({ name: s.name, status: 'waiting', exitCode: null, signal: null, pid: null, startedAt: null, finishedAt: null, log: '', reason: null, startDelayMs: null }));
  }

  async run(): Promise<RunResult> {
    const done = new Promise<RunResult>((r) => (this.finish = r));
    this.timer = setTimeout(() => void this.stop(`the run timed out after ${Math.round(this.opts.runTimeoutMs / 1000)} s`, 'timeout'), this.opts.runTimeoutMs);
    await this.watch();
    return done;
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
    this.states.forEach((st, i) => {
      if (st.status === 'waiting') this.update(i, { status: 'skipped', reason });
      else if (st.status === 'running') this.update(i, { status: as, reason, finishedAt: new Date() });
    });
    this.maybeFinish();
  }

  private update(i: number, patch: Partial<StageState>): void {
    const st = Object.assign(this.states[i] as StageState, patch);
    this.opts.onChange?.(st, this.states);
  }

  private async watch(): Promise<void> {
    const { cluster, release } = this.opts;
    const w = new cluster.k8s.Watch(cluster.kc);
    let stopped = false;
    let controller: AbortController | null = null;
    const start = async () => {
      if (stopped) return;
      try {
        controller = await w.watch(
          `/apis/${GROUP}/${VERSION}/namespaces/${cluster.namespace}/workflows`,
          { labelSelector: `app.kubernetes.io/instance=${release},clara.nvidia.com/job=${this.plan.jobId}` },
          (_type, wf: any) => this.observe(wf),
          () => {
            if (!stopped) setTimeout(() => void start(), 200);
          },
        );
      } catch {
        if (!stopped) setTimeout(() => void start(), 500);
      }
    };
    this.stopWatch = () => {
      stopped = true;
      controller?.abort();
    };
    await start();
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

  private maybeFinish(): void {
    if (!this.states.every((s) => terminal(s.status))) return;
    if (this.timer) clearTimeout(this.timer);
    this.stopWatch?.();
    this.finish?.({ ok: this.states.every((s) => s.status === 'done'), stages: this.states, aborted: this.abortReason });
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

  get snapshot(): readonly StageState[] {
    return this.states;
  }
}
