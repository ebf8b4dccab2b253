// `clara-wf dicom serve`: the DICOM gateway. Instances are streamed to disk,
// fsynced and journalled before Success is answered; they are grouped per
// called AE title by StudyInstanceUID (or the configured attribute) and each
// group becomes one job per mapped workflow when it is complete (quiet period
// or release). Jobs, exports and their history live in the state database
// (store.ts), so a crash or a stop loses nothing: the next start re-queues,
// reruns and resumes; an export the destination refuses is retried on a long
// schedule and at every start.
// The gateway uses the local runner like any other caller.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startScp, storeFiles, STORE_STATUS, type AssociationInfo, type ReceivedInstance, type ScpServer } from './wire.js';
import { processStartTime } from '../adapters/processes.js';
import { ExternalToolError, StateDamaged, UsageError } from '../core/errors.js';
import type { DicomConfig } from '../core/dicom-config.js';
import { route } from '../core/dicom-route.js';
import { printable } from '../core/printable.js';
import { intakeRules, scpLimits, type ScpLimits } from '../core/intake.js';
import { workflowsOf, type Values, type WorkflowSpec } from '../core/model.js';
import { planRun, type RunPlan } from '../runner/plan.js';
import type { Runtime, StageRun, StartOptions } from '../runner/runtime.js';
import { gatewayPaths, runningServe } from './data-folder.js';
import { fileMatches, syncDir } from './instance-files.js';
import { importJournal } from './import-journal.js';
import { apply, compact, isFinal, newestFirst, openInstances, RECOVERED, replay, type GatewayState, type GroupState, type InstanceRecord, type JobRecord, type JournalRecord, type StageRecord } from './state.js';
import { outOfResources } from '../adapters/files.js';
import { Store, type ExportItem } from './store.js';

export type { JobRecord } from './state.js';

export interface ServiceEvent {
  type: 'server' | 'association' | 'job' | 'stage' | 'export' | 'recovery';
  message: string;
  [key: string]: unknown;
}

export interface ServiceOptions {
  config: DicomConfig;
  values: Values;
  valuesDir: string;
  dataDir: string;
  /** Where job folders go (default: dataDir): on a cluster, the claim the workflow pods mount. */
  jobsDir?: string;
  host: string;
  port: number;
  maxJobs: number;
  runtime: Runtime;
  env: Record<string, string | undefined>;
  graceMs: number;
  jobTimeoutMs: number;
  exportRetries: number;
  exportBackoffMs: number;
  /** How long a failed export goes on being retried (from its first failure). */
  exportRetryForMs: number;
  /** The longest wait between two of those retries. */
  exportRetryMaxIntervalMs: number;
  /** New associations are refused (transient) while the data folder's disk has less free than this. */
  minFreeBytes: number;
  /** Run jobs interrupted by a crash again (default) or leave them failed. */
  rerunInterrupted: boolean;
}

export { gatewayPaths } from './data-folder.js';

