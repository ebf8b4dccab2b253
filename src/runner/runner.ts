// The local runner: starts each stage when its wait lock exists (watched with
// fs.watch, not polled), writes the stage's lock when it exits 0, and kills
// whole process trees on timeout or abort. Stages run in their own process
// groups (detached) so a kill reaches everything they started.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { processesWithMarker, RUN_MARKER, sameProcessRunning, signalAll, stopMarked } from '../adapters/processes.js';
import { stageRun, type Leftovers, type Runtime, type StageRun, type StartOptions } from './runtime.js';
import { processEnv, type RunPlan, type StagePlan } from './plan.js';

export type StageStatus = 'waiting' | 'running' | 'done' | 'failed' | 'timeout' | 'killed' | 'skipped';

export interface StageState {
  name: string;
  status: StageStatus;
  exitCode: number | null;
  signal: string | null;
  pid: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  log: string;
  /** Why it failed or was skipped. */
  reason: string | null;
  /** From its wait lock appearing (or the run starting) to its process starting, in ms. */
  startDelayMs: number | null;
}

export interface RunResult {
  ok: boolean;
  stages: StageState[];
  /** Set when the whole run was cut short (timeout, interrupt). */
  aborted: string | null;
}

/** How a local stage is started and stopped: as a process (process.ts) or in a container (docker.ts). */
export interface LocalEngine {
  readonly name: 'process' | 'docker';
  /** The argv that runs stage `s`. */
  argv(plan: RunPlan, s: StagePlan): string[];
  /** Besides signalling its process group: what else stops the stage (docker kill). */
  stop?(plan: RunPlan, s: StagePlan): void;
}

export interface RunnerOptions {
  engine: LocalEngine;
  env: Record<string, string | undefined>;
  runTimeoutMs: number;
  graceMs: number;
  onChange?: (stage: StageState, all: readonly StageState[]) => void;
  /** Marker put in every stage's environment (default: a new UUID) to find its escaped descendants. */
  marker?: string;
}

const terminal = (s: StageStatus) => s !== 'waiting' && s !== 'running';

export class Runner {
  private readonly states: StageState[];
  private readonly children = new Map<number, ChildProcess>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private watcher: fs.FSWatcher | null = null;
  private abortReason: string | null = null;
  private finish!: (r: RunResult) => void;
  private readonly lockSeenAt = new Map<string, number>();
  /** Stages being killed, with the status and reason they end with. */
  private readonly killing = new Map<number, StageStatus>();
  private readonly killReasons = new Map<number, string>();
  private readonly runStartedAt = performance.now();
  readonly marker: string;

  constructor(
    private readonly plan: RunPlan,
    private readonly opts: RunnerOptions,
  ) {
    this.marker = opts.marker ?? randomUUID();
    this.states = plan.stages.map((s) => ({
      name: s.name,
      status: 'waiting',
      exitCode: null,
      signal: null,
      pid: null,
      startedAt: null,
      finishedAt: null,
      log: s.logFile,
      reason: null,
      startDelayMs: null,
    }));
  }

  get snapshot(): readonly StageState[] {
    return this.states;
  }

  run(): Promise<RunResult> {
    const done = new Promise<RunResult>((resolve) => (this.finish = resolve));
    const first = this.plan.stages[0] as StagePlan;
    fs.mkdirSync(first.locksDir, { recursive: true });
    fs.mkdirSync(first.logsDir, { recursive: true });
    for (const s of this.plan.stages) {
      fs.mkdirSync(s.output, { recursive: true });
      for (const o of s.extraOutputs) fs.mkdirSync(o.host, { recursive: true });
      fs.mkdirSync(s.publishDir, { recursive: true });
    }
    // Locks may also be written by the stages themselves (the Clara driver does).
    this.watcher = fs.watch(first.locksDir, (_event, file) => {
      if (file) this.lockSeenAt.set(file.toString(), performance.now());
      this.schedule();
    });
    this.watcher.on('error', () => {
      /* the folder vanished; stages still finish through exit events */
    });
    this.later(() => this.abort(`the run timed out after ${Math.round(this.opts.runTimeoutMs / 1000)} s`, 'timeout'), this.opts.runTimeoutMs);
    this.schedule();
    return done;
  }

