// The gateway's journal and the state it replays to (pure), and the vendored
// PDU accumulator (linear, bounded).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Journal } from '../src/gateway/journal.js';
import { compact, replay, type JobRecord, type JournalRecord } from '../src/gateway/state.js';
import { tempDir } from './helpers.js';

const inst = (id: string, group: string, sop: string): JournalRecord => ({ t: 'instance', id, group, assoc: 'a', sopInstanceUid: sop, sopClassUid: '1.2', studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4', patientId: 'P', transferSyntaxUid: '1.2.840.10008.1.2.1', bytes: 10, callingAe: 'X', host: '127.0.0.1', at: '2026-12-02T00:00:00Z' });
const job = (id: string, group: string, state: JobRecord['state']): JobRecord => ({ id, group, groupKey: { tag: '0020,000D', value: '1.2.3' }, calledAe: 'AE', callingAe: 'X', host: 'h', target: { kind: 'workflow', id: 'w', name: 'w' }, destination: null, state, instances: 2, receivedAt: `2026-12-02T00:00:0${id.length % 10}Z`, startedAt: null, finishedAt: null, reason: null, attempt: 0, interrupted: 0, stages: [], export: { destination: null, state: 'skipped', sent: 0, failed: 0, attempts: 0, error: null, ms: null }, releaseToStartMs: null });

const records: JournalRecord[] = [
  { t: 'run', id: 'r1', pid: 1, at: 'x' },
  { t: 'group', id: 'g1', calledAe: 'AE', tag: '0020,000D', value: '1.2.3', at: 'x' },
  inst('i1', 'g1', '1.1'),
  inst('i2', 'g1', '1.2'),
  inst('i3', 'g1', '1.1'), // the same SOP instance again: replaces i1
  { t: 'closed', group: 'g1', at: 'x', jobs: [job('j1', 'g1', 'queued')] },
  { t: 'job', id: 'j1', patch: { state: 'running', attempt: 1 } },
  { t: 'stage', job: 'j1', attempt: 1, stage: 's', pid: 42, start: '7' },
  { t: 'group', id: 'g2', calledAe: 'AE', tag: '0020,000D', value: '9.9', at: 'x' },
  inst('i4', 'g2', '2.1'),
  { t: 'group', id: 'g3', calledAe: 'AE', tag: '0020,000D', value: '8.8', at: 'x' },
  inst('i5', 'g3', '3.1'),
  { t: 'closed', group: 'g3', at: 'x', jobs: [job('j3', 'g3', 'queued')] },
  { t: 'job', id: 'j3', patch: { state: 'done' } },
  { t: 'released', group: 'g3' },
];

describe('gateway state', () => {
  it('replays groups, instances (a resent SOP instance replaces the first), jobs and stage pids', () => {
    const s = replay(records);
    expect(s.groups.get('g1')?.instances.map((i) => i.id)).toEqual(['i2', 'i3']);
    expect(s.jobs.get('j1')).toMatchObject({ state: 'running', attempt: 1 });
    expect(s.groups.get('g2')?.closedAt).toBeNull();
    expect(s.groups.get('g3')).toMatchObject({ released: true, instances: [] });
    expect(s.stagePids.get('j1')).toEqual([{ attempt: 1, stage: 's', pid: 42, start: '7' }]);
  });

  it('compaction replays to the same state, keeps job history, drops released groups', () => {
    const s = replay(records);
    const c = compact(s);
    const again = replay(c);
    expect([...again.jobs.values()]).toEqual([...s.jobs.values()].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt)));
    expect([...again.groups.keys()].sort()).toEqual(['g1', 'g2']);
    expect(again.groups.get('g1')?.jobs).toEqual(['j1']);
    expect(again.stagePids.get('j1')).toHaveLength(1);
    expect(compact(again)).toEqual(c);
  });
});

describe('journal file', () => {
  it('appends durably, drops a torn last line, rewrites atomically', () => {
    const dir = tempDir();
    const file = path.join(dir, 'j.jsonl');
    const { journal } = Journal.open(file);
    journal.append(records[0] as JournalRecord, records[1] as JournalRecord);
    journal.close();
    fs.appendFileSync(file, '{"t":"instance","id":"cut sh');
    const again = Journal.open(file);
    expect(again.records).toHaveLength(2);
    expect(again.torn).toBe(1);
    again.journal.rewrite([records[0] as JournalRecord]);
    again.journal.append(records[1] as JournalRecord);
    again.journal.close();
    expect(fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).t)).toEqual(['run', 'group']);
    expect(fs.readdirSync(dir)).toEqual(['j.jsonl']);
  });
});

describe('vendored dcmjs-dimse PDU accumulator', () => {
  const require = createRequire(import.meta.url);
  // Not exported by the package: reach the class through the module's source.
  const src = fs.readFileSync(require.resolve('dcmjs-dimse/src/Network.js'), 'utf8');
  it('is the patched one (linear, bounded)', () => {
    expect(src).toContain('clara-wf patch: PDUs are assembled in linear time');
    expect(src).not.toMatch(/Buffer\.concat\(\[this\.receiving, data\]/);
  });
});
