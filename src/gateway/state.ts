// The gateway's state and the records that change it: pure (records in,
// state out). Live, serve applies each record and the store (store.ts) writes
// the rows it touched; replay builds the same state from records, which is how
// an old journal.jsonl is imported (compact gives the fewest records for it).
import type { StageStatus } from '../runner/runner.js';

export type JobState = 'queued' | 'running' | 'exporting' | 'done' | 'failed' | 'stored';

export interface StageRecord {
  name: string;
  status: StageStatus;
  exitCode: number | null;
  reason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** A failed stage's last log lines (on a cluster its pods' logs, which go with the pods). */
  logTail?: string;
}

export interface JobRecord {
  /** UUID, never reused. */
  id: string;
  /** The group (UUID) whose instances are the job's input. */
  group: string;
  /** What the group was keyed by, e.g. {tag: "0020,000D", value: <StudyInstanceUID>}. */
  groupKey: { tag: string; value: string };
  calledAe: string;
  callingAe: string;
  host: string;
  target: { kind: 'workflow' | 'pipeline'; id: string; name: string };
  destination: { name: string; host: string; port: number; aeTitle: string } | null;
  state: JobState;
  instances: number;
  receivedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  reason: string | null;
  /** 1 for the first run; a run interrupted by a crash or a stop is run again as the next attempt. */
  attempt: number;
  /** Runs cut short by a crash or a stop of `dicom serve`. */
  interrupted: number;
  stages: StageRecord[];
  export: ExportRecord;
  /** From the group closing to the first stage's process starting (ms). */
  releaseToStartMs: number | null;
  /** The attempt's run on a cluster (a Workflow, a release), recorded once submitted. */
  submitted?: { where: string; attempt: number; at: string } | null;
}

/**
 * A job's delivery. `attempts` counts associations opened to the destination;
 * `sent` the instances it acknowledged (each once); `duplicates` the C-STOREs of
 * an instance sent again after an earlier send got no answer (the peer may hold
 * two copies). `retrying`: quick retries failed, the next attempt is at
 * `nextAttemptAt`, and attempts go on until `retryUntil`.
 */
export interface ExportRecord {
  destination: string | null;
  state: 'pending' | 'sending' | 'retrying' | 'sent' | 'failed' | 'skipped';
  sent: number;
  failed: number;
  attempts: number;
  duplicates?: number;
  error: string | null;
  ms: number | null;
  nextAttemptAt?: string | null;
  retryUntil?: string | null;
  /** The last attempts (newest last, at most 20): when, what was sent, what failed and why. */
  history?: { at: string; sent: number; failed: number; error: string | null }[];
}

export interface InstanceRecord {
  t: 'instance';
  /** UUID: also the file name (instances/<id>.dcm). */
  id: string;
  group: string;
  assoc: string;
  sopInstanceUid: string;
  sopClassUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  patientId: string;
  transferSyntaxUid: string;
  bytes: number;
  /**
   * The file's length and CRC-32. The record is journalled while the file is
   * being synced, so a restart checks the file of a group still open against
   * them: a mismatch is an instance that was never acknowledged. (Absent in
   * journals written before; those files are trusted as they are.)
   */
  fileBytes?: number;
  crc32?: number;
  callingAe: string;
  host: string;
  at: string;
}

export type JournalRecord =
  | { t: 'run'; id: string; pid: number; at: string }
  | { t: 'group'; id: string; calledAe: string; tag: string; value: string; at: string }
  | InstanceRecord
  | { t: 'closed'; group: string; at: string; jobs: JobRecord[] }
  | { t: 'job'; id: string; patch: Partial<JobRecord> }
  | { t: 'stage'; job: string; attempt: number; stage: string; pid: number; start: string | null }
  | { t: 'released'; group: string }
  /** An instance journalled whose file could not be made durable: the sender was told it failed. */
  | { t: 'void'; id: string; why: string };

export interface GroupState {
  id: string;
  calledAe: string;
  tag: string;
  value: string;
  at: string;
  instances: InstanceRecord[];
  closedAt: string | null;
  jobs: string[];
  /** Its instance files are deleted (every job reached an end). */
  released: boolean;
}

export interface GatewayState {
  groups: Map<string, GroupState>;
  jobs: Map<string, JobRecord>;
  /** Stage processes started per job (for finding orphans after a crash). */
  stagePids: Map<string, { attempt: number; stage: string; pid: number; start: string | null }[]>;
  runs: number;
}

