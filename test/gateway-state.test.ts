// The gateway's records and the state they replay to (pure), the state
// database and the old journal's import, and the vendored
// PDU accumulator (linear, bounded).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';
import { fc, it } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { fileMatches } from '../src/gateway/instance-files.js';
import { importJournal } from '../src/gateway/import-journal.js';
import { driverFailure, Store } from '../src/gateway/store.js';
import { compact, openInstances, replay, type JobRecord, type JournalRecord } from '../src/gateway/state.js';
import { repoRoot, tempDir } from './helpers.js';
import { spawnSync } from 'node:child_process';

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

describe('instances journalled while their files were synced', () => {
  it('a voided instance is skipped altogether: it does not replace an earlier copy of its SOP instance', () => {
    const s = replay([...records, { t: 'void', id: 'i3', why: 'EIO' }]);
    expect(s.groups.get('g1')?.instances.map((i) => i.id)).toEqual(['i1', 'i2']);
  });

  it('instances dropped at a restart are skipped; an open group left with none is no group', () => {
    expect(openInstances(replay(records)).map((i) => i.id)).toEqual(['i4']);
    const s = replay(records, new Set(['i4']));
    expect(s.groups.has('g2')).toBe(false);
    expect(s.groups.get('g1')?.instances).toHaveLength(2);
    // A closed group keeps its history even with no instance left (released).
    expect(s.groups.get('g3')).toMatchObject({ released: true });
  });

  it('a file is checked against the length and CRC-32 its record names', () => {
    const dir = tempDir();
    const file = path.join(dir, 'x.dcm');
    const bytes = Buffer.from(Array.from({ length: 3 << 20 }, (_, i) => (i * 7) & 0xff));
    fs.writeFileSync(file, bytes);
    expect(fileMatches(file, bytes.length, crc32(bytes))).toBeNull();
    expect(fileMatches(file, bytes.length + 1, crc32(bytes))).toBe(`has ${bytes.length} of its ${bytes.length + 1} bytes`);
    const damaged = Buffer.from(bytes);
    damaged[2 << 20] ^= 1;
    fs.writeFileSync(file, damaged);
    expect(fileMatches(file, bytes.length, crc32(bytes))).toBe('does not match its CRC-32');
    expect(fileMatches(path.join(dir, 'gone.dcm'), 1, 0)).toBe('is missing');
  });
});

