// What following stages on a cluster shares, whatever runs them (stage Jobs,
// an Argo Workflow): per-stage states, the run timeout, ending every open
// stage at once, and finishing when every stage has ended.
import type { Cluster } from '../adapters/kube.js';
import type { RunPlan } from './plan.js';
import type { RunResult, StageState, StageStatus } from './runner.js';

/** Where cluster runtimes (jobs.ts, argo.ts) submit runs: the cluster, helm, the chart and its values. */
export interface ClusterSetup {
  cluster: Cluster;
  helmBin: string;
  chartDir: string;
  /** helm's cluster flags: --kubeconfig, --namespace, --kube-context. */
  clusterArgs: string[];
  /** The values overlays for installs (-f, --set, ...), the same for every job. */
  valuesArgs: string[];
  /** The release that holds the catalog (engine argo: its WorkflowTemplates; engine jobs: run releases are named after it). */
  catalogRelease: string;
  createNamespace?: boolean;
  /** Engine argo: install the catalog release when it has no WorkflowTemplate for the workflow (default true). */
  installCatalog?: boolean;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Progress worth telling the user (a catalog installed, a Workflow submitted). */
  info(message: string): void;
}

export interface FollowOptions {
  cluster: Cluster;
  /** The release whose objects are followed (label app.kubernetes.io/instance). */
  release: string;
  runTimeoutMs: number;
  onChange?: (st: StageState, all: readonly StageState[]) => void;
}

export const terminal = (s: StageStatus) => s !== 'waiting' && s !== 'running';

export abstract class FollowedRun {
  protected readonly states: StageState[];
  protected abortReason: string | null = null;
  protected stopWatch: (() => void) | null = null;
  private finish!: (r: RunResult) => void;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    protected readonly plan: RunPlan,
    protected readonly opts: FollowOptions,
  ) {
    this.states = plan.stages.map((s) => ({ name: s.name, status: 'waiting', exitCode: null, signal: null, pid: null, startedAt: null, finishedAt: null, log: '', reason: null, startDelayMs: null }));
  }

  get snapshot(): readonly StageState[] {
    return this.states;
  }

  async run(): Promise<RunResult> {
    const done = new Promise<RunResult>((r) => (this.finish = r));
    this.timer = setTimeout(() => this.onTimeout(`the run timed out after ${Math.round(this.opts.runTimeoutMs / 1000)} s`), this.opts.runTimeoutMs);
    await this.watch();
    return done;
  }

  abstract abort(reason: string): void;

  /** Stop following; the stages go on on the cluster (a later reattach follows them). */
  detach(reason: string): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    if (this.timer) clearTimeout(this.timer);
    this.stopWatch?.();
    this.finish?.({ ok: false, stages: this.states, aborted: reason });
  }
  protected abstract onTimeout(reason: string): void;
  protected abstract watch(): Promise<void>;

  /** Every stage still open ends now: waiting ones skipped, running ones as `as`. */
  protected endOpen(reason: string, as: StageStatus): void {
    this.states.forEach((st, i) => {
      if (st.status === 'waiting') this.update(i, { status: 'skipped', reason });
      else if (st.status === 'running') this.update(i, { status: as, reason, finishedAt: new Date() });
    });
    this.maybeFinish();
  }

  protected update(i: number, patch: Partial<StageState>): void {
    const st = Object.assign(this.states[i] as StageState, patch);
    this.opts.onChange?.(st, this.states);
  }

  protected maybeFinish(): void {
    if (!this.states.every((s) => terminal(s.status))) return;
    if (this.timer) clearTimeout(this.timer);
    this.stopWatch?.();
    this.finish?.({ ok: this.states.every((s) => s.status === 'done'), stages: this.states, aborted: this.abortReason });
  }
}