  /** Stop everything (Ctrl-C, run timeout): running stages are killed, waiting ones skipped. */
  abort(reason: string, as: StageStatus = 'killed'): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    for (const [i, st] of this.states.entries()) {
      if (st.status === 'waiting') this.update(i, { status: 'skipped', reason });
    }
    for (const [i, child] of this.children) this.kill(i, child, as, reason);
    this.maybeFinish();
  }

  private later(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private update(i: number, patch: Partial<StageState>): void {
    const st = Object.assign(this.states[i] as StageState, patch);
    this.opts.onChange?.(st, this.states);
  }

  /** Start every waiting stage whose wait lock exists; skip those whose upstream failed. */
  private schedule(): void {
    if (this.abortReason) {
      this.maybeFinish();
      return;
    }
    for (const [i, s] of this.plan.stages.entries()) {
      const st = this.states[i] as StageState;
      if (st.status !== 'waiting') continue;
      let blocked = false;
      let skip: string | null = null;
      for (const lock of s.waitLocks) {
        if (fs.existsSync(lock)) continue;
        blocked = true;
        const owner = this.plan.stages.findIndex((o) => o.lock === lock);
        const ownerState = owner >= 0 ? (this.states[owner] as StageState) : undefined;
        if (ownerState && terminal(ownerState.status) && ownerState.status !== 'done') skip = `${ownerState.name} ${ownerState.status}`;
      }
      if (skip) {
        this.update(i, { status: 'skipped', reason: skip });
        continue;
      }
      if (blocked) continue;
      this.launch(i, s);
    }
    this.maybeFinish();
  }

  private launch(i: number, s: StagePlan): void {
    // From the last of its wait locks appearing (or the run starting) to its process starting.
    const since = Math.max(this.runStartedAt, ...s.waitLocks.map((l) => this.lockSeenAt.get(l.slice(s.locksDir.length + 1)) ?? this.runStartedAt));
    const argv = this.opts.engine.argv(this.plan, s);
    const stamp = () => new Date().toISOString();
    // The stage log is best effort: a full disk loses lines of it (said once at the end), never the run.
    let logError: string | null = null;
    let log = -1;
    try {
      log = fs.openSync(s.logFile, 'a');
    } catch (e) {
      logError = (e as Error).message;
    }
    const write = (text: string) => {
      if (log < 0 || logError) return;
      try {
        fs.writeSync(log, text);
      } catch (e) {
        logError = (e as Error).message;
      }
    };
    const closeLog = () => {
      if (log >= 0) fs.closeSync(log);
    };
    write(`${stamp()} [clara-wf] start ${s.name} (job ${this.plan.jobId}): ${argv.map((a) => JSON.stringify(a)).join(' ')}\n`);
    let child: ChildProcess;
    try {
      child = spawn(argv[0] as string, argv.slice(1), {
        cwd: this.plan.cwd,
        env: { ...processEnv(this.plan, s, this.opts.env), [RUN_MARKER]: `${this.marker}/${s.name}/` } as NodeJS.ProcessEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (e) {
      write(`${stamp()} [clara-wf] cannot start: ${(e as Error).message}\n`);
      closeLog();
      this.update(i, { status: 'failed', reason: `cannot start: ${(e as Error).message}`, finishedAt: new Date() });
      this.schedule();
      return;
    }
    const startDelayMs = performance.now() - since;
    this.children.set(i, child);
    this.update(i, { status: 'running', pid: child.pid ?? null, startedAt: new Date(), startDelayMs });

    // Timestamped lines, stdout and stderr interleaved as they come.
    const pipe = (stream: NodeJS.ReadableStream | null, name: string) => {
      let partial = '';
      stream?.on('data', (d: Buffer) => {
        const text = partial + d.toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        if (lines.length) write(lines.map((l) => `${stamp()} [${name}] ${l}\n`).join(''));
      });
      stream?.on('end', () => {
        if (partial) write(`${stamp()} [${name}] ${partial}\n`);
        partial = '';
      });
    };
    pipe(child.stdout, 'stdout');
    pipe(child.stderr, 'stderr');

    let outcome: Partial<StageState> | null = null;
    const timer = this.later(() => this.kill(i, child, 'timeout', `timed out after ${s.spec.timeout} s`), s.timeoutMs);
    child.on('error', (e) => {
      outcome = { status: 'failed', reason: `cannot start ${argv[0]}: ${e.message}` };
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      this.timers.delete(timer);
      // Whatever the stage left running dies with it: its process group, and
      // what escaped the group (setsid) but still carries the stage's marker.
      killGroup(child, 'SIGKILL');
      signalAll(processesWithMarker(`${this.marker}/${s.name}/`), 'SIGKILL');
      if (!outcome) {
        const killedAs = this.killing.get(i);
        if (killedAs) outcome = { status: killedAs, reason: this.killReasons.get(i) ?? null };
        else if (code === 0) outcome = { status: 'done' };
        else outcome = { status: 'failed', reason: signal ? `killed by ${signal}` : `exit code ${code}` };
      }
      outcome = { ...outcome, exitCode: code, signal };
    });
    child.on('close', () => {
      let result: Partial<StageState> = outcome ?? { status: 'failed' as StageStatus, reason: 'exited' };
      write(`${stamp()} [clara-wf] ${s.name} ${result.status}${result.reason ? `: ${result.reason}` : ''}\n`);
      closeLog();
      this.children.delete(i);
      if (result.status === 'done' && !fs.existsSync(s.lock)) {
        try {
          fs.writeFileSync(s.lock, `${new Date().toISOString()} ${s.name} done (job ${this.plan.jobId})\n`);
          this.lockSeenAt.set(s.lock.slice(s.locksDir.length + 1), performance.now());
        } catch (e) {
          // Without its lock the stages after it would wait for ever: the stage fails, saying why.
          result = { ...result, status: 'failed', reason: `finished, but its lock file could not be written: ${(e as Error).message}` };
        }
      }
      if (logError && result.status === 'done') result = { ...result, reason: `its log is incomplete: ${logError}` };
      this.update(i, { ...result, finishedAt: new Date() });
      this.schedule();
    });
  }

  /** SIGTERM to the stage's process group, SIGKILL after the grace period. */
  private kill(i: number, child: ChildProcess, as: StageStatus, reason: string): void {
    if (this.killing.has(i)) return;
    this.killing.set(i, as);
    this.killReasons.set(i, reason);
    this.opts.engine.stop?.(this.plan, this.plan.stages[i] as StagePlan);
    killGroup(child, 'SIGTERM');
    const t = setTimeout(() => killGroup(child, 'SIGKILL'), this.opts.graceMs);
    child.once('exit', () => clearTimeout(t));
  }

  private maybeFinish(): void {
    if (!this.states.every((s) => terminal(s.status)) || this.children.size) return;
    this.watcher?.close();
    signalAll(processesWithMarker(`${this.marker}/`), 'SIGKILL');
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.finish?.({ ok: this.states.every((s) => s.status === 'done'), stages: this.states, aborted: this.abortReason });
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/** The last 64 KiB of a local stage's log file ("" when there is none). */
function logTail(file: string): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const b = Buffer.alloc(Math.min(size, 64 * 1024));
      fs.readSync(fd, b, 0, b.length, size - b.length);
      return b.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/**
 * A Runtime on this machine from a LocalEngine: the Runner starts and follows
 * the stages. A restart cannot follow stages an earlier attempt left running,
 * so re-attaching stops them (recorded pids still the same process, and
 * whatever carries an attempt's marker) and the job runs again.
 */
export function localRuntime(engine: LocalEngine): Runtime {
  return {
    name: engine.name,
    async start(plan: RunPlan, opts: StartOptions): Promise<StageRun> {
      const runner = new Runner(plan, { ...opts, engine });
      return stageRun(runner, {
        logs: async (stage) => logTail(plan.stages.find((s) => s.name === stage)?.logFile ?? ''),
        where: `this machine (${engine.name})`,
        remove: async () => {},
      });
    },
    async reattach(_plan: RunPlan | null, left: Leftovers, opts: StartOptions) {
      let stopped = 0;
      for (const p of left.pids) {
        if (!sameProcessRunning(p.pid, p.start)) continue; // gone, or the pid is someone else's now
        stopped += signalAll([-p.pid, p.pid], 'SIGKILL') ? 1 : 0;
      }
      for (const m of left.markers) stopped += await stopMarked(`${m}/`, opts.graceMs);
      return { stopped, run: null };
    },
  };
}