describe('state database', () => {
  it('holds what the records describe: a reopen loads the state replay builds', () => {
    const dir = tempDir();
    const file = path.join(dir, 'gateway.db');
    const store = Store.open(file);
    // One record at a time, each written with the state it leaves, as serve does.
    records.forEach((r, i) => store.write([r], replay(records.slice(0, i + 1))));
    store.close();
    const again = Store.read(file);
    const loaded = again.load();
    again.close();
    const expected = replay(records);
    expect([...loaded.groups.values()].map((g) => [g.id, g.closedAt, g.instances.map((i) => i.sopInstanceUid)])).toEqual([...expected.groups.values()].filter((g) => !g.released).map((g) => [g.id, g.closedAt, g.instances.map((i) => i.sopInstanceUid)]));
    expect([...loaded.jobs.values()]).toEqual([...expected.jobs.values()]);
  });

  it('a damaged database is named, never guessed at: truncated, or a job row that does not read back', () => {
    const dir = tempDir();
    const file = path.join(dir, 'gateway.db');
    const store = Store.open(file);
    const s = replay(records);
    store.write(compact(s), s);
    store.close();
    // A row of the wrong shape (as a flipped bit in a JSON column would leave).
    const raw = new (createRequire(import.meta.url)('better-sqlite3'))(file);
    raw.prepare("UPDATE jobs SET body = replace(body, '\"state\"', '\"stat\"')").run();
    raw.close();
    expect(() => Store.open(file).load()).toThrow(/gateway\.db: job .* does not read back as one; stop here; run clara-wf dicom recover/);
    // Truncated to a third: not a database any more.
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 3)));
    for (const f of [`${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    expect(() => Store.open(file).load()).toThrow(/gateway\.db: .*(malformed|damaged|quick_check|not a database).*clara-wf dicom recover/);
  });

  it('the driver not loading is not damage: no recover (which moves the state aside) is suggested', () => {
    const dlopen = Object.assign(new Error('The module was compiled against a different Node.js version using NODE_MODULE_VERSION 115'), { code: 'ERR_DLOPEN_FAILED' });
    expect(driverFailure(dlopen)?.message).toMatch(/cannot be loaded by this Node .*npm rebuild better-sqlite3 \(nothing was read or changed\)/);
    expect(driverFailure(Object.assign(new Error("Cannot find module 'bindings'"), { code: 'MODULE_NOT_FOUND' }))?.message).toMatch(/not installed whole .*npm ci/);
    expect(driverFailure(new Error('Could not locate the bindings file. Tried:\n → build/better_sqlite3.node'))?.exitCode).toBe(4);
    // A database that is not one stays damage.
    expect(driverFailure(Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' }))).toBeNull();
  });

  it('an install whose better-sqlite3 lacks its `bindings` module says so and leaves the state as it was (found by running serve from a copy)', () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const file = path.join(data, '.gateway', 'gateway.db');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const store = Store.open(file);
    const s = replay(records);
    store.write(compact(s), s);
    store.close();
    const before = fs.readFileSync(file);
    // The install: bin, dist and package.json copied, every module linked but `bindings`.
    const install = path.join(dir, 'install');
    fs.mkdirSync(path.join(install, 'node_modules'), { recursive: true });
    for (const f of ['bin', 'dist', 'package.json']) fs.cpSync(path.join(repoRoot, f), path.join(install, f), { recursive: true });
    for (const m of fs.readdirSync(path.join(repoRoot, 'node_modules'))) {
      if (m === 'bindings' || m === 'better-sqlite3') continue;
      fs.symlinkSync(fs.realpathSync(path.join(repoRoot, 'node_modules', m)), path.join(install, 'node_modules', m));
    }
    // better-sqlite3 copied (not linked), so `bindings` is looked for under the copy and not found.
    fs.cpSync(fs.realpathSync(path.join(repoRoot, 'node_modules', 'better-sqlite3')), path.join(install, 'node_modules', 'better-sqlite3'), { recursive: true });
    const r = spawnSync(process.execPath, [path.join(install, 'bin', 'clara-wf.cjs'), 'dicom', 'jobs', '--data', data], { encoding: 'utf8', cwd: dir });
    expect(r.stderr).toMatch(/better-sqlite3, which keeps the gateway's state, is not installed whole .*npm ci/);
    expect(r.stderr).not.toMatch(/recover|at .*\.js:\d+/);
    expect(r.status).toBe(4);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(data)).toEqual(['.gateway']);
  });
});

describe('old journal import', () => {
  it('takes every whole record of a known shape; torn, glued and wrong-shape lines are reported by number and kept', () => {
    const dir = tempDir();
    const file = path.join(dir, 'journal.jsonl');
    const good = records.map((r) => JSON.stringify(r));
    const lines = [good[0], good[1], good[2]!.slice(0, 20), good[3]! + good[4]!, JSON.stringify({ t: 'jobr', id: 'x' }), 'null', ...good.slice(5)];
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const q = path.join(dir, 'quarantine');
    const r = importJournal(file, q);
    expect(r.unreadable).toEqual([3, 4, 5, 6]);
    expect(r.records).toHaveLength(2 + records.length - 5);
    const kept = fs.readFileSync(r.quarantined as string, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(kept.map((k) => k.line)).toEqual([3, 4, 5, 6]);
    expect(kept[1].text).toBe(good[3]! + good[4]!);
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

  const { PduAccumulator } = require('dcmjs-dimse/src/Network.js');
  /** A P-DATA-TF PDU (type 4) of n bytes after its header, filled with `fill`. */
  const pdu = (n: number, fill: number) => {
    const b = Buffer.alloc(6 + n, fill);
    b.writeUInt8(4, 0);
    b.writeUInt8(0, 1);
    b.writeUInt32BE(n, 2);
    return b;
  };
  it('reuses its assembly buffers only once a PDU is released: PDUs queued together keep their own bytes', () => {
    const acc = new PduAccumulator(1 << 20, true);
    const got: { data: Buffer; release: (() => void) | null }[] = [];
    acc.on('pdu', (p: { data: Buffer; release: (() => void) | null }) => got.push(p));
    const sent = [pdu(3000, 1), pdu(5000, 2), pdu(4000, 3)];
    // Cut into chunks that straddle every PDU, all in before any is processed.
    const all = Buffer.concat(sent);
    for (let off = 0; off < all.length; off += 1000) acc.accumulate(Buffer.from(all.subarray(off, off + 1000)));
    expect(got.map((g) => g.data.toString('hex'))).toEqual(sent.map((b) => b.toString('hex')));
    const buffers = new Set(got.map((g) => g.data.buffer));
    expect(buffers.size).toBe(3);
    for (const g of got) g.release?.();
    expect(got.every((g) => typeof g.release === 'function')).toBe(true);
    got.length = 0;
    // Released buffers are used again (no new allocation per PDU).
    const next = [pdu(2500, 4), pdu(2500, 5)];
    const more = Buffer.concat(next);
    for (let off = 0; off < more.length; off += 700) acc.accumulate(Buffer.from(more.subarray(off, off + 700)));
    expect(got.map((g) => g.data.toString('hex'))).toEqual(next.map((b) => b.toString('hex')));
    expect(got.every((g) => buffers.has(g.data.buffer))).toBe(true);
  });

  // Any split of a stream of PDUs into socket reads gives back the same PDUs,
  // in order, whether assembly buffers are reused or not (fast-check).
  it.prop([fc.array(fc.record({ type: fc.integer({ min: 1, max: 7 }), n: fc.integer({ min: 0, max: 3000 }), fill: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 40 }), fc.boolean()], { seed: 21, numRuns: 300 })('any split into reads gives back the same PDUs, in order', (pdus, cuts, reuse) => {
    const acc = new PduAccumulator(1 << 20, reuse);
    const got: string[] = [];
    acc.on('pdu', (p: { data: Buffer; release: (() => void) | null }) => {
      got.push(p.data.toString('hex'));
      p.release?.();
    });
    const sent = pdus.map(({ type, n, fill }) => {
      const b = pdu(n, fill);
      b.writeUInt8(type, 0);
      return b;
    });
    const all = Buffer.concat(sent);
    let off = 0;
    for (let i = 0; off < all.length; i++) {
      const k = cuts[i % cuts.length] as number;
      acc.accumulate(Buffer.from(all.subarray(off, off + k)));
      off += k;
    }
    expect(got).toEqual(sent.map((b) => b.toString('hex')));
  });

  it.prop([fc.integer({ min: 1, max: 7 }), fc.integer({ min: 4097, max: 0xffffffff })], { seed: 21, numRuns: 200 })('a PDU declaring more than the limit is refused before any of it is kept', (type, length) => {
    const acc = new PduAccumulator(4096, false);
    const errors: { abortReason: number }[] = [];
    acc.on('error', (e: { abortReason: number }) => errors.push(e));
    acc.on('pdu', () => errors.push({ abortReason: -1 }));
    const head = Buffer.alloc(6);
    head.writeUInt8(type, 0);
    head.writeUInt32BE(length, 2);
    acc.accumulate(head);
    expect(errors.map((e) => e.abortReason)).toEqual([6]);
    expect(acc.length).toBe(0);
  });

  it('never reuses a buffer without the option, or for PDUs other than P-DATA-TF', () => {
    const plain = new PduAccumulator(1 << 20, false);
    const got: unknown[] = [];
    plain.on('pdu', (p: { release: unknown }) => got.push(p.release));
    plain.accumulate(pdu(3000, 1).subarray(0, 1000));
    plain.accumulate(pdu(3000, 1).subarray(1000));
    const rq = pdu(3000, 1);
    rq.writeUInt8(1, 0); // A-ASSOCIATE-RQ
    const reusing = new PduAccumulator(1 << 20, true);
    reusing.on('pdu', (p: { release: unknown }) => got.push(p.release));
    reusing.accumulate(rq.subarray(0, 1000));
    reusing.accumulate(rq.subarray(1000));
    expect(got).toEqual([null, null]);
  });
});

describe('vendored dcmjs-dimse command sets', () => {
  const require = createRequire(import.meta.url);
  const d = require('dcmjs-dimse');
  const dcmjs = require(require.resolve('dcmjs', { paths: [path.dirname(require.resolve('dcmjs-dimse/package.json'))] }));
  const { requests, responses } = d;
  const sop = '1.2.826.0.1.3680043.8.498.12345678901234567890123456789012345';
  const rq = new requests.CStoreRequest();
  rq.setAffectedSopClassUid('1.2.840.10008.5.1.4.1.1.2');
  rq.setAffectedSopInstanceUid(sop);
  rq.setMessageId(65535);
  const even = new requests.CStoreRequest();
  even.setAffectedSopClassUid('1.2.840.10008.5.1.4.1.1.20');
  even.setAffectedSopInstanceUid('1.2.3.44');
  even.setMessageId(1);
  const withStatus = (r: any, status: number) => (r.setStatus(status), r);
  const commands: [string, any, boolean][] = [
    ['C-STORE-RQ', rq, true],
    ['C-STORE-RSP success', withStatus(responses.CStoreResponse.fromRequest(rq), 0x0000), true],
    ['C-STORE-RSP out of resources', withStatus(responses.CStoreResponse.fromRequest(rq), 0xa700), true],
    ['C-STORE-RSP warning, even-length UIDs', withStatus(responses.CStoreResponse.fromRequest(even), 0xb000), true],
    ['C-ECHO-RQ', new requests.CEchoRequest(), true],
    ['C-ECHO-RSP', withStatus(responses.CEchoResponse.fromRequest(new requests.CEchoRequest()), 0), true],
    ['C-FIND-RQ', requests.CFindRequest.createStudyFindRequest({ PatientID: 'P1' }), false],
    ['C-MOVE-RQ', requests.CMoveRequest.createStudyMoveRequest('MYPACS', '1.2.3'), false],
    ['C-GET-RQ', requests.CGetRequest.createStudyGetRequest('1.2.3'), false],
  ];
  for (const [name, command, direct] of commands) {
    it(`${name} is encoded byte for byte as dcmjs encodes it${direct ? ', without dcmjs' : ''}`, () => {
      const ds = command.getCommandDataset();
      const expected = ds._getDenaturalizedCommandDatasetWithDcmjs(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds.getElements()));
      if (direct) ds._getDenaturalizedCommandDatasetWithDcmjs = () => expect.fail('the direct encoder fell back to dcmjs');
      const actual: Buffer = ds.getDenaturalizedCommandDataset();
      expect(actual.toString('hex')).toBe(expected.toString('hex'));
      // And it reads back to the same elements.
      expect(new d.Dataset(actual).getElements()).toEqual(new d.Dataset(expected).getElements());
    });
  }
});