const now = () => new Date().toISOString();
/** A job that will not run: an export still pending is skipped (one under way or done keeps its state). */
const unsent = (job: JobRecord): JobRecord['export'] => ({ ...job.export, state: job.export.state === 'pending' ? 'skipped' : job.export.state });
const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : /(s|sh|ch|x)$/.test(w) ? 'es' : 's'}`;

export class DicomService extends EventEmitter {
  private state: GatewayState = replay([]);
  private store: Store | null = null;
  private scp: ScpServer | null = null;
  private readonly paths: ReturnType<typeof gatewayPaths>;
  private readonly queue: string[] = [];
  private readonly runners = new Map<string, StageRun>();
  /** Runs an earlier serve left going on a cluster, found again at start: followed when their turn comes. */
  private readonly reattached = new Map<string, StageRun>();
  private running = 0;
  private stopping = false;
  private idle: (() => void) | null = null;
  /** Open (not yet closed) group per called AE + key value. */
  private readonly openGroups = new Map<string, string>();
  private readonly contributors = new Map<string, Set<string>>();
  private readonly lastInstanceAt = new Map<string, number>();
  private readonly groupTimers = new Map<string, NodeJS.Timeout>();
  private readonly assocGroups = new Map<string, Set<string>>();
  private readonly closedAt = new Map<string, number>();
  private readonly afterAbort = new Set<string>();
  private readonly pendingWrites = new Map<string, number>();
  /** Instances per association whose data arrived and whose record and file are being made durable. */
  private readonly assocPending = new Map<string, number>();
  private readonly liveAssociations = new Set<string>();
  private readonly exportTimers = new Map<string, NodeJS.Timeout>();
  private readonly stopExports = new AbortController();
  private requestPoll: NodeJS.Timeout | null = null;
  /** The data folder's free space, looked at most once a second. */
  private disk = { free: Number.POSITIVE_INFINITY, at: 0, refusing: false };

  constructor(private readonly opts: ServiceOptions) {
    super();
    this.paths = gatewayPaths(opts.dataDir);
  }

  /** Every message leaves escaped: AE titles, UIDs and errors in it are a peer's text. */
  private log(e: ServiceEvent): void {
    this.emit('log', { ...e, message: printable(e.message) });
  }

  /** Records a full disk kept out of the database: written ahead of the next record (in order). */
  private unwritten: JournalRecord[] = [];

  /**
   * A state change, applied then written. A database that cannot be written
   * (a full disk, an I/O error) does not stop serve: the change is applied, said
   * once, and written with the next record that can be. Instances are not
   * recorded here: they are answered Success only once written (writeSoon).
   */
  private record(...records: JournalRecord[]): void {
    for (const r of records) apply(this.state, r);
    const all = [...this.unwritten, ...records];
    try {
      (this.store as Store).write(all, this.state);
      if (this.unwritten.length) this.log({ level: 'info', type: 'server', message: `state: ${plural(this.unwritten.length, 'state change')} held back by a write error written` });
      this.unwritten = [];
      // Instance files of a release go only once the release is on disk.
      for (const g of this.releasing.splice(0)) this.deleteInstanceFiles(g);
    } catch (e) {
      if (!this.unwritten.length) this.log({ level: 'error', type: 'server', message: `state: cannot write a state change to ${this.paths.db} (${(e as Error).message}); serve goes on and writes it with the next one (free space on the data folder's disk)` });
      this.unwritten = all;
    }
  }

  private patch(job: JobRecord, patch: Partial<JobRecord>): void {
    this.record({ t: 'job', id: job.id, patch });
    this.emit('job', job);
  }

  /** Every job, newest first (history included: it survives restarts). */
  list(): JobRecord[] {
    return [...this.state.jobs.values()].sort(newestFirst);
  }

  /** What the gateway holds open now, and its limits: for the dashboard's /api/status. */
  status(): { associations: number; connections: number; limits: ScpLimits; jobs: { queued: number; running: number; retrying: number }; disk: { free: number | null; minFree: number; refusing: boolean } } {
    this.lowOnSpace();
    return {
      associations: this.scp?.openAssociations() ?? 0,
      connections: this.scp?.openConnections() ?? 0,
      limits: scpLimits(this.opts.config),
      jobs: { queued: this.queue.length, running: this.running, retrying: this.exportTimers.size },
      disk: { free: Number.isFinite(this.disk.free) ? this.disk.free : null, minFree: this.opts.minFreeBytes, refusing: this.disk.refusing },
    };
  }

  /** Whether the data folder's disk is below --min-free (looked at most once a second; said when it changes). */
  private lowOnSpace(): boolean {
    if (Date.now() - this.disk.at < 1000) return this.disk.refusing;
    try {
      const st = fs.statfsSync(this.paths.instances);
      this.disk.free = st.bavail * st.bsize;
    } catch {
      /* unknown: keep the last figure */
    }
    this.disk.at = Date.now();
    const refusing = this.disk.free < this.opts.minFreeBytes;
    if (refusing !== this.disk.refusing) {
      this.disk.refusing = refusing;
      this.log(
        refusing
          ? { type: 'server', level: 'warning', message: `disk low: ${mib(this.disk.free)} free on the data folder's disk, below --min-free ${mib(this.opts.minFreeBytes)}; new associations are refused (transient: senders retry) until space is freed` }
          : { type: 'server', message: `disk: ${mib(this.disk.free)} free again (--min-free ${mib(this.opts.minFreeBytes)}); accepting associations` },
      );
    }
    return refusing;
  }

  /**
   * Whether the DICOM port takes an association now: listening, not stopping,
   * the disk above --min-free, and a connection to it opens (a readiness probe).
   */
  async ready(): Promise<{ ok: boolean; why: string }> {
    if (!this.scp || this.stopping) return { ok: false, why: this.stopping ? 'stopping' : 'not listening yet' };
    if (this.lowOnSpace()) return { ok: false, why: `disk low (${mib(this.disk.free)} free, --min-free ${mib(this.opts.minFreeBytes)})` };
    const limits = scpLimits(this.opts.config);
    if (this.scp.openConnections() >= limits.maxConnections) return { ok: false, why: `${limits.maxConnections} connections open (max-connections)` };
    const { host, port } = this.scp.address;
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect({ host: host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host, port, timeout: 1000 }, () => (c.destroy(), resolve(true)));
      c.on('error', () => resolve(false));
      c.on('timeout', () => (c.destroy(), resolve(false)));
    });
    return ok ? { ok: true, why: `DICOM port ${port} accepting` } : { ok: false, why: `DICOM port ${port} does not accept connections` };
  }

  job(id: string): JobRecord | undefined {
    return this.state.jobs.get(id);
  }

  /** The log file of a job's stage (only files the runner itself writes). */
  logFile(jobId: string, stage: string): string | null {
    const job = this.state.jobs.get(jobId);
    if (!job) return null;
    return this.planFor(job)?.stages.find((s) => s.name === stage)?.logFile ?? null;
  }

  private planFor(job: JobRecord): RunPlan | null {
    if (job.target.kind !== 'workflow') return null;
    const wf = workflowsOf(this.opts.values)[job.target.id] as WorkflowSpec | undefined;
    if (!wf) return null;
    return planRun({ values: this.opts.values, workflowId: job.target.id, workflow: wf, jobId: job.id, dataDir: this.jobsDir, valuesDir: this.opts.valuesDir });
  }

  private get jobsDir(): string {
    return this.opts.jobsDir ?? this.opts.dataDir;
  }

  async start(): Promise<ScpServer> {
    const { opts, paths } = this;
    try {
      fs.mkdirSync(paths.instances, { recursive: true });
      this.takeDataFolder();
      probeWrite(paths.dir);
      this.store = this.openState();
      this.state = this.checkOpenFiles(this.store.load());
      await this.recover();
    } catch (e) {
      this.store?.close();
      this.releaseDataFolder();
      const code = (e as NodeJS.ErrnoException).code;
      if (e instanceof StateDamaged || e instanceof UsageError || !(outOfResources(e) || (typeof code === 'string' && /^E[A-Z]+$/.test(code)))) throw e;
      // Not the port: the data folder's disk. Said as such, before anything listens.
      throw new StateDamaged(paths.dir, `cannot be written (${(e as Error).message})`, 'free space on its disk (or make it writable) and start again; nothing was changed');
    }
    this.record({ t: 'run', id: randomUUID(), pid: process.pid, at: now() });

    const limits = scpLimits(opts.config);
    this.scp = await startScp({
      host: opts.host,
      port: opts.port,
      instancesDir: paths.instances,
      ...limits,
      events: {
        associate: (a) => {
          if (this.stopping || this.lowOnSpace()) return { accept: false, reason: 'busy' };
          const r = route(opts.config, opts.values, { called: a.calledAe, calling: a.callingAe, host: a.host });
          if (!r.accept) return { accept: false, reason: r.reason === 'calling-ae-unknown' ? 'calling' : 'called' };
          this.log({ type: 'association', message: `association ${a.id} from ${a.callingAe}@${a.host} to ${a.calledAe} accepted: ${r.targets.map((t) => `${t.kind} ${t.name}`).join(', ')}`, association: a.id, calledAe: a.calledAe, callingAe: a.callingAe, host: a.host });
          this.liveAssociations.add(a.id);
          return { accept: true };
        },
        rejected: (a, reason, given) => {
          const why = given ?? (reason === 'busy' ? (this.stopping ? 'shutting down' : `disk low (${mib(this.disk.free)} free, --min-free ${mib(this.opts.minFreeBytes)}): refused as transient, the sender may retry`) : route(opts.config, opts.values, { called: a.calledAe, calling: a.callingAe, host: a.host }).why);
          this.log({ type: 'association', message: `association ${a.id} from ${a.callingAe}@${a.host} to ${a.calledAe} rejected: ${why}`, association: a.id, rejected: reason });
        },
        echo: (a) => this.log({ type: 'association', message: `C-ECHO from ${a.callingAe}@${a.host} to ${a.calledAe}`, association: a.id }),
        stored: (a, inst, fileDurable) => this.stored(a, inst, fileDurable),
        ended: (a, how, n, why) => this.ended(a, how, n, why),
        error: (m) => this.log({ type: 'server', message: m, level: 'error' }),
      },
    });
    this.log({ type: 'server', message: `DICOM SCP listening on ${this.scp.address.host}:${this.scp.address.port} for ${(opts.config.dicom?.scp?.['ae-titles'] ?? []).map((t) => t['ae-title']).join(', ')}`, ...this.scp.address });
    this.pump();
    // `clara-wf dicom retry` (another process) leaves its request in the database.
    // It also looks at the disk, so a low one is said (and shown) before the next sender finds out.
    this.requestPoll = setInterval(() => {
      this.takeRequests();
      this.lowOnSpace();
      if (this.unwritten.length) this.record();
    }, 1000);
    this.requestPoll.unref();
    this.takeRequests();
    this.lowOnSpace();
    return this.scp;
  }

  /**
   * The state database, opened and checked. An old journal.jsonl is imported
   * once (then renamed); a journal with unreadable lines, a damaged database,
   * or a missing one beside instance files stops the start (StateDamaged) with
   * the way out: `clara-wf dicom recover`.
   */
  private openState(): Store {
    const { paths } = this;
    const hadDb = fs.existsSync(paths.db);
    const hasJournal = fs.existsSync(paths.journal);
    if (!hadDb && !hasJournal) {
      const held = fs.readdirSync(paths.instances).filter((f) => (fs.statSync(path.join(paths.instances, f), { throwIfNoEntry: false })?.size ?? 0) > 0);
      if (held.length) throw new StateDamaged(paths.db, `is missing, but ${plural(held.length, 'instance file')} are in ${paths.instances}: the state that names them is lost`);
    }
    const store = Store.open(paths.db);
    if (!hasJournal) return store;
    try {
      const imported = importJournal(paths.journal, paths.quarantine);
      if (imported.unreadable.length) {
        throw new StateDamaged(paths.journal, `${plural(imported.unreadable.length, 'line')} cannot be read (line ${imported.unreadable.slice(0, 10).join(', ')}${imported.unreadable.length > 10 ? ', …' : ''}; kept in ${imported.quarantined}): the state it describes may be incomplete, so it is not imported`);
      }
      const state = replay(imported.records);
      store.write(compact(state), state);
      const done = `${paths.journal}.imported`;
      fs.renameSync(paths.journal, done);
      syncDir(paths.dir);
      this.log({ type: 'recovery', message: `journal: ${plural(imported.records.length, 'record')} of ${paths.journal} imported into ${paths.db}; the journal is kept as ${done}` });
      return store;
    } catch (e) {
      store.close();
      // A database made only for this import goes again, so the next start imports afresh.
      if (!hadDb) for (const f of [paths.db, `${paths.db}-wal`, `${paths.db}-shm`]) fs.rmSync(f, { force: true });
      throw e;
    }
  }

  /** Retries asked for from outside (clara-wf dicom retry): answered in the database, for the asker to print. */
  private takeRequests(): void {
    if (!this.store || this.stopping) return;
    try {
      this.store.takeRequests((r) => {
        const res = this.retry(r.job);
        this.log({ type: 'job', level: res.ok ? 'info' : 'warning', message: `clara-wf dicom retry ${r.job}: ${res.message}`, job: r.job });
        return res;
      });
    } catch {
      /* busy or full: looked at again in a second */
    }
  }

  /**
   * Retry a job now: an export that failed or waits for its next attempt is
   * sent again (only what the destination did not acknowledge); a job whose
   * run failed runs again from its study.
   */
  retry(id: string): { ok: boolean; message: string } {
    const job = this.state.jobs.get(id);
    if (!job) return { ok: false, message: `no job ${id}` };
    if (job.state === 'exporting' && !this.exportTimers.has(id)) return { ok: true, message: `an export attempt of job ${id} to ${job.export.destination} is under way now` };
    if (job.state === 'running' || job.state === 'queued') return { ok: false, message: `job ${id} is ${job.state}: nothing to retry` };
    if (job.state === 'done' || job.state === 'stored') return { ok: false, message: `job ${id} is ${job.state}: nothing to retry` };
    const timer = this.exportTimers.get(id);
    if (timer) clearTimeout(timer);
    this.exportTimers.delete(id);
    const exportFailed = job.export.state === 'failed' || job.export.state === 'retrying';
    if (exportFailed) {
      this.patch(job, { state: 'exporting', finishedAt: null, reason: null, export: { ...job.export, state: 'pending', retryUntil: new Date(Date.now() + this.opts.exportRetryForMs).toISOString(), nextAttemptAt: null } });
      this.queue.push(id);
      this.pump();
      return { ok: true, message: `export of job ${id} to ${job.export.destination} queued (what it did not acknowledge is sent)` };
    }
    if (!this.inputsOf(job)) return { ok: false, message: `job ${id} cannot run again: its instances are gone (the study was released and its job folder holds no input); send the study again` };
    this.patch(job, { state: 'queued', finishedAt: null, reason: null, export: { ...job.export, state: job.destination ? 'pending' : 'skipped', sent: 0, failed: 0, error: null, nextAttemptAt: null, retryUntil: null } });
    this.queue.push(id);
    this.pump();
    return { ok: true, message: `job ${id} queued to run again` };
  }

  /** The pid file goes when it is ours (or was left empty by a write that failed). */
  private releaseDataFolder(): void {
    try {
      const text = fs.readFileSync(this.paths.pid, 'utf8');
      if (text === '' || text.startsWith(`${process.pid} `)) fs.rmSync(this.paths.pid, { force: true });
    } catch {
      /* gone */
    }
  }

  /** One serve per data folder: a second would write the same state. */
  private takeDataFolder(): void {
    const other = runningServe(this.paths.pid);
    if (other && other !== process.pid) throw new UsageError(`another clara-wf dicom serve (pid ${other}) uses the data folder ${this.opts.dataDir}; stop it, or give this one its own --data folder`);
    fs.writeFileSync(this.paths.pid, `${process.pid} ${processStartTime(process.pid) ?? ''}\n`);
  }

  /**
   * The database's state, less the instances whose records reached the disk
   * before their files did (both are synced at once, Success is answered after
   * both): a file of a group still open that is missing, short or fails its
   * CRC was being stored when the last serve ended. It is never deleted: it
   * moves to quarantine/ (it may also be a file damaged since) and is listed.
   */
  private checkOpenFiles(state: GatewayState): GatewayState {
    const cut: { i: InstanceRecord; why: string }[] = [];
    for (const i of openInstances(state)) {
      if (i.fileBytes === undefined || i.crc32 === undefined) continue; // imported from an older journal: trusted as before
      const why = fileMatches(this.instanceFile(i.id), i.fileBytes, i.crc32);
      if (why) cut.push({ i, why });
    }
    for (const { i, why } of cut) {
      const to = this.quarantine(this.instanceFile(i.id));
      this.log({ type: 'recovery', level: 'warning', message: `instance ${i.sopInstanceUid} from ${i.callingAe} (group ${i.group}) was recorded but its file ${why}: it was being stored when the last serve ended and was never acknowledged (or the file was damaged since); left out of its group${to ? `, file kept as ${to}` : ''}`, group: i.group });
      this.record({ t: 'void', id: i.id, why: `file ${why}` });
      const g = state.groups.get(i.group);
      if (g) g.instances = g.instances.filter((x) => x.id !== i.id);
    }
    return state;
  }

  /** Move a file into quarantine/ (never deleted there); null when it was not there to move. */
  private quarantine(file: string): string | null {
    fs.mkdirSync(this.paths.quarantine, { recursive: true });
    const to = path.join(this.paths.quarantine, `${new Date().toISOString().replace(/[:.]/g, '')}-${path.basename(file)}`);
    try {
      fs.renameSync(file, to);
      return to;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  /** Make the recorded state true again after the previous run ended, however it ended. */
  private async recover(): Promise<void> {
    const { state } = this;
    // Instance files no record names (written, but their record was never
    // committed): the sender was not told Success. The database passed its
    // check, so it is the authority here.
    const known = new Set<string>();
    for (const g of state.groups.values()) for (const i of g.instances) known.add(`${i.id}.dcm`);
    let unacknowledged = 0;
    for (const f of fs.readdirSync(this.paths.instances)) {
      if (known.has(f)) continue;
      const file = path.join(this.paths.instances, f);
      // An empty file is a spare made ahead of need and never used: not worth a word.
      if (fs.statSync(file, { throwIfNoEntry: false })?.size) unacknowledged++;
      fs.rmSync(file, { force: true });
    }
    if (unacknowledged) this.log({ type: 'recovery', message: `${plural(unacknowledged, 'instance file')} never acknowledged to a sender (in flight at a crash) deleted` });
    for (const g of state.groups.values()) {
      if (g.released) continue;
      const missing = g.instances.filter((i) => !fs.existsSync(this.instanceFile(i.id)));
      if (missing.length) this.log({ type: 'recovery', level: 'error', message: `group ${g.id}: ${plural(missing.length, 'acknowledged instance')} missing from ${this.paths.instances} (deleted by hand, or the disk lost them): ${missing.map((i) => i.sopInstanceUid).join(', ')}` });
    }
    for (const job of this.list().reverse()) {
      if (job.state === 'queued') {
        this.queue.push(job.id);
        this.log({ type: 'recovery', message: `job ${job.id} (${job.target.name}) re-queued: received, not started before the last stop`, job: job.id });
      } else if (job.state === 'running') {
        const { stopped: found, run } = await this.stopOrphans(job);
        if (run) {
          // On a cluster the run outlived serve: follow it again (first, ahead of new jobs); nothing is submitted twice.
          this.reattached.set(job.id, run);
          this.queue.unshift(job.id);
          this.log({ type: 'recovery', message: `job ${job.id} (${job.target.name}) was running when the last serve ended: its ${run.where} goes on; followed again (attempt ${job.attempt}, nothing submitted again)`, job: job.id });
          continue;
        }
        if (this.opts.rerunInterrupted) {
          this.record({ t: 'job', id: job.id, patch: { state: 'queued', interrupted: job.interrupted + 1, reason: `interrupted in attempt ${job.attempt} (clara-wf dicom serve ended while it ran); run again` } });
          this.queue.push(job.id);
        } else {
          this.record({ t: 'job', id: job.id, patch: { state: 'failed', interrupted: job.interrupted + 1, finishedAt: now(), reason: `interrupted in attempt ${job.attempt} (clara-wf dicom serve ended while it ran); not run again (--no-rerun-interrupted)`, export: unsent(job) } });
        }
        this.log({ type: 'recovery', message: `job ${job.id} (${job.target.name}) was running when the last serve ended: interrupted${found ? `, ${plural(found, 'orphaned stage process')} stopped` : ''}; ${this.opts.rerunInterrupted ? 'running it again' : 'left failed'}`, job: job.id });
      } else if (job.state === 'exporting') {
        this.queue.push(job.id);
        this.log({ type: 'recovery', message: `job ${job.id} (${job.target.name}) was exporting: sending its results again (at least once)`, job: job.id });
      }
    }
    // Groups still open when the last serve ended: their associations are gone.
    for (const g of state.groups.values()) {
      if (g.closedAt || g.released) continue;
      this.openGroups.set(this.groupKey(g.calledAe, g.value), g.id);
      this.contributors.set(g.id, new Set());
      this.lastInstanceAt.set(g.id, Date.now());
      this.log({ type: 'recovery', message: `group ${g.id} (${plural(g.instances.length, 'instance')} for ${g.calledAe}) was still open: it closes after its quiet period`, group: g.id });
      this.arm(g);
    }
    for (const g of state.groups.values()) this.releaseIfDone(g);
  }

  /**
   * What a job's earlier attempts left (serve was killed): local stages are
   * stopped (the job runs again); a run on a cluster is handed back to follow.
   */
  private async stopOrphans(job: JobRecord): Promise<{ stopped: number; run: StageRun | null }> {
    const markers = Array.from({ length: job.attempt }, (_, a) => `${job.id}.${a + 1}`);
    const plan = this.planFor(job);
    return this.opts.runtime.reattach(plan, { markers, pids: this.state.stagePids.get(job.id) ?? [] }, plan ? this.startOptions(job, plan, job.attempt) : { env: this.opts.env, runTimeoutMs: this.opts.jobTimeoutMs, graceMs: this.opts.graceMs });
  }

  /** How an attempt's stages are started (or followed again): each change recorded on the job as it happens. */
  private startOptions(job: JobRecord, plan: RunPlan, attempt: number): StartOptions {
    const closed = this.closedAt.get(job.group);
    return {
      env: this.opts.env,
      runTimeoutMs: this.opts.jobTimeoutMs,
      graceMs: this.opts.graceMs,
      marker: `${job.id}.${attempt}`,
      fresh: attempt > 1,
      onChange: (st) => {
        const i = plan.stages.findIndex((s) => s.name === st.name);
        const records: JournalRecord[] = [];
        if (st.status === 'running' && st.pid) records.push({ t: 'stage', job: job.id, attempt, stage: st.name, pid: st.pid, start: processStartTime(st.pid) });
        const next = job.stages.slice();
        next[i] = { name: st.name, status: st.status, exitCode: st.exitCode, reason: st.reason, startedAt: st.startedAt?.toISOString() ?? null, finishedAt: st.finishedAt?.toISOString() ?? null };
        const patch: Partial<JobRecord> = { stages: next };
        if (job.releaseToStartMs === null && st.status === 'running' && closed !== undefined) patch.releaseToStartMs = performance.now() - closed;
        records.push({ t: 'job', id: job.id, patch });
        this.record(...records);
        this.emit('job', job);
        if (st.status !== 'waiting') this.log({ type: 'stage', message: `job ${job.id} stage ${st.name} ${st.status}${st.reason ? `: ${st.reason}` : ''}`, job: job.id, stage: st.name, status: st.status });
      },
    };
  }

  private instanceFile(id: string): string {
    return path.join(this.paths.instances, `${id}.dcm`);
  }

  private groupKey(calledAe: string, value: string): string {
    return `${calledAe}\u0000${value}`;
  }

  /**
   * An instance is complete: file it into its group and commit its record
   * while its file is being synced. Success is answered once this resolves
   * (both durable); a rejection is answered A700 or 0110 by the SCP.
   */
  private async stored(a: AssociationInfo, inst: ReceivedInstance, fileDurable: Promise<void>): Promise<number> {
    if (!this.store || this.stopping) return STORE_STATUS.processingFailure;
    const rules = intakeRules(this.opts.config, a.calledAe);
    const value = inst.ids[rules.grouping.field];
    const key = this.groupKey(a.calledAe, value);
    let groupId = this.openGroups.get(key);
    const records: JournalRecord[] = [];
    if (!groupId) {
      groupId = randomUUID();
      records.push({ t: 'group', id: groupId, calledAe: a.calledAe, tag: rules.grouping.tag, value, at: now() });
    }
    records.push({ t: 'instance', id: inst.id, group: groupId, assoc: a.id, sopInstanceUid: inst.ids.sopInstanceUid, sopClassUid: inst.ids.sopClassUid, studyInstanceUid: inst.ids.studyInstanceUid, seriesInstanceUid: inst.ids.seriesInstanceUid, patientId: inst.ids.patientId, transferSyntaxUid: inst.transferSyntaxUid, bytes: inst.bytes, fileBytes: inst.fileBytes, crc32: inst.crc32, callingAe: a.callingAe, host: a.host, at: now() });
    // Grouping is decided now (a concurrent instance of the same study joins
    // this group); the state changes once the records are durable.
    const store = this.store;
    const durable = Promise.allSettled([store.writeSoon(records, this.state), fileDurable]).then(async ([record, file]) => {
      if (record.status === 'rejected') {
        // Not committed: the sender is told it failed. A group that exists only in this batch is forgotten.
        if (records[0]?.t === 'group' && this.openGroups.get(key) === groupId) this.openGroups.delete(key);
        throw record.reason;
      }
      if (file.status === 'rejected') {
        // Committed, but the file is not durable: the sender is told it
        // failed, and the record is taken back. The group (durable now, and
        // perhaps joined by another instance meanwhile) stays.
        for (const r of records) if (r.t !== 'instance') apply(this.state, r);
        await store.writeSoon([{ t: 'void', id: inst.id, why: (file.reason as Error).message }], this.state).catch(() => {
          /* the next start's file check drops it */
        });
        throw file.reason;
      }
      for (const r of records) apply(this.state, r);
    });
    if (!this.openGroups.has(key)) {
      this.openGroups.set(key, groupId);
      this.contributors.set(groupId, new Set());
      this.log({ type: 'association', message: `association ${a.id}: new group ${groupId} for ${a.calledAe} by ${rules.grouping.keyword}`, association: a.id, group: groupId });
    }
    // An association that ended while this instance was being synced cannot hold the group open.
    if (this.liveAssociations.has(a.id)) this.contributors.get(groupId)?.add(a.id);
    this.lastInstanceAt.set(groupId, Date.now());
    const t = this.groupTimers.get(groupId);
    if (t) {
      clearTimeout(t);
      this.groupTimers.delete(groupId);
    }
    const mine = this.assocGroups.get(a.id) ?? new Set<string>();
    mine.add(groupId);
    this.assocGroups.set(a.id, mine);
    // A group does not close while one of its instances is still being journalled.
    this.pendingWrites.set(groupId, (this.pendingWrites.get(groupId) ?? 0) + 1);
    this.assocPending.set(a.id, (this.assocPending.get(a.id) ?? 0) + 1);
    try {
      await durable;
    } finally {
      const mineLeft = (this.assocPending.get(a.id) ?? 1) - 1;
      if (mineLeft) this.assocPending.set(a.id, mineLeft);
      else this.assocPending.delete(a.id);
      const left = (this.pendingWrites.get(groupId) ?? 1) - 1;
      if (left) this.pendingWrites.set(groupId, left);
      else this.pendingWrites.delete(groupId);
      const g = this.state.groups.get(groupId);
      // The association ended meanwhile (an abort): the group waits for nothing else.
      if (!left && g && !g.closedAt && !(this.contributors.get(groupId)?.size ?? 0)) this.arm(g);
    }
    return STORE_STATUS.success;
  }

  private ended(a: AssociationInfo, how: 'released' | 'aborted', instances: number, why: string): void {
    const groups = this.assocGroups.get(a.id) ?? new Set<string>();
    this.assocGroups.delete(a.id);
    this.liveAssociations.delete(a.id);
    const kept = instances ? `; ${plural(instances, 'acknowledged instance')} kept` : '';
    if (how === 'released') this.log({ type: 'association', message: `association ${a.id} released: ${plural(instances, 'instance')} received`, association: a.id, instances });
    else {
      // Said as it is: an instance whose data had all arrived is being made durable and is kept
      // (the sender may not have heard its Success, and may send it again: the copy replaces it).
      const settling = this.assocPending.get(a.id) ?? 0;
      const inFlight = settling ? `; ${plural(settling, 'instance')} received whole and being made durable ${settling === 1 ? 'is' : 'are'} kept too, though the sender may not have heard ${settling === 1 ? 'its' : 'their'} Success` : '';
      this.log({ type: 'association', message: `association ${a.id} from ${a.callingAe}@${a.host} aborted after ${plural(instances, 'instance')} (${why})${kept}${inFlight}; an instance cut short was discarded`, association: a.id, aborted: true, instances });
    }
    for (const id of groups) {
      this.contributors.get(id)?.delete(a.id);
      // A sender that aborted usually tries again: even with `release`, wait the quiet period.
      if (how === 'aborted') this.afterAbort.add(id);
      const g = this.state.groups.get(id);
      if (g && !g.closedAt) this.arm(g);
    }
  }

  /** Close a group once its associations ended and, for `quiet`, it has been quiet for the AE's timeout. */
  private arm(g: GroupState): void {
    if ((this.contributors.get(g.id)?.size ?? 0) > 0 || this.pendingWrites.has(g.id) || this.stopping) return;
    const rules = intakeRules(this.opts.config, g.calledAe);
    const wait = rules.trigger === 'release' && !this.afterAbort.has(g.id) ? 0 : Math.max(0, (this.lastInstanceAt.get(g.id) ?? 0) + rules.timeoutMs - Date.now());
    const old = this.groupTimers.get(g.id);
    if (old) clearTimeout(old);
    if (wait === 0) return this.closeGroup(g);
    const t = setTimeout(() => {
      this.groupTimers.delete(g.id);
      this.closeGroup(g);
    }, wait);
    this.groupTimers.set(g.id, t);
  }

  private closeGroup(g: GroupState): void {
    if (g.closedAt || (this.contributors.get(g.id)?.size ?? 0) > 0 || this.pendingWrites.has(g.id)) return;
    this.openGroups.delete(this.groupKey(g.calledAe, g.value));
    this.contributors.delete(g.id);
    this.closedAt.set(g.id, performance.now());
    const firstInst = g.instances[0];
    if (!firstInst) {
      // None of its instances was stored: nothing to run, nothing to keep.
      this.record({ t: 'released', group: g.id });
      return;
    }
    const r = route(this.opts.config, this.opts.values, { called: g.calledAe, calling: firstInst.callingAe, host: firstInst.host, admitted: firstInst.assoc === RECOVERED });
    const targets = r.accept ? r.targets : [];
    const at = now();
    const wfs = workflowsOf(this.opts.values);
    const jobs: JobRecord[] = targets.map((t) => {
      const runnable = t.kind === 'workflow' && !!wfs[t.id];
      return {
        id: randomUUID(),
        group: g.id,
        groupKey: { tag: g.tag, value: g.value },
        calledAe: g.calledAe,
        callingAe: [...new Set(g.instances.map((i) => i.callingAe))].join(','),
        host: [...new Set(g.instances.map((i) => i.host))].join(','),
        target: { kind: t.kind, id: t.id, name: t.name },
        destination: t.destination,
        state: runnable ? 'queued' : 'stored',
        instances: g.instances.length,
        receivedAt: at,
        startedAt: null,
        finishedAt: runnable ? null : at,
        reason: runnable ? null : t.kind === 'pipeline' ? `pipeline ${t.id} runs on Clara (clara-wf pipeline create); the instances are kept in ${path.join(this.jobsDir, '<job>', 'input')}` : `workflow ${t.id} is not in values.yaml`,
        attempt: 0,
        interrupted: 0,
        stages: [],
        export: { destination: t.destination?.name ?? null, state: runnable && t.destination ? 'pending' : 'skipped', sent: 0, failed: 0, attempts: 0, error: null, ms: null },
        releaseToStartMs: null,
      };
    });
    // Inputs of jobs that do not run are linked before the group is closed in the journal.
    for (const j of jobs) if (j.state === 'stored') this.linkInputs(j, path.join(this.jobsDir, j.id, 'input'));
    this.record({ t: 'closed', group: g.id, at, jobs });
    const byStudy = g.tag === '0020,000D' ? 'study' : g.tag === '0020,000E' ? 'series' : 'patient';
    this.log({ type: 'job', message: `group ${g.id} complete: ${plural(g.instances.length, 'instance')} of one ${byStudy} for ${g.calledAe}${jobs.length ? '' : ', mapped to nothing now; kept'}`, group: g.id, instances: g.instances.length });
    for (const j of jobs) {
      this.emit('job', j);
      if (j.state === 'queued') {
        this.log({ type: 'job', message: `job ${j.id} queued: workflow ${j.target.name} (${j.target.id}) on ${plural(j.instances, 'instance')} from ${j.callingAe}`, job: j.id, workflow: j.target.id, group: g.id });
        this.queue.push(j.id);
      } else {
        this.log({ type: 'job', message: `job ${j.id}: ${(j.reason ?? '').replace('<job>', j.id)}`, job: j.id });
      }
    }
    this.releaseIfDone(g);
    this.pump();
  }

  /** Where a job's input comes from: its study's instance files, or (released) the input folder of its last attempt. */
  private inputsOf(job: JobRecord): { kind: 'group'; instances: InstanceRecord[] } | { kind: 'folder'; dir: string } | null {
    const g = this.state.groups.get(job.group);
    if (g && !g.released && g.instances.length) return { kind: 'group', instances: g.instances };
    const plan = this.planFor(job);
    if (plan && fs.existsSync(plan.payload) && dicomFilesIn(plan.payload).length >= job.instances && job.instances > 0) return { kind: 'folder', dir: plan.payload };
    return null;
  }

  /** Acknowledged instances of a job's study that are not there as recorded (missing, or another length), and any the record lost. */
  private missingInstances(job: JobRecord, instances: InstanceRecord[]): string[] {
    const out: string[] = [];
    for (const i of instances) {
      const st = fs.statSync(this.instanceFile(i.id), { throwIfNoEntry: false });
      if (!st) out.push(`${i.sopInstanceUid} (file ${this.instanceFile(i.id)} is missing)`);
      else if (i.fileBytes !== undefined && st.size !== i.fileBytes) out.push(`${i.sopInstanceUid} (file has ${st.size} of its ${i.fileBytes} bytes)`);
    }
    if (instances.length < job.instances) out.push(`${job.instances - instances.length} of the ${job.instances} the study had when it closed have no record`);
    return out;
  }

  /** The group's instances as the job's input folder: hard links (the files are read-only), named by SOP Instance UID. */
  private linkInputs(job: JobRecord, dir: string): void {
    const g = this.state.groups.get(job.group);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    for (const i of g?.instances ?? []) {
      const to = path.join(dir, `${i.sopInstanceUid}.dcm`);
      try {
        fs.linkSync(this.instanceFile(i.id), to);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV' && (e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
        fs.copyFileSync(this.instanceFile(i.id), to);
      }
    }
    syncDir(dir);
  }

  /** Every job of a closed group reached an end: its instance files can go (job folders keep their links). */
  private releaseIfDone(g: GroupState): void {
    if (!g.closedAt || g.released) return;
    if (!g.jobs.every((id) => isFinal(this.state.jobs.get(id)?.state ?? 'done'))) return;
    if (!g.jobs.length) return; // mapped to nothing: keep the files for the operator
    const files = g.instances.map((i) => this.instanceFile(i.id));
    // The release is recorded first; the files go once it is durable (at once, or
    // when a full disk lets it be written): a restart never finds a group whose files are gone.
    this.releasing.push(files);
    this.record({ t: 'released', group: g.id });
  }

  private readonly releasing: string[][] = [];

  private deleteInstanceFiles(files: string[]): void {
    for (const f of files) fs.rmSync(f, { force: true });
  }

  private pump(): void {
    while (!this.stopping && this.running < this.opts.maxJobs && this.queue.length) {
      const job = this.state.jobs.get(this.queue.shift() as string);
      if (!job || isFinal(job.state)) continue;
      this.running++;
      const work = job.state === 'exporting' ? this.export(job) : this.run(job);
      void work
        .catch((e: Error) => {
          if (this.stopping) return;
          // A helm or cluster failure says what the tool said (its last lines).
          const detail = (e as { detail?: string }).detail?.trim().split('\n').slice(-5).join('; ');
          const why = `${e.message}${detail ? `: ${detail}` : ''}`;
          this.patch(job, { state: 'failed', finishedAt: now(), reason: `${e instanceof ExternalToolError ? '' : 'internal error: '}${why}`, export: unsent(job) });
          this.log({ type: 'job', level: 'error', message: `job ${job.id} failed: ${why}`, job: job.id });
        })
        .finally(() => {
          this.running--;
          const g = this.state.groups.get(job.group);
          if (g) this.releaseIfDone(g);
          this.pump();
          if (!this.running && this.idle) this.idle();
        });
    }
  }

  private async run(job: JobRecord): Promise<void> {
    const followed = this.reattached.get(job.id);
    this.reattached.delete(job.id);
    const plan = this.planFor(job);
    if (!plan) {
      followed?.detach?.('its workflow is gone from values.yaml');
      this.patch(job, { state: 'failed', finishedAt: now(), reason: `workflow ${job.target.id} is not in values.yaml any more`, export: { ...job.export, state: 'skipped' } });
      return;
    }
    const attempt = followed ? job.attempt : job.attempt + 1;
    const runner = followed ?? (await this.submit(job, plan, attempt));
    if (!runner) return;
    this.runners.set(job.id, runner);
    const result = await runner.run();
    this.runners.delete(job.id);
    if (this.stopping) {
      if (runner.detach) {
        // On a cluster the run goes on without serve: the job stays running and the next start follows it again.
        this.log({ type: 'job', message: `job ${job.id}: serve is stopping; its ${runner.where} goes on and is followed again at the next start`, job: job.id });
        return;
      }
      // Stopped by the gateway itself: not the job's fault; the next start runs it again.
      this.patch(job, { state: 'queued', interrupted: job.interrupted + 1, reason: `interrupted in attempt ${attempt}: clara-wf dicom serve was stopped; it runs again at the next start` });
      this.log({ type: 'job', message: `job ${job.id} interrupted by the stop; queued for the next start`, job: job.id });
      return;
    }
    if (!result.ok) {
      const bad = result.stages.find((s) => s.status !== 'done' && s.status !== 'skipped');
      const reason = result.aborted ?? (bad ? `stage ${bad.name} ${bad.status}${bad.reason ? ` (${bad.reason})` : ''}` : 'failed');
      // The failed stage keeps the end of its log (its pods' logs on a cluster, which go with the pods).
      const stages = job.stages.slice();
      const i = bad ? stages.findIndex((s) => s.name === bad.name) : -1;
      if (bad && i >= 0) {
        const tail = (await runner.logs(bad.name).catch(() => '')).trimEnd().split('\n').slice(-20).map(printable).join('\n');
        if (tail) stages[i] = { ...(stages[i] as StageRecord), logTail: tail };
      }
      this.patch(job, { state: 'failed', reason, stages, finishedAt: now(), export: unsent(job) });
      this.log({ type: 'job', message: `job ${job.id} failed: ${reason}; nothing was sent`, job: job.id, state: 'failed' });
      return;
    }
    await this.export(job);
  }

  /** A new attempt: a fresh job folder with the study as its input, then its stages started. Null: the job failed first. */
  private async submit(job: JobRecord, plan: RunPlan, attempt: number): Promise<StageRun | null> {
    const input = this.inputsOf(job);
    const missing = input?.kind === 'group' ? this.missingInstances(job, input.instances) : input ? [] : null;
    if (!input || missing?.length) {
      // Never a partial study: the job fails with what is missing, its export skipped.
      const reason = !input ? `its instances are gone (the study was released and ${plan.payload} holds no complete input); send the study again` : `${plural(missing!.length, 'acknowledged instance')} of its study cannot be read, so it was not run: ${missing!.join('; ')}`;
      this.patch(job, { state: 'failed', finishedAt: now(), reason, export: unsent(job) });
      this.log({ type: 'job', level: 'error', message: `job ${job.id} failed: ${reason}`, job: job.id, state: 'failed' });
      return null;
    }
    // A fresh job folder for every attempt; the input comes from the recorded
    // instances, or (a retry after the study was released) the last attempt's input folder.
    if (input.kind === 'group') {
      fs.rmSync(plan.jobDir, { recursive: true, force: true });
      this.linkInputs(job, plan.payload);
    } else {
      const keep = `${plan.jobDir}.input-${process.pid}`;
      fs.rmSync(keep, { recursive: true, force: true });
      fs.renameSync(input.dir, keep);
      fs.rmSync(plan.jobDir, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(plan.payload), { recursive: true });
      fs.renameSync(keep, plan.payload);
    }
    const stages = plan.stages.map((s) => ({ name: s.name, status: 'waiting' as const, exitCode: null, reason: null, startedAt: null, finishedAt: null }));
    this.patch(job, { state: 'running', attempt, startedAt: now(), finishedAt: null, stages, reason: null, submitted: null });
    this.log({ type: 'job', message: `job ${job.id} running ${job.target.name}${attempt > 1 ? ` (attempt ${attempt})` : ''}`, job: job.id, attempt });
    const runner = await this.opts.runtime.start(plan, this.startOptions(job, plan, attempt));
    // What runs it on a cluster, recorded: a restart follows it there instead of submitting again.
    if (runner.detach) this.patch(job, { submitted: { where: runner.where, attempt, at: now() } });
    return runner;
  }

  /**
   * Send a job's results to its destination. Each instance's outcome is
   * recorded as the destination answers it, so a retry (quick, scheduled, at
   * the next start, or `clara-wf dicom retry`) sends only what it did not
   * acknowledge. Quick retries first; then, until --export-retry-for has passed
   * since the first failure, attempts on a capped backoff; then the job fails
   * with its files kept.
   */
  private async export(job: JobRecord): Promise<void> {
    const plan = this.planFor(job);
    if (!plan) {
      this.patch(job, { state: 'failed', finishedAt: now(), reason: `workflow ${job.target.id} is not in values.yaml any more; its results were not sent` });
      return;
    }
    const out = plan.stages[plan.stages.length - 1]!.output;
    const dest = job.destination;
    if (!dest) {
      this.patch(job, { state: 'done', finishedAt: now() });
      this.log({ type: 'job', message: `job ${job.id} done (no destination mapped: results stay in ${out})`, job: job.id, state: 'done' });
      return;
    }
    const store = this.store as Store;
    const known = new Map(store.exportItems(job.id).map((i) => [i.file, i]));
    const items: ExportItem[] = (fs.existsSync(out) ? dicomFilesIn(out) : []).map((f) => known.get(path.relative(out, f)) ?? { file: path.relative(out, f), state: 'pending', sends: 0, why: null });
    const unwritten = new Map<string, ExportItem>();
    const save = (changed: ExportItem[]) => {
      for (const i of changed) unwritten.set(i.file, i);
      try {
        store.writeExportItems(job.id, [...unwritten.values()]);
        unwritten.clear();
      } catch {
        /* written with the next outcome, or at the end; a restart re-sends what has no record (at least once) */
      }
    };
    save(items.filter((i) => !known.has(i.file)));
    this.patch(job, { state: 'exporting', export: { ...job.export, state: 'sending', nextAttemptAt: null } });
    const callingAe = this.opts.config.dicom?.scu?.['ae-title'] ?? 'CLARA';
    const total = items.length;
    let lastError: string | null = null;
    const t0 = performance.now();
    const startedAt = Date.now();
    const todo = () => items.filter((i) => i.state !== 'sent');
    for (let quick = 1; quick <= this.opts.exportRetries + 1 && todo().length; quick++) {
      if (this.stopping) return; // stays 'exporting': resumed at the next start
      const sending = new Map(todo().map((i) => [path.join(out, i.file), i]));
      let duplicates = 0;
      const r = await storeFiles({
        host: dest.host,
        port: dest.port,
        callingAe,
        calledAe: dest.aeTitle,
        files: [...sending.keys()],
        signal: this.stopExports.signal,
        onResult: (file, why, outcome) => {
          const i = sending.get(file) as ExportItem;
          if (outcome === 'unsent') {
            if (i.why !== why) save([Object.assign(i, { why })]);
            return;
          }
          // Sent again after a send that got no answer: the destination may now hold two copies.
          if (i.state === 'unknown') duplicates++;
          Object.assign(i, { state: why === null ? 'sent' : outcome === 'answered' ? 'failed' : 'unknown', sends: i.sends + 1, why });
          save([i]);
        },
      });
      lastError = r.failed[0]?.why ?? null;
      const sent = items.filter((i) => i.state === 'sent').length;
      const history = [...(job.export.history ?? []), { at: now(), sent: r.sent.length, failed: r.failed.length, error: lastError }].slice(-20);
      this.patch(job, { export: { ...job.export, attempts: job.export.attempts + 1, sent, failed: total - sent, duplicates: (job.export.duplicates ?? 0) + duplicates, error: lastError, history } });
      this.log({ type: 'export', message: `job ${job.id} export to ${dest.name} (${dest.aeTitle}@${dest.host}:${dest.port}) attempt ${job.export.attempts}: ${r.sent.length} sent, ${r.failed.length} failed${lastError ? ` (${lastError})` : ''}${duplicates ? `, ${plural(duplicates, 'possible duplicate')}` : ''}`, job: job.id, attempt: job.export.attempts, sent: r.sent.length, failed: r.failed.length });
      if (todo().length && quick <= this.opts.exportRetries && !this.stopping) await sleep(this.opts.exportBackoffMs * 2 ** (quick - 1), this.stopExports.signal);
    }
    if (this.stopping && todo().length) return;
    const ms = Math.round(performance.now() - t0) + (job.export.ms ?? 0);
    const left = todo().length;
    if (!left) {
      this.patch(job, { state: 'done', finishedAt: now(), reason: null, export: { ...job.export, state: 'sent', failed: 0, error: null, ms, nextAttemptAt: null } });
      this.log({ type: 'job', message: `job ${job.id} done: ${plural(total, 'instance')} sent to ${dest.name} in ${plural(job.export.attempts, 'attempt')}${job.export.duplicates ? ` (${plural(job.export.duplicates, 'possible duplicate')}: sent again after an unanswered send)` : ''}`, job: job.id, state: 'done' });
      return;
    }
    // The window opens at the first failure (this export's start) and is kept across attempts and restarts.
    const retryUntil = job.export.retryUntil ?? new Date(startedAt + this.opts.exportRetryForMs).toISOString();
    // Rounds of quick retries so far: each waits twice as long as the last, up to the cap.
    const rounds = Math.floor(job.export.attempts / (this.opts.exportRetries + 1));
    const wait = Math.min(this.opts.exportRetryMaxIntervalMs, Math.max(1000, this.opts.exportBackoffMs) * 2 ** Math.min(Math.max(rounds - 1, 0), 20));
    if (Date.now() + wait <= Date.parse(retryUntil)) {
      const nextAttemptAt = new Date(Date.now() + wait).toISOString();
      this.patch(job, { reason: `export to ${dest.name}: ${left} of ${total} instances not acknowledged yet (${lastError}); next attempt ${nextAttemptAt}, retrying until ${retryUntil}`, export: { ...job.export, state: 'retrying', failed: left, error: lastError, ms, nextAttemptAt, retryUntil } });
      this.log({ type: 'export', level: 'warning', message: `job ${job.id}: ${left} of ${total} instances not acknowledged by ${dest.name} (${lastError}); retrying in ${Math.round(wait / 1000)} s (until ${retryUntil}); clara-wf dicom retry ${job.id} retries now`, job: job.id });
      this.scheduleExport(job, wait);
      return;
    }
    const reason = `export to ${dest.name} failed for ${left} of ${total} instances: ${lastError} (retried until ${retryUntil}); the results are kept in ${out}: clara-wf dicom retry ${job.id} sends what was not acknowledged`;
    this.patch(job, { state: 'failed', reason, finishedAt: now(), export: { ...job.export, state: 'failed', failed: left, error: lastError, ms, nextAttemptAt: null, retryUntil } });
    this.log({ type: 'job', level: 'error', message: `job ${job.id} failed: ${reason}`, job: job.id, state: 'failed' });
  }

  /** The next attempt of an export that is retrying; it takes a job slot only when it starts. */
  private scheduleExport(job: JobRecord, wait: number): void {
    const t = setTimeout(() => {
      this.exportTimers.delete(job.id);
      if (this.stopping || job.state !== 'exporting') return;
      this.queue.push(job.id);
      this.pump();
    }, wait);
    this.exportTimers.set(job.id, t);
  }

  /**
   * Stop accepting, let associations in flight finish (up to the grace
   * period), stop running stages. Nothing is marked failed: what did not
   * finish is in the journal and resumes at the next start.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.scp?.close(this.opts.graceMs);
    for (const t of this.groupTimers.values()) clearTimeout(t);
    // An export in flight ends its association; what was acknowledged is recorded already.
    this.stopExports.abort();
    for (const r of this.runners.values()) {
      if (r.detach) r.detach('clara-wf dicom serve is stopping');
      else r.abort('clara-wf dicom serve is stopping');
    }
    for (const r of this.reattached.values()) r.detach?.('clara-wf dicom serve is stopping');
    if (this.running) {
      const gone = new AbortController();
      await Promise.race([new Promise<void>((r) => (this.idle = r)), sleep(this.opts.graceMs + 5_000, gone.signal)]);
      gone.abort();
    }
    for (const t of this.exportTimers.values()) clearTimeout(t);
    if (this.requestPoll) clearInterval(this.requestPoll);
    if (this.unwritten.length) this.record();
    if (this.unwritten.length) this.log({ type: 'server', level: 'error', message: `state: ${plural(this.unwritten.length, 'state change')} could not be written (the disk is still full); the next start runs or sends again what they recorded (at least once), and keeps the instance files they would have released` });
    this.store?.close();
    this.releaseDataFolder();
    this.log({ type: 'server', message: 'stopped' });
  }
}

/** A wait that a stop cuts short, so no timer keeps the process alive after `stopped`. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });

/** Write, sync and remove a small file: a full or read-only disk is found before serve starts, not by the first study. */
function probeWrite(dir: string): void {
  const file = path.join(dir, `.probe-${process.pid}`);
  try {
    const fd = fs.openSync(file, 'w', 0o600);
    try {
      fs.writeSync(fd, Buffer.alloc(64 * 1024));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
}
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MiB`;

/** Files under `dir` that are DICOM Part 10 files (preamble + "DICM"). */
export function dicomFilesIn(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    const fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(132);
    const n = fs.readSync(fd, head, 0, 132, 0);
    fs.closeSync(fd);
    if (n === 132 && head.toString('latin1', 128, 132) === 'DICM') out.push(file);
  }
  return out.sort();
}
