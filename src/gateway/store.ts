// The gateway's state on disk: SQLite (better-sqlite3), as Orthanc keeps its
// index and MONAI Informatics Gateway its default store. WAL mode with
// synchronous=FULL: a commit is on disk when it returns. One table per thing
// the state holds (groups, instances, jobs, stage pids, export items, runs);
// a record (state.ts) becomes upserts of the rows it touches, so a torn
// append, two records glued on one line or a line of the wrong shape cannot
// happen by construction. SQLITE_FULL / SQLITE_IOERR are errors like ENOSPC:
// the caller answers them as out of resources.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { outOfResources } from '../adapters/files.js';
import { ExternalToolError, StateDamaged } from '../core/errors.js';
import { emptyState, newestFirst, type GatewayState, type GroupState, type InstanceRecord, type JobRecord, type JournalRecord } from './state.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(id TEXT PRIMARY KEY, pid INTEGER NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS groups(id TEXT PRIMARY KEY, called_ae TEXT NOT NULL, tag TEXT NOT NULL, value TEXT NOT NULL, at TEXT NOT NULL, closed_at TEXT, released INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS instances(id TEXT PRIMARY KEY, group_id TEXT NOT NULL, sop_instance_uid TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS instances_group ON instances(group_id, sop_instance_uid);
CREATE TABLE IF NOT EXISTS jobs(id TEXT PRIMARY KEY, group_id TEXT NOT NULL, received_at TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stage_pids(job TEXT NOT NULL, attempt INTEGER NOT NULL, stage TEXT NOT NULL, pid INTEGER NOT NULL, start TEXT);
CREATE TABLE IF NOT EXISTS export_items(job TEXT NOT NULL, file TEXT NOT NULL, state TEXT NOT NULL, sends INTEGER NOT NULL DEFAULT 0, why TEXT, PRIMARY KEY(job, file));
CREATE TABLE IF NOT EXISTS requests(id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, answer TEXT);
`;

const SCHEMA_VERSION = '1';

/** One instance a job's export sends: `sent` once the peer answered Success. */
export interface ExportItem {
  file: string;
  state: 'pending' | 'sent' | 'failed' | 'unknown';
  /** C-STOREs of it so far. */
  sends: number;
  why: string | null;
}

let sqlite: typeof BetterSqlite3 | null = null;
/** better-sqlite3 is a native module: loaded by the commands that keep gateway state only. */
function driver(): typeof BetterSqlite3 {
  try {
    sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  } catch (e) {
    throw driverFailure(e) ?? e;
  }
  return sqlite;
}

/**
 * The driver itself not loading says nothing about the state, so it is no
 * StateDamaged (whose next step, recover, moves the state aside): the native
 * part built for another Node (ERR_DLOPEN_FAILED, NODE_MODULE_VERSION), or
 * missing — better-sqlite3 or its `bindings` not installed, its .node file
 * never built (`bindings` says "Could not locate the bindings file", no code).
 */
export function driverFailure(e: unknown): ExternalToolError | null {
  const err = e as NodeJS.ErrnoException;
  const message = err?.message ?? String(e);
  if (err?.code === 'ERR_DLOPEN_FAILED' || /NODE_MODULE_VERSION/.test(message)) {
    return new ExternalToolError(`better-sqlite3, which keeps the gateway's state, cannot be loaded by this Node (${process.version}); run npm rebuild better-sqlite3 (nothing was read or changed)`, message);
  }
  if (err?.code === 'MODULE_NOT_FOUND' || /Could not locate the bindings file/.test(message)) {
    return new ExternalToolError("better-sqlite3, which keeps the gateway's state, is not installed whole (its module or its native build is missing); run npm ci, or npm rebuild better-sqlite3 (nothing was read or changed)", message);
  }
  return null;
}

const parse = <T>(file: string, what: string, text: string): T => {
  try {
    const v = JSON.parse(text) as T;
    if (v === null || typeof v !== 'object') throw new Error('not an object');
    return v;
  } catch (e) {
    throw new StateDamaged(file, `${what} is not readable (${(e as Error).message})`);
  }
};

export class Store {
  private readonly db: BetterSqlite3.Database;
  private readonly put: {
    run: BetterSqlite3.Statement;
    group: BetterSqlite3.Statement;
    instanceDrop: BetterSqlite3.Statement;
    instance: BetterSqlite3.Statement;
    instanceDelete: BetterSqlite3.Statement;
    closed: BetterSqlite3.Statement;
    job: BetterSqlite3.Statement;
    stage: BetterSqlite3.Statement;
    stagesDrop: BetterSqlite3.Statement;
    released: BetterSqlite3.Statement;
    releasedInstances: BetterSqlite3.Statement;
    item: BetterSqlite3.Statement;
  };

