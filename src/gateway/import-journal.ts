// The one-time import of a journal.jsonl written by clara-wf before the state
// moved to SQLite. Every line that is one whole record of a known shape is
// taken; any other line (torn, two records glued, JSON of the wrong shape) is
// reported by line number and kept, as written, in a quarantine/ file.
import fs from 'node:fs';
import path from 'node:path';
import type { JournalRecord } from './state.js';

const str = (v: unknown) => typeof v === 'string';
const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A job as a record must hold it for serve to use it (the fields serve reads without a check). */
function isJob(j: unknown): boolean {
  return obj(j) && str(j.id) && str(j.group) && str(j.state) && obj(j.target) && str(j.target.id) && obj(j.export) && Array.isArray(j.stages) && num(j.instances) && num(j.attempt) && str(j.receivedAt);
}

/** Whether a parsed line has the shape of the record its `t` names. */
export function isJournalRecord(r: unknown): r is JournalRecord {
  if (!obj(r)) return false;
  switch (r.t) {
    case 'run':
      return str(r.id) && num(r.pid) && str(r.at);
    case 'group':
      return str(r.id) && str(r.calledAe) && str(r.tag) && str(r.value) && str(r.at);
    case 'instance':
      return str(r.id) && str(r.group) && str(r.sopInstanceUid) && str(r.studyInstanceUid) && str(r.callingAe) && str(r.host) && num(r.bytes) && (r.fileBytes === undefined || num(r.fileBytes)) && (r.crc32 === undefined || num(r.crc32));
    case 'closed':
      return str(r.group) && str(r.at) && Array.isArray(r.jobs) && r.jobs.every(isJob);
    case 'job':
      // A patch of an existing job, or (compacted) a whole one.
      return str(r.id) && obj(r.patch) && (r.patch.id === undefined || isJob(r.patch));
    case 'stage':
      return str(r.job) && num(r.attempt) && str(r.stage) && num(r.pid);
    case 'released':
      return str(r.group);
    case 'void':
      return str(r.id);
    default:
      return false;
  }
}

export interface ImportedJournal {
  records: JournalRecord[];
  /** 1-based numbers of the lines not taken. */
  unreadable: number[];
  /** Where those lines were kept (null when there were none). */
  quarantined: string | null;
}

export function importJournal(file: string, quarantineDir: string): ImportedJournal {
  const text = fs.readFileSync(file, 'utf8');
  const records: JournalRecord[] = [];
  const unreadable: number[] = [];
  const kept: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, n) => {
    if (!line) return;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      r = undefined;
    }
    if (isJournalRecord(r)) records.push(r);
    else {
      unreadable.push(n + 1);
      kept.push(JSON.stringify({ line: n + 1, text: line }));
    }
  });
  let quarantined: string | null = null;
  if (kept.length) {
    fs.mkdirSync(quarantineDir, { recursive: true });
    quarantined = path.join(quarantineDir, `journal-unreadable-lines-${new Date().toISOString().replace(/[:.]/g, '')}.jsonl`);
    fs.writeFileSync(quarantined, kept.join('\n') + '\n', { mode: 0o600 });
  }
  return { records, unreadable, quarantined };
}
