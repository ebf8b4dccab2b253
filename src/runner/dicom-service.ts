// `clara-wf dicom serve`: DICOM in → workflow (the local runner) → DICOM out.
// Every association is routed by the DICOM configuration; its instances land in
// a staging folder and become a job only when the sender releases it.
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startScp, storeFiles, type AssociationInfo, type ScpServer } from '../adapters/dicom-net.js';
import type { DicomConfig } from '../core/dicom-config.js';
import { route, type RouteTarget } from '../core/dicom-route.js';
import { workflowsOf, type Values, type WorkflowSpec } from '../core/model.js';
import { planRun, type RunPlan, type Runtime } from './plan.js';
import { Runner, type StageState } from './runner.js';

export type JobState = 'queued' | 'running' | 'exporting' | 'done' | 'failed' | 'stored';

export interface JobRecord {
  id: string;
  calledAe: string;
  callingAe: string;
  host: string;
  target: { kind: 'workflow' | 'pipeline'; id: string; name: string };
  state: JobState;
  instances: number;
  receivedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  reason: string | null;
  stages: Pick<StageState, 'name' | 'status' | 'exitCode' | 'reason'>[] & { startedAt: string | null; finishedAt: string | null }[];
  export: { destination: string | null; state: 'pending' | 'sent' | 'failed' | 'skipped'; sent: number; failed: number; attempts: number; error: string | null; ms: number | null };
  /** From the association's release to the first stage's process starting (ms). */
  releaseToStartMs: number | null;
}

export interface ServiceEvent {
  type: 'server' | 'association' | 'job' | 'stage' | 'export';
  message: string;
  [key: string]: unknown;
}

export interface ServiceOptions {
  config: DicomConfig;
  values: Values;
  valuesDir: string;
  dataDir: string;
  host: string;
  port: number;
  maxJobs: number;
  runtime: Runtime;
  env: Record<string, string | undefined>;
  graceMs: number;
  jobTimeoutMs: number;
  exportRetries: number;
  exportBackoffMs: number;
}

interface Internal {
  record: JobRecord;
  plan: RunPlan | null;
  destination: RouteTarget['destination'];
  releasedAt: number;
}

export class DicomService extends EventEmitter {
  readonly jobs = new Map<string, Internal>();
  private scp: ScpServer | null = null;
  private readonly queue: Internal[] = [];
  private readonly runners = new Map<string, Runner>();
  private running = 0;
  private stopping = false;
  private idle: (() => void) | null = null;

  constructor(private readonly opts: ServiceOptions) {
    super();
  }

  private log(e: ServiceEvent): void {
    this.emit('log', e);
  }

  private changed(job: Internal): void {
    this.emit('job', job.record);
  }

  list(): JobRecord[] {
    return [...this.jobs.values()].map((j) => j.record).sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
  }

  /** The log file of a job's stage (only files the runner itself writes). */
  logFile(jobId: string, stage: string): string | null {
    const s = this.jobs.get(jobId)?.plan?.stages.find((x) => x.name === stage);
    return s?.logFile ?? null;
  }

  async start(): Promise<ScpServer> {
    const { opts } = this;
    fs.mkdirSync(path.join(opts.dataDir, '.incoming'), { recursive: true });
    const maxAssociations = opts.config.dicom?.scp?.['max-associations'] ?? 0;
    this.scp = await startScp({
      host: opts.host,
      port: opts.port,
      events: {
        associate: (a) => {
          if (this.stopping) return { accept: false, reason: 'busy' };
          if (maxAssociations && (this.scp?.openAssociations() ?? 0) > maxAssociations) return { accept: false, reason: 'busy' };
          const r = route(opts.config, opts.values, { called: a.calledAe, calling: a.callingAe, host: a.host });
          if (!r.accept) return { accept: false, reason: r.reason === 'calling-ae-unknown' ? 'calling' : 'called' };
          this.log({ type: 'association', message: `association ${a.id} from ${a.callingAe}@${a.host} to ${a.calledAe} accepted: ${r.targets.map((t) => `${t.kind} ${t.name}`).join(', ')}`, association: a.id, calledAe: a.calledAe, callingAe: a.callingAe, host: a.host });
          return { accept: true, staging: path.join(opts.dataDir, '.incoming', `${a.id}-${Date.now()}-${randomBytes(3).toString('hex')}`) };
        },
        rejected: (a, reason) => {
          const why = reason === 'busy' ? `max-associations (${maxAssociations}) reached or shutting down` : route(opts.config, opts.values, { called: a.calledAe, calling: a.callingAe, host: a.host }).why;
          this.log({ type: 'association', message: `association ${a.id} from ${a.callingAe}@${a.host} to ${a.calledAe} rejected: ${why}`, association: a.id, rejected: reason });
        },
        echo: (a) => this.log({ type: 'association', message: `C-ECHO from ${a.callingAe}@${a.host} to ${a.calledAe}`, association: a.id }),
        released: (a, n) => this.released(a, n),
        aborted: (a, n, why) => {
          // Discard first: the log line says it is done.
          this.discardStaging(a);
          this.log({ type: 'association', message: `association ${a.id} from ${a.callingAe}@${a.host} aborted after ${n} instance${n === 1 ? '' : 's'} (${why}); nothing kept, nothing started`, association: a.id, aborted: true });
        },
        error: (m) => this.log({ type: 'server', message: m, level: 'error' }),
      },
    });
    this.log({ type: 'server', message: `DICOM SCP listening on ${this.scp.address.host}:${this.scp.address.port} for ${(opts.config.dicom?.scp?.['ae-titles'] ?? []).map((t) => t['ae-title']).join(', ')}`, ...this.scp.address });
    return this.scp;
  }