  private constructor(
    readonly file: string,
    opts: { readonly?: boolean } = {},
  ) {
    const Database = driver();
    try {
      this.db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false, timeout: 5000 });
    } catch (e) {
      if (outOfResources(e)) throw e;
      // The native part is loaded here, at the first open: its failure is no damage.
      throw driverFailure(e) ?? new StateDamaged(file, `cannot be opened as a database (${(e as Error).message})`);
    }
    try {
      if (!opts.readonly) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = FULL');
        // A small WAL, checkpointed often and cut back after: the gateway's disk may be small and full.
        this.db.pragma('wal_autocheckpoint = 256');
        this.db.pragma(`journal_size_limit = ${2 ** 20}`);
        this.db.exec(SCHEMA);
        this.db.prepare('INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)').run('schema', SCHEMA_VERSION);
      }
      const check = this.db.pragma('quick_check', { simple: true }) as string;
      if (check !== 'ok') throw new StateDamaged(file, `failed SQLite's quick_check (${check})`);
    } catch (e) {
      this.db.close();
      if (e instanceof StateDamaged || outOfResources(e)) throw e;
      throw new StateDamaged(file, `is damaged (${(e as Error).message})`);
    }
    const p = (sql: string) => this.db.prepare(sql);
    this.put = {
      run: p('INSERT OR REPLACE INTO runs(id, pid, at) VALUES (?, ?, ?)'),
      group: p('INSERT OR REPLACE INTO groups(id, called_ae, tag, value, at, closed_at, released) VALUES (?, ?, ?, ?, ?, NULL, 0)'),
      instanceDrop: p('DELETE FROM instances WHERE group_id = ? AND sop_instance_uid = ?'),
      instance: p('INSERT OR REPLACE INTO instances(id, group_id, sop_instance_uid, body) VALUES (?, ?, ?, ?)'),
      instanceDelete: p('DELETE FROM instances WHERE id = ?'),
      closed: p('UPDATE groups SET closed_at = ? WHERE id = ?'),
      job: p('INSERT OR REPLACE INTO jobs(id, group_id, received_at, body) VALUES (?, ?, ?, ?)'),
      stage: p('INSERT INTO stage_pids(job, attempt, stage, pid, start) VALUES (?, ?, ?, ?, ?)'),
      stagesDrop: p('DELETE FROM stage_pids WHERE job = ?'),
      released: p('UPDATE groups SET released = 1 WHERE id = ?'),
      releasedInstances: p('DELETE FROM instances WHERE group_id = ?'),
      item: p('INSERT INTO export_items(job, file, state, sends, why) VALUES (?, ?, ?, ?, ?) ON CONFLICT(job, file) DO UPDATE SET state = excluded.state, sends = excluded.sends, why = excluded.why'),
    };
  }

  /** Open (creating) the database; throws StateDamaged when it cannot be trusted. */
  static open(file: string): Store {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return new Store(file);
  }

  /** Open an existing database to read while serve may be writing it (WAL lets both). */
  static read(file: string): Store {
    return new Store(file, { readonly: true });
  }

  /**
   * Make `records` durable in one transaction. `state` is the state after
   * they were applied: a job record is written as the whole job it leaves.
   */
  write(records: JournalRecord[], state: GatewayState): void {
    this.db.transaction(() => {
      for (const r of records) this.writeOne(r, state);
    })();
  }

  private writeOne(r: JournalRecord, state: GatewayState): void {
    const q = this.put;
    switch (r.t) {
      case 'run':
        q.run.run(r.id, r.pid, r.at);
        return;
      case 'group':
        q.group.run(r.id, r.calledAe, r.tag, r.value, r.at);
        return;
      case 'instance':
        q.instanceDrop.run(r.group, r.sopInstanceUid);
        q.instance.run(r.id, r.group, r.sopInstanceUid, JSON.stringify(r));
        return;
      case 'void':
        q.instanceDelete.run(r.id);
        return;
      case 'closed':
        q.closed.run(r.at, r.group);
        for (const j of r.jobs) this.writeJob(state.jobs.get(j.id) ?? j);
        return;
      case 'job': {
        const j = state.jobs.get(r.id);
        if (j) this.writeJob(j);
        return;
      }
      case 'stage':
        q.stage.run(r.job, r.attempt, r.stage, r.pid, r.start);
        return;
      case 'released':
        q.released.run(r.group);
        q.releasedInstances.run(r.group);
        return;
    }
  }

  private writeJob(j: JobRecord): void {
    this.put.job.run(j.id, j.group, j.receivedAt, JSON.stringify(j));
    if (j.state !== 'running') this.put.stagesDrop.run(j.id);
  }

  /** The state the database holds; a row that does not read back is damage (StateDamaged). */
  load(): GatewayState {
    const s = emptyState();
    const f = this.file;
    try {
      s.runs = (this.db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
      for (const g of this.db.prepare('SELECT * FROM groups WHERE released = 0 ORDER BY at, rowid').all() as { id: string; called_ae: string; tag: string; value: string; at: string; closed_at: string | null }[]) {
        s.groups.set(g.id, { id: g.id, calledAe: g.called_ae, tag: g.tag, value: g.value, at: g.at, instances: [], closedAt: g.closed_at, jobs: [], released: false } satisfies GroupState);
      }
      for (const row of this.db.prepare('SELECT id, group_id, body FROM instances ORDER BY rowid').all() as { id: string; group_id: string; body: string }[]) {
        const i = parse<InstanceRecord>(f, `instance ${row.id}`, row.body);
        if (i.id !== row.id || typeof i.sopInstanceUid !== 'string' || typeof i.group !== 'string') throw new StateDamaged(f, `instance ${row.id} does not read back as one`);
        s.groups.get(row.group_id)?.instances.push(i);
      }
      for (const row of this.db.prepare('SELECT id, body FROM jobs ORDER BY received_at, id').all() as { id: string; body: string }[]) {
        const j = parse<JobRecord>(f, `job ${row.id}`, row.body);
        if (j.id !== row.id || typeof j.state !== 'string' || typeof j.group !== 'string' || !j.export || !Array.isArray(j.stages) || !j.target) throw new StateDamaged(f, `job ${row.id} does not read back as one`);
        s.jobs.set(j.id, j);
        const g = s.groups.get(j.group);
        if (g && !g.jobs.includes(j.id)) g.jobs.push(j.id);
      }
      for (const p of this.db.prepare('SELECT * FROM stage_pids ORDER BY rowid').all() as { job: string; attempt: number; stage: string; pid: number; start: string | null }[]) {
        const list = s.stagePids.get(p.job) ?? [];
        list.push({ attempt: p.attempt, stage: p.stage, pid: p.pid, start: p.start });
        s.stagePids.set(p.job, list);
      }
    } catch (e) {
      if (e instanceof StateDamaged || outOfResources(e)) throw e;
      throw new StateDamaged(f, `cannot be read (${(e as Error).message})`);
    }
    // An open group none of whose instances was acknowledged is no group.
    for (const g of s.groups.values()) if (!g.closedAt && !g.instances.length) s.groups.delete(g.id);
    return s;
  }

  /** What a job's export has sent so far, per file. */
  exportItems(job: string): ExportItem[] {
    return (this.db.prepare('SELECT file, state, sends, why FROM export_items WHERE job = ? ORDER BY file').all(job) as ExportItem[]).map((r) => ({ ...r }));
  }

  /** Record export outcomes (one transaction). */
  writeExportItems(job: string, items: ExportItem[]): void {
    this.db.transaction(() => {
      for (const i of items) this.put.item.run(job, i.file, i.state, i.sends, i.why);
    })();
  }

  /** A retry asked for by `clara-wf dicom retry` (another process): serve takes it at its next look. Returns its id. */
  request(job: string, kind: 'retry'): number {
    return Number(this.db.prepare('INSERT INTO requests(job, kind, at) VALUES (?, ?, ?)').run(job, kind, new Date().toISOString()).lastInsertRowid);
  }

  /** Serve's answer to a request, once it has taken it. */
  answer(id: number): { ok: boolean; message: string } | null {
    const row = this.db.prepare('SELECT answer FROM requests WHERE id = ?').get(id) as { answer: string | null } | undefined;
    return row?.answer ? (JSON.parse(row.answer) as { ok: boolean; message: string }) : null;
  }

  /** Requests not answered yet; `answer` is called for each and its answer kept for the asker (a day). */
  takeRequests(answer: (r: { job: string; kind: string }) => { ok: boolean; message: string }): void {
    const rows = this.db.prepare('SELECT id, job, kind FROM requests WHERE answer IS NULL ORDER BY id').all() as { id: number; job: string; kind: string }[];
    if (!rows.length) return;
    const set = this.db.prepare('UPDATE requests SET answer = ? WHERE id = ?');
    for (const r of rows) set.run(JSON.stringify(answer(r)), r.id);
    this.db.prepare('DELETE FROM requests WHERE answer IS NOT NULL AND at < ?').run(new Date(Date.now() - 86_400_000).toISOString());
  }

  /** Every job (for `clara-wf dicom jobs`), newest first. */
  jobs(): JobRecord[] {
    return [...this.load().jobs.values()].sort(newestFirst);
  }

  private soon: { records: JournalRecord[]; done: (e?: Error) => void }[] = [];

  /**
   * Write records durably without holding the caller: records that arrive in
   * the same turn of the event loop (concurrent associations) share one
   * transaction and so one WAL sync (group commit).
   */
  writeSoon(records: JournalRecord[], state: GatewayState): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.soon.length) setImmediate(() => this.flushSoon(state));
      this.soon.push({ records, done: (e) => (e ? reject(e) : resolve()) });
    });
  }

  private flushSoon(state: GatewayState): void {
    const take = this.soon;
    this.soon = [];
    try {
      this.write(
        take.flatMap((t) => t.records),
        state,
      );
    } catch (e) {
      for (const t of take) t.done(e as Error);
      return;
    }
    for (const t of take) t.done();
  }

  close(): void {
    try {
      this.db.close();
    } catch {
      /* closed */
    }
  }
}
