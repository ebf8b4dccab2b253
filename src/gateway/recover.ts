// `clara-wf dicom recover`: the way out when the gateway's state is damaged or
// lost. The instance files are the truth about what was acknowledged and not
// yet finished (a study's files go only once every job of it ended): each is
// read by its own header and filed into groups again, which close after their
// quiet period at the next start and run their workflows again (at least
// once). Job history is kept from whatever of the old state still reads. The
// old state moves to quarantine/, never deleted.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { DicomConfig } from '../core/dicom-config.js';
import { UsageError } from '../core/errors.js';
import { GROUPINGS, intakeRules } from '../core/intake.js';
import { importJournal } from './import-journal.js';
import { first } from './identify.js';
import { syncDir } from './instance-files.js';
import { isFinal, RECOVERED, replay, type GatewayState, type InstanceRecord, type JobRecord, type JournalRecord } from './state.js';
import { Store } from './store.js';

export interface RecoverReport {
  /** Where the old state went. */
  moved: string[];
  groups: { id: string; calledAe: string; value: string; instances: number }[];
  /** Files not filed (not a Part 10 instance we can read, or a second copy), moved to quarantine/. */
  unreadable: { file: string; why: string }[];
  /** Finished jobs kept as history. */
  history: number;
  /** Unfinished jobs of the old state, marked failed: their studies run again as new jobs. */
  superseded: number;
  /** Why the old state gave no history, when it gave none. */
  historyLost: string | null;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
/** The identifiers of a Part 10 file (its bytes), from its own meta header and dataset. */
export function readInstanceHeader(buf: Buffer): { sopInstanceUid: string; sopClassUid: string; studyInstanceUid: string; seriesInstanceUid: string; patientId: string; transferSyntaxUid: string } {
  const dcmjs = createRequire(import.meta.url)('dcmjs');
  dcmjs.log?.setLevel?.('silent');
  if (buf.length < 132 || buf.toString('latin1', 128, 132) !== 'DICM') throw new Error('not a DICOM Part 10 file (no DICM at byte 128)');
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const msg = dcmjs.data.DicomMessage.readFile(ab, { untilTag: '0020000F', stopOnGreaterTag: true, ignoreErrors: true });
  const v = (d: Record<string, any> | undefined, tag: string) => first(d ?? {}, tag);
  const ids = {
    sopInstanceUid: v(msg.dict, '00080018') || v(msg.meta, '00020003'),
    sopClassUid: v(msg.dict, '00080016') || v(msg.meta, '00020002'),
    studyInstanceUid: v(msg.dict, '0020000D'),
    seriesInstanceUid: v(msg.dict, '0020000E'),
    patientId: v(msg.dict, '00100020'),
    transferSyntaxUid: v(msg.meta, '00020010'),
  };
  if (!ids.sopInstanceUid || !ids.studyInstanceUid) throw new Error('its header names no SOP Instance UID or Study Instance UID');
  return ids;
}

/** Whatever of the old state still reads: the database, else the old journal's readable lines. */
function oldState(db: string, journal: string, quarantineDir: string): { state: GatewayState | null; why: string | null } {
  if (fs.existsSync(db)) {
    try {
      const s = Store.read(db);
      try {
        return { state: s.load(), why: null };
      } finally {
        s.close();
      }
    } catch (e) {
      if (!fs.existsSync(journal)) return { state: null, why: (e as Error).message };
    }
  }
  if (fs.existsSync(journal)) {
    const j = importJournal(journal, quarantineDir);
    return { state: replay(j.records), why: null };
  }
  return { state: null, why: 'no database or journal was there' };
}

export function recoverState(opts: { dir: string; db: string; journal: string; instances: string; quarantine: string; config: DicomConfig; calledAe?: string }): RecoverReport {
  const { config } = opts;
  const aeTitles = (config.dicom?.scp?.['ae-titles'] ?? []).map((t) => t['ae-title']);
  const old = oldState(opts.db, opts.journal, opts.quarantine);
  // Which AE title an instance was sent to: the old state says, where it still reads.
  const aeOf = new Map<string, string>();
  const oldInstance = new Map<string, InstanceRecord>();
  for (const g of old.state?.groups.values() ?? [])
    for (const i of g.instances) {
      aeOf.set(i.id, g.calledAe);
      oldInstance.set(i.id, i);
    }
  // An instance whose own record was lost, of a study whose group still reads: that group's AE title, if only one.
  const aeByGroupValue = (ids: ReturnType<typeof readInstanceHeader>): string | undefined => {
    const titles = new Set<string>();
    for (const g of old.state?.groups.values() ?? []) {
      const field = GROUPINGS.find((x) => x.tag === g.tag)?.field;
      if (field && ids[field] === g.value) titles.add(g.calledAe);
    }
    return titles.size === 1 ? [...titles][0] : undefined;
  };

  // Every file read first: nothing moves until the whole answer is known.
  fs.mkdirSync(opts.instances, { recursive: true });
  const found: { name: string; file: string; id: string; ids?: ReturnType<typeof readInstanceHeader>; bytes?: number; crc?: number; calledAe?: string; why?: string }[] = [];
  for (const name of fs.readdirSync(opts.instances).sort()) {
    const file = path.join(opts.instances, name);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    const id = name.replace(/\.dcm$/, '');
    if (st.size === 0) {
      found.push({ name, file, id }); // a spare made ahead of need, never written
      continue;
    }
    try {
      // Read once: identifiers, length and CRC-32 from the same bytes.
      const buf = fs.readFileSync(file);
      const ids = readInstanceHeader(buf);
      found.push({ name, file, id, ids, bytes: buf.length, crc: crc32(buf), calledAe: aeOf.get(id) ?? aeByGroupValue(ids) ?? opts.calledAe ?? (aeTitles.length === 1 ? aeTitles[0] : undefined) });
    } catch (e) {
      found.push({ name, file, id, why: (e as Error).message });
    }
  }
  const noAe = found.filter((f) => f.ids && !f.calledAe);
  if (noAe.length) throw new UsageError(`${noAe.length} instance file${noAe.length === 1 ? ' was' : 's were'} sent to an AE title the old state cannot tell (it does not read, or names ${noAe.length === 1 ? 'it' : 'them'} not): give --called-ae, one of ${aeTitles.join(', ')}; nothing was changed`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '');
  const oldDir = path.join(opts.quarantine, `state-${stamp}`);
  const moved: string[] = [];
  fs.mkdirSync(oldDir, { recursive: true });
  for (const f of [opts.db, `${opts.db}-wal`, `${opts.db}-shm`, opts.journal]) {
    if (!fs.existsSync(f)) continue;
    const to = path.join(oldDir, path.basename(f));
    fs.renameSync(f, to);
    moved.push(to);
  }
  syncDir(opts.dir);

  const groups = new Map<string, { id: string; calledAe: string; tag: string; value: string; instances: InstanceRecord[] }>();
  const unreadable: RecoverReport['unreadable'] = [];
  const at = new Date().toISOString();
  for (const { name, file, id, ids, bytes, crc, calledAe, why } of found) {
    if (!ids) {
      if (why === undefined) {
        fs.rmSync(file, { force: true });
        continue;
      }
      const to = path.join(opts.quarantine, `${stamp}-${name}`);
      fs.renameSync(file, to);
      unreadable.push({ file: to, why });
      continue;
    }
    const rules = intakeRules(config, calledAe as string);
    const value = ids[rules.grouping.field];
    const key = `${calledAe}\u0000${value}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { id: randomUUID(), calledAe: calledAe as string, tag: rules.grouping.tag, value, instances: [] }));
    // The same SOP instance twice (sent again): one copy is filed, the other kept in quarantine/.
    for (const twin of g.instances.filter((i) => i.sopInstanceUid === ids.sopInstanceUid)) {
      const to = path.join(opts.quarantine, `${stamp}-${twin.id}.dcm`);
      fs.renameSync(path.join(opts.instances, `${twin.id}.dcm`), to);
      unreadable.push({ file: to, why: `a second copy of SOP instance ${ids.sopInstanceUid} (the other is filed)` });
    }
    g.instances = g.instances.filter((i) => i.sopInstanceUid !== ids.sopInstanceUid);
    // The sender, where the old record still says; the association is always the recovered one (routed without a source check).
    const was = oldInstance.get(id);
    g.instances.push({ t: 'instance', id, group: g.id, assoc: RECOVERED, sopInstanceUid: ids.sopInstanceUid, sopClassUid: ids.sopClassUid, studyInstanceUid: ids.studyInstanceUid, seriesInstanceUid: ids.seriesInstanceUid, patientId: ids.patientId, transferSyntaxUid: ids.transferSyntaxUid, bytes: was?.bytes ?? (bytes as number), fileBytes: bytes as number, crc32: crc as number, callingAe: was?.callingAe ?? RECOVERED, host: was?.host ?? RECOVERED, at: was?.at ?? at });
  }

  const records: JournalRecord[] = [];
  for (const g of groups.values()) {
    records.push({ t: 'group', id: g.id, calledAe: g.calledAe, tag: g.tag, value: g.value, at });
    records.push(...g.instances);
  }
  let history = 0;
  let superseded = 0;
  for (const j of old.state?.jobs.values() ?? []) {
    let job: JobRecord = j;
    if (isFinal(j.state)) history++;
    else {
      superseded++;
      job = { ...j, state: 'failed', finishedAt: at, reason: `${j.state} when the gateway's state was lost; clara-wf dicom recover filed its study's instance files again, and a new job runs it` };
    }
    records.push({ t: 'job', id: job.id, patch: job });
  }
  const state = replay(records);
  const store = Store.open(opts.db);
  try {
    store.write(records, state);
  } finally {
    store.close();
  }
  return { moved, groups: [...groups.values()].map((g) => ({ id: g.id, calledAe: g.calledAe, value: g.value, instances: g.instances.length })), unreadable, history, superseded, historyLost: old.state ? null : old.why };
}
