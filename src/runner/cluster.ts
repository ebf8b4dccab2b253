// Runtime "cluster": install a run-mode release of the chart for one job,
// follow its stage Jobs with a watch, and report them like local stages.
import type { V1Job } from '@kubernetes/client-node';
import type { Cluster } from '../adapters/kube.js';
import type { RunPlan } from './plan.js';
import type { RunResult, StageState, StageStatus } from './runner.js';

export interface JobState {
  status: 'pending' | 'active' | 'complete' | 'failed';
  reason: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export function jobState(job: V1Job): JobState {
  const conds = job.status?.conditions ?? [];
  const failed = conds.find((c) => c.type === 'Failed' && c.status === 'True');
  const complete = conds.find((c) => c.type === 'Complete' && c.status === 'True');
  const startedAt = job.status?.startTime ? new Date(job.status.startTime) : null;
  if (complete) return { status: 'complete', reason: null, startedAt, finishedAt: job.status?.completionTime ? new Date(job.status.completionTime) : new Date() };
  if (failed) return { status: 'failed', reason: failed.reason ?? failed.message ?? null, startedAt, finishedAt: failed.lastTransitionTime ? new Date(failed.lastTransitionTime) : new Date() };
  if ((job.status?.active ?? 0) > 0) return { status: 'active', reason: null, startedAt, finishedAt: null };
  return { status: 'pending', reason: null, startedAt, finishedAt: null };
}

export interface ClusterRunOptions {
  cluster: Cluster;
  release: string;
  runTimeoutMs: number;
  onChange?: (st: StageState, all: readonly StageState[]) => void;
}

const terminal = (s: StageStatus) => s !== 'waiting' && s !== 'running';

/** Follow the stage Jobs of an installed run-mode release until every stage ends. */
export class ClusterRun {
  private readonly states: StageState[];
  private abortReason: string | null = null;
  private finish!: (r: RunResult) => void;
  private stopWatch: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  readonly jobNames = new Map<string, string>();

  constructor(
    private readonly plan: RunPlan,
    private readonly opts: ClusterRunOptions,
  ) {
    this.states = plan.stages.map((s) => ({ name: s.name, status: 'waiting', exitCode: null, signal: null, pid: null, startedAt: null, finishedAt: null, log: '', reason: null, startDelayMs: null }));
  }

  get snapshot(): readonly StageState[] {
    return this.states;
  }

  async run(): Promise<RunResult> {
    const done = new Promise<RunResult>((r) => (this.finish = r));
    this.timer = setTimeout(() => this.abort(`the run timed out after ${Math.round(this.opts.runTimeoutMs / 1000)} s`, 'timeout'), this.opts.runTimeoutMs);
    await this.watch();
    return done;
  }

  abort(reason: string, as: StageStatus = 'killed'): void {
    if (this.abortReason) return;
    this.abortReason = reason;
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
    const selector = `app.kubernetes.io/instance=${release},clara.nvidia.com/job=${this.plan.jobId}`;
    const w = new cluster.k8s.Watch(cluster.kc);
    let stopped = false;
    let controller: AbortController | null = null;
    const start = async () => {
      if (stopped) return;
      try {
        controller = await w.watch(
          `/apis/batch/v1/namespaces/${cluster.namespace}/jobs`,
          { labelSelector: selector },
          (_type, job: V1Job) => this.observe(job),
          () => {
            // The server closed the watch: start a new one while the run goes on.
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

  private observe(job: V1Job): void {
    if (this.abortReason) return;
    const stage = job.metadata?.labels?.['clara.nvidia.com/stage'];
    const i = this.plan.stages.findIndex((s) => s.name === stage);
    if (i < 0) return;
    this.jobNames.set(stage as string, job.metadata?.name ?? '');
    const st = this.states[i] as StageState;
    if (terminal(st.status)) return;
    const js = jobState(job);
    const log = `job/${job.metadata?.name}`;
    if (js.status === 'complete') this.update(i, { status: 'done', exitCode: 0, startedAt: st.startedAt ?? js.startedAt, finishedAt: js.finishedAt, log });
    else if (js.status === 'failed') this.update(i, { status: js.reason === 'DeadlineExceeded' ? 'timeout' : 'failed', reason: js.reason, startedAt: st.startedAt ?? js.startedAt, finishedAt: js.finishedAt, log });
    else if (js.status === 'active' && this.ready(i) && st.status !== 'running') this.update(i, { status: 'running', startedAt: new Date(), log });
    this.propagate();
    this.maybeFinish();
  }

  /** A stage runs once the stages it waits on are done (until then its init container waits). */
  private ready(i: number): boolean {
    return this.ownersOf(i).every((o) => this.states[o]?.status === 'done');
  }

  private ownersOf(i: number): number[] {
    const s = this.plan.stages[i];
    return (s?.waitLocks ?? []).map((l) => this.plan.stages.findIndex((o) => o.lock === l)).filter((o) => o >= 0);
  }

  /** Stages whose upstream failed will never start: report them skipped. */
  private propagate(): void {
    let changed = true;
    while (changed) {
      changed = false;
      this.states.forEach((st, i) => {
        const ups = this.ownersOf(i).map((o) => this.states[o] as StageState);
        const up = ups.find((u) => terminal(u.status) && u.status !== 'done');
        if (!terminal(st.status) && up) {
          this.update(i, { status: 'skipped', reason: `${up.name} ${up.status}` });
          changed = true;
        } else if (st.status === 'waiting' && ups.length && ups.every((u) => u.status === 'done') && this.jobNames.has(st.name)) {
          // The owner finished after this Job was last seen active: it runs now.
          this.update(i, { status: 'running', startedAt: new Date(), log: `job/${this.jobNames.get(st.name)}` });
        }
      });
    }
  }

  private maybeFinish(): void {
    if (!this.states.every((s) => terminal(s.status))) return;
    if (this.timer) clearTimeout(this.timer);
    this.stopWatch?.();
    this.finish?.({ ok: this.states.every((s) => s.status === 'done'), stages: this.states, aborted: this.abortReason });
  }

  /** The logs of a stage's pods (for a failed stage). */
  async logs(stage: string): Promise<string> {
    const { cluster } = this.opts;
    const job = this.jobNames.get(stage);
    if (!job) return '';
    const core = cluster.kc.makeApiClient(cluster.k8s.CoreV1Api);
    try {
      const pods = await cluster.call('listing pods', () => core.listNamespacedPod({ namespace: cluster.namespace, labelSelector: `job-name=${job}` }));
      const out: string[] = [];
      for (const p of pods.items) {
        const name = p.metadata?.name as string;
        const text = await cluster.call(`reading logs of ${name}`, () => core.readNamespacedPodLog({ name, namespace: cluster.namespace }));
        out.push(`--- pod ${name} ---\n${text}`);
      }
      return out.join('\n');
    } catch (e) {
      return `(logs unavailable: ${(e as Error).message})`;
    }
  }
}