  private discardStaging(a: AssociationInfo): void {
    const dir = this.findStaging(a);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }

  private findStaging(a: AssociationInfo): string | null {
    const base = path.join(this.opts.dataDir, '.incoming');
    const hit = fs.readdirSync(base).find((d) => d.startsWith(`${a.id}-`));
    return hit ? path.join(base, hit) : null;
  }

  private released(a: AssociationInfo, instances: number): void {
    const releasedAt = performance.now();
    const staging = this.findStaging(a);
    const r = route(this.opts.config, this.opts.values, { called: a.calledAe, calling: a.callingAe, host: a.host });
    if (!staging || !r.accept) return;
    if (instances === 0) {
      this.log({ type: 'association', message: `association ${a.id} released with no instances; nothing to run`, association: a.id });
      fs.rmSync(staging, { recursive: true, force: true });
      return;
    }
    this.log({ type: 'association', message: `association ${a.id} released: ${instances} instance${instances === 1 ? '' : 's'} received`, association: a.id, instances });
    r.targets.forEach((t, k) => {
      const last = k === r.targets.length - 1;
      this.createJob(a, t, staging, instances, releasedAt, last);
    });
  }

  private createJob(a: AssociationInfo, t: RouteTarget, staging: string, instances: number, releasedAt: number, moveStaging: boolean): void {
    const id = randomUUID();
    const record: JobRecord = {
      id,
      calledAe: a.calledAe,
      callingAe: a.callingAe,
      host: a.host,
      target: { kind: t.kind, id: t.id, name: t.name },
      state: 'queued',
      instances,
      receivedAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      reason: null,
      stages: [] as JobRecord['stages'],
      export: { destination: t.destination?.name ?? null, state: t.destination ? 'pending' : 'skipped', sent: 0, failed: 0, attempts: 0, error: null, ms: null },
      releaseToStartMs: null,
    };
    const job: Internal = { record, plan: null, destination: t.destination, releasedAt };
    this.jobs.set(id, job);
    const wf = t.kind === 'workflow' ? (workflowsOf(this.opts.values)[t.id] as WorkflowSpec | undefined) : undefined;
    let inputDir: string;
    if (wf) {
      job.plan = planRun({ values: this.opts.values, workflowId: t.id, workflow: wf, jobId: id, dataDir: this.opts.dataDir, valuesDir: this.opts.valuesDir });
      inputDir = job.plan.stages[0]!.input;
      record.stages = job.plan.stages.map((s) => ({ name: s.name, status: 'waiting', exitCode: null, reason: null, startedAt: null, finishedAt: null })) as JobRecord['stages'];
    } else {
      inputDir = path.join(this.opts.dataDir, id, 'input');
    }
    fs.mkdirSync(path.dirname(inputDir), { recursive: true });
    // One target: the staging folder becomes the input (a rename). Several: copies.
    if (moveStaging) fs.renameSync(staging, inputDir);
    else fs.cpSync(staging, inputDir, { recursive: true });
    if (!wf) {
      record.state = 'stored';
      record.finishedAt = new Date().toISOString();
      record.reason = t.kind === 'pipeline' ? `pipeline ${t.id} runs on Clara (clara-wf pipeline create); the instances are kept in ${inputDir}` : `workflow ${t.id} is not in values.yaml`;
      this.log({ type: 'job', message: `job ${id}: ${record.reason}`, job: id });
      this.changed(job);
      return;
    }
    this.log({ type: 'job', message: `job ${id} queued: workflow ${t.name} (${t.id}) on ${instances} instance${instances === 1 ? '' : 's'} from ${a.callingAe}`, job: id, workflow: t.id });
    this.changed(job);
    this.queue.push(job);
    this.pump();
  }

  private pump(): void {
    while (!this.stopping && this.running < this.opts.maxJobs && this.queue.length) {
      const job = this.queue.shift() as Internal;
      this.running++;
      void this.run(job).finally(() => {
        this.running--;
        this.pump();
        if (!this.running && this.idle) this.idle();
      });
    }
  }

