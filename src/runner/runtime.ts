// The one seam between what runs a job's stages and who asks for it
// (`clara-wf test`, `dicom serve`): a Runtime starts a job's stages, follows
// them to the end, cancels them, and after a restart re-attaches to what an
// earlier attempt left. One file an engine: process.ts, docker.ts (on this
// machine), jobs.ts (stage Jobs of a run-mode release), argo.ts (an Argo
// Workflow from the catalog's WorkflowTemplate).
import type { RunPlan } from './plan.js';
import type { RunResult, StageState } from './runner.js';

export type RuntimeName = 'process' | 'docker' | 'jobs' | 'argo';

/** A job's stages, started: followed to the end with run(), stopped with abort(). */
export interface StageRun {
  readonly snapshot: readonly StageState[];
  /** Follow the stages until every one has ended. */
  run(): Promise<RunResult>;
  /** Stop: running stages killed, waiting ones skipped. */
  abort(reason: string): void;
  /** The end of a stage's log (its log file, or its pods' logs). */
  logs(stage: string): Promise<string>;
  /** What runs the stages, in words (a release, a Workflow, this machine). */
  readonly where: string;
  /** Remove what the run created on a cluster (a release, a Workflow); nothing locally. */
  remove(): Promise<void>;
  /**
   * Stop following, leaving the stages running (on a cluster they outlive the
   * caller, and reattach follows them again); run() ends with `aborted` set.
   * Absent for local stages, which die with their caller.
   */
  detach?(reason: string): void;
}

export interface StartOptions {
  runTimeoutMs: number;
  /** SIGTERM → SIGKILL, for local stages. */
  graceMs: number;
  env: Record<string, string | undefined>;
  /** Put in every local stage's environment, to find its escaped descendants (default: a new UUID). */
  marker?: string;
  onChange?: (stage: StageState, all: readonly StageState[]) => void;
  /**
   * A new attempt of a job that ran before: what its last attempt left on the
   * cluster under the job's name (a finished Workflow, a failed release) is
   * removed first, so the attempt runs instead of finding the old result.
   * Without it, a run found under the job's name is followed (never run twice).
   */
  fresh?: boolean;
}

/** What an earlier attempt of a job may have left when its caller was killed. */
export interface Leftovers {
  /** Markers of the attempts (StartOptions.marker). */
  markers: string[];
  /** Stage processes recorded as started: pid and start time (to tell a reused pid). */
  pids: { pid: number; start: string | null }[];
}

export interface Runtime {
  readonly name: RuntimeName;
  /** Start the job's stages; run() on the result follows them. */
  start(plan: RunPlan, opts: StartOptions): Promise<StageRun>;
  /**
   * After a restart: what an earlier attempt left. Local stages cannot be
   * followed again: they are stopped (`stopped` counts them) and `run` is null,
   * so the job runs again. On a cluster the run goes on: `run` follows it.
   * `plan` is null when the job's workflow is gone from the values: what was
   * left is still stopped where that needs no plan.
   */
  reattach(plan: RunPlan | null, left: Leftovers, opts: StartOptions): Promise<{ stopped: number; run: StageRun | null }>;
}

/** A run as a StageRun: what follows the stages (the local Runner, a FollowedRun), its logs, where it runs, how it is removed. */
export function stageRun(run: { readonly snapshot: readonly StageState[]; run(): Promise<RunResult>; abort(reason: string): void; detach?(reason: string): void }, parts: Pick<StageRun, 'logs' | 'where' | 'remove'>): StageRun {
  return {
    get snapshot() {
      return run.snapshot;
    },
    run: () => run.run(),
    abort: (reason) => run.abort(reason),
    ...(run.detach ? { detach: (reason: string) => run.detach?.(reason) } : {}),
    ...parts,
  };
}
