// Runtime "jobs" (`--runtime cluster`): install a run-mode release of the chart
// for one job, follow its stage Jobs with a watch, and report them like local stages.
import { createHash } from 'node:crypto';
import type { V1Job } from '@kubernetes/client-node';
import { helmFailed, startHelm } from '../adapters/helm.js';
import { keepWatching } from './watch.js';
import { FollowedRun, terminal, type ClusterSetup, type FollowOptions } from './followed.js';
import type { RunPlan } from './plan.js';
import { stageRun, type Runtime, type StageRun, type StartOptions } from './runtime.js';
import type { StageState, StageStatus } from './runner.js';

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

export type ClusterRunOptions = FollowOptions;

/** Follow the stage Jobs of an installed run-mode release until every stage ends. */
export class ClusterRun extends FollowedRun {
  readonly jobNames = new Map<string, string>();

  abort(reason: string, as: StageStatus = 'killed'): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    this.endOpen(reason, as);
  }

  protected onTimeout(reason: string): void {
    this.abort(reason, 'timeout');
  }

  protected async watch(): Promise<void> {
    const { cluster, release } = this.opts;
    const w = keepWatching<V1Job>(cluster, `/apis/batch/v1/namespaces/${cluster.namespace}/jobs`, `app.kubernetes.io/instance=${release},clara.nvidia.com/job=${this.plan.jobId}`, (job) => this.observe(job));
    this.stopWatch = w.stop;
    await w.started;
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

/** Release name for one job: <release>-<job>, kept within helm's 53 characters. */
export function jobReleaseName(release: string, job: string): string {
  const name = `${release}-${job}`;
  if (name.length <= 53) return name;
  return `${name.slice(0, 42).replace(/-+$/, '')}-${createHash('sha256').update(name).digest('hex').slice(0, 10)}`;
}

/** A job's run-mode release, followed; removing it uninstalls the release. */
function followRelease(setup: ClusterSetup, plan: RunPlan, release: string, opts: StartOptions): StageRun {
  const run = new ClusterRun(plan, { cluster: setup.cluster, release, runTimeoutMs: opts.runTimeoutMs, onChange: opts.onChange });
  return stageRun(run, {
    logs: (stage) => run.logs(stage),
    where: `release ${release}`,
    remove: async () => {
      const r = await startHelm(setup.helmBin, ['uninstall', release, ...setup.clusterArgs], { env: setup.env, cwd: setup.cwd }).done;
      if (r.code !== 0) helmFailed(`helm uninstall ${release}`, r);
    },
  });
}

export function jobsRuntime(setup: ClusterSetup): Runtime {
  return {
    name: 'jobs',
    async start(plan, opts) {
      const release = jobReleaseName(setup.catalogRelease, plan.jobId);
      // A new attempt: the last attempt's release (its Jobs ended, and Jobs cannot be re-run in place) goes first.
      if (opts.fresh && (await releaseExists(setup, release))) {
        const r = await startHelm(setup.helmBin, ['uninstall', release, '--wait', ...setup.clusterArgs], { env: setup.env, cwd: setup.cwd }).done;
        if (r.code !== 0) helmFailed(`helm uninstall ${release}`, r);
        setup.info(`release ${release} of the last attempt of job ${plan.jobId} uninstalled before this attempt`);
      }
      // --skip-crds: the chart's CRDs are the catalog release's to install; a run needs none (nor the right to).
      const install = ['upgrade', '--install', release, setup.chartDir, ...setup.clusterArgs, ...setup.valuesArgs, '--set-string', `job.workflow=${plan.workflowId}`, '--set-string', `job.id=${plan.jobId}`, '--skip-crds'];
      if (setup.createNamespace) install.push('--create-namespace');
      const installed = await startHelm(setup.helmBin, install, { env: setup.env, cwd: setup.cwd }).done;
      if (installed.code !== 0) helmFailed(`helm upgrade --install ${release}`, installed);
      return followRelease(setup, plan, release, opts);
    },
    async reattach(plan, _left, opts) {
      if (!plan) return { stopped: 0, run: null };
      // The release outlives the caller: follow it again if helm knows it.
      const release = jobReleaseName(setup.catalogRelease, plan.jobId);
      return { stopped: 0, run: (await releaseExists(setup, release)) ? followRelease(setup, plan, release, opts) : null };
    },
  };
}

async function releaseExists(setup: ClusterSetup, release: string): Promise<boolean> {
  const status = await startHelm(setup.helmBin, ['status', release, ...setup.clusterArgs], { env: setup.env, cwd: setup.cwd }).done;
  return status.code === 0;
}