  private async run(job: Internal): Promise<void> {
    const { record } = job;
    const plan = job.plan as RunPlan;
    record.state = 'running';
    record.startedAt = new Date().toISOString();
    this.changed(job);
    this.log({ type: 'job', message: `job ${record.id} running ${record.target.name}`, job: record.id });
    const runner = new Runner(plan, {
      runtime: this.opts.runtime,
      env: this.opts.env,
      runTimeoutMs: this.opts.jobTimeoutMs,
      graceMs: this.opts.graceMs,
      onChange: (st) => {
        const i = plan.stages.findIndex((s) => s.name === st.name);
        if (record.releaseToStartMs === null && st.status === 'running') record.releaseToStartMs = performance.now() - job.releasedAt;
        record.stages[i] = { name: st.name, status: st.status, exitCode: st.exitCode, reason: st.reason, startedAt: st.startedAt?.toISOString() ?? null, finishedAt: st.finishedAt?.toISOString() ?? null } as JobRecord['stages'][number];
        if (st.status !== 'waiting') this.log({ type: 'stage', message: `job ${record.id} stage ${st.name} ${st.status}${st.reason ? `: ${st.reason}` : ''}`, job: record.id, stage: st.name, status: st.status });
        this.changed(job);
      },
    });
    this.runners.set(record.id, runner);
    const result = await runner.run();
    this.runners.delete(record.id);
    if (!result.ok) {
      record.state = 'failed';
      const bad = result.stages.find((s) => s.status !== 'done' && s.status !== 'skipped');
      record.reason = result.aborted ?? (bad ? `stage ${bad.name} ${bad.status}${bad.reason ? ` (${bad.reason})` : ''}` : 'failed');
      if (record.export.state === 'pending') record.export.state = 'skipped';
      record.finishedAt = new Date().toISOString();
      this.log({ type: 'job', message: `job ${record.id} failed: ${record.reason}; nothing was sent`, job: record.id, state: 'failed' });
      this.changed(job);
      return;
    }
    await this.export(job);
  }

  private async export(job: Internal): Promise<void> {
    const { record } = job;
    const plan = job.plan as RunPlan;
    const dest = job.destination;
    if (!dest) {
      record.state = 'done';
      record.finishedAt = new Date().toISOString();
      this.log({ type: 'job', message: `job ${record.id} done (no destination mapped: results stay in ${plan.stages[plan.stages.length - 1]!.output})`, job: record.id, state: 'done' });
      this.changed(job);
      return;
    }
    record.state = 'exporting';
    this.changed(job);
    let files = dicomFilesIn(plan.stages[plan.stages.length - 1]!.output);
    const callingAe = this.opts.config.dicom?.scu?.['ae-title'] ?? 'CLARA';
    const total = files.length;
    let lastError: string | null = null;
    const t0 = performance.now();
    for (let attempt = 1; attempt <= this.opts.exportRetries + 1 && files.length; attempt++) {
      record.export.attempts = attempt;
      const r = await storeFiles({ host: dest.host, port: dest.port, callingAe, calledAe: dest.aeTitle, files });
      record.export.sent += r.sent.length;
      lastError = r.failed[0]?.why ?? null;
      this.log({ type: 'export', message: `job ${record.id} export to ${dest.name} (${dest.aeTitle}@${dest.host}:${dest.port}) attempt ${attempt}: ${r.sent.length} sent, ${r.failed.length} failed${lastError ? ` (${lastError})` : ''}`, job: record.id, attempt, sent: r.sent.length, failed: r.failed.length });
      files = r.failed.map((f) => f.file);
      this.changed(job);
      if (files.length && attempt <= this.opts.exportRetries) await sleep(this.opts.exportBackoffMs * 2 ** (attempt - 1));
    }
    record.export.failed = files.length;
    record.export.ms = Math.round(performance.now() - t0);
    record.finishedAt = new Date().toISOString();
    if (files.length) {
      record.export.state = 'failed';
      record.export.error = lastError;
      record.state = 'failed';
      record.reason = `export to ${dest.name} failed for ${files.length} of ${total} instances: ${lastError}`;
      this.log({ type: 'job', message: `job ${record.id} failed: ${record.reason}`, job: record.id, state: 'failed' });
    } else {
      record.export.state = 'sent';
      record.state = 'done';
      this.log({ type: 'job', message: `job ${record.id} done: ${total} instance${total === 1 ? '' : 's'} sent to ${dest.name}`, job: record.id, state: 'done' });
    }
    this.changed(job);
  }

  /** Stop accepting, let associations in flight finish, stop running jobs' stages, and return. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.scp?.close(30_000);
    for (const r of this.runners.values()) r.abort('clara-wf dicom serve is stopping');
    if (this.running) await new Promise<void>((r) => (this.idle = r));
    this.log({ type: 'server', message: 'stopped' });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