export const emptyState = (): GatewayState => ({ groups: new Map(), jobs: new Map(), stagePids: new Map(), runs: 0 });

/** The association of an instance `dicom recover` filed again from its file. */
export const RECOVERED = 'recovered';

/** Jobs newest first (the dashboard's and `dicom jobs`' order). */
export const newestFirst = (a: JobRecord, b: JobRecord) => b.receivedAt.localeCompare(a.receivedAt) || a.id.localeCompare(b.id);

export const isFinal = (s: JobState) => s === 'done' || s === 'failed' || s === 'stored';

export function apply(state: GatewayState, r: JournalRecord): void {
  switch (r.t) {
    case 'run':
      state.runs++;
      return;
    case 'group':
      state.groups.set(r.id, { id: r.id, calledAe: r.calledAe, tag: r.tag, value: r.value, at: r.at, instances: [], closedAt: null, jobs: [], released: false });
      return;
    case 'instance': {
      const g = state.groups.get(r.group);
      if (!g) return;
      // The same SOP instance sent twice: the later copy replaces the earlier.
      const i = g.instances.findIndex((x) => x.sopInstanceUid === r.sopInstanceUid);
      if (i >= 0) g.instances.splice(i, 1);
      g.instances.push(r);
      return;
    }
    case 'closed': {
      const g = state.groups.get(r.group);
      if (g) {
        g.closedAt = r.at;
        g.jobs.push(...r.jobs.map((j) => j.id));
      }
      for (const j of r.jobs) state.jobs.set(j.id, j);
      return;
    }
    case 'job': {
      const j = state.jobs.get(r.id);
      if (j) Object.assign(j, r.patch);
      else if (r.patch.id) {
        state.jobs.set(r.id, r.patch as JobRecord);
        const g = state.groups.get((r.patch as JobRecord).group);
        if (g && !g.jobs.includes(r.id)) g.jobs.push(r.id);
      }
      return;
    }
    case 'stage': {
      const list = state.stagePids.get(r.job) ?? [];
      list.push({ attempt: r.attempt, stage: r.stage, pid: r.pid, start: r.start });
      state.stagePids.set(r.job, list);
      return;
    }
    case 'void':
      // Live, a voided instance was never applied; replay skips it (see replay).
      return;
    case 'released': {
      const g = state.groups.get(r.group);
      if (g) {
        g.released = true;
        g.instances = [];
      }
      return;
    }
  }
}

/**
 * The state the records describe. Instances voided in the journal, or listed
 * in `drop` (files found cut short at a restart), are skipped altogether, so
 * they never replace an earlier copy of the same SOP instance.
 */
export function replay(records: JournalRecord[], drop: ReadonlySet<string> = new Set()): GatewayState {
  const skip = new Set(drop);
  for (const r of records) if (r.t === 'void') skip.add(r.id);
  const s = emptyState();
  for (const r of records) if (!(r.t === 'instance' && skip.has(r.id))) apply(s, r);
  // An open group none of whose instances was acknowledged is no group.
  for (const g of s.groups.values()) if (!g.closedAt && !g.released && !g.instances.length) s.groups.delete(g.id);
  return s;
}

/** Instances of groups not closed yet: the only ones whose files may be cut short by a crash. */
export function openInstances(state: GatewayState): InstanceRecord[] {
  const out: InstanceRecord[] = [];
  for (const g of state.groups.values()) if (!g.closedAt && !g.released) out.push(...g.instances);
  return out;
}

/**
 * The fewest records that replay to the same state: open and unreleased groups
 * with their instances, every job as one record, stage pids of running jobs.
 * Groups whose files are gone keep only their jobs (history).
 */
export function compact(state: GatewayState): JournalRecord[] {
  const out: JournalRecord[] = [];
  for (const g of state.groups.values()) {
    if (g.released) continue;
    out.push({ t: 'group', id: g.id, calledAe: g.calledAe, tag: g.tag, value: g.value, at: g.at });
    out.push(...g.instances);
    if (g.closedAt) out.push({ t: 'closed', group: g.id, at: g.closedAt, jobs: [] });
  }
  const jobs = [...state.jobs.values()].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id));
  for (const j of jobs) out.push({ t: 'job', id: j.id, patch: j });
  for (const [job, pids] of state.stagePids) {
    if (state.jobs.get(job)?.state !== 'running') continue;
    for (const p of pids) out.push({ t: 'stage', job, ...p });
  }
  return out;
}
