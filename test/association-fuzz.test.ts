// Fuzzing the DICOM upper layer of a running `dicom serve` (issue 21):
// fast-check generates sequences of A-ASSOCIATE-RQ / P-DATA / release / abort
// PDUs, valid and broken, sends each on its own connection, and checks:
//   - serve never exits;
//   - every answer is what PS3.8 table 9-10 (and DcmSCP's refusals) say, as
//     modelled below; a case the model cannot predict must at least get
//     well-formed PDUs;
//   - no slot leaks: after each case the server holds no connection and no
//     association (its /api/status) and a legitimate association succeeds;
//   - memory stays bounded.
// CI runs a fixed seed and count; CLARA_WF_FUZZ_RUNS / CLARA_WF_FUZZ_SEED
// run longer. A failing case is printed (seed, path, the steps) and kept in
// test/fixtures/fuzz/association-regressions.json, which every run replays.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type Serve } from './dicom-loop.js';
import { fixture } from './helpers.js';
import { abortPdu, acceptedContexts, APPLICATION_CONTEXT, associateRq, CT_IMAGE, dataset, echoRq, EXPLICIT_LE, IMPLICIT_LE, legitimateEcho, pData, pdu, PDU, RawPeer, releaseRp, releaseRq, responseStatus, storeRq, VERIFICATION, type Context, type Received } from './pdu.js';
import { AE, CALLING, probeChart } from './probe.js';

const RUNS = Number(process.env.CLARA_WF_FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.CLARA_WF_FUZZ_SEED ?? 21);
const REGRESSIONS = fixture('fuzz', 'association-regressions.json');

const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
/** The transfer syntaxes the SCP accepts among those generated, in its order of preference (dicom-net ACCEPTED_TRANSFER_SYNTAXES). */
const ACCEPTED_TS = [EXPLICIT_LE, IMPLICIT_LE, JPEG_BASELINE];
const USABLE_ABSTRACT = new Set([VERIFICATION, CT_IMAGE]);

type Rq = { called: string; calling: string; contexts: Context[]; version: number; applicationContext: string; maxPdu: number };
type Step =
  | { k: 'rq'; rq: Rq }
  | { k: 'echo'; pc: 'verification' | number }
  | { k: 'store'; pc: 'storage' | number; n: number; fragments: number }
  | { k: 'release' }
  | { k: 'abort' }
  | { k: 'ac' }
  | { k: 'rj' }
  | { k: 'releaseRp' }
  | { k: 'garbagePdu'; type: number; body: number[] }
  | { k: 'garbagePdv'; data: number[] };
interface Case {
  steps: Step[];
  /** Bytes per write (0: each step in one write): a PDU split across reads must read the same. */
  chunk: number;
  /** How a case that ends with the association open ends: A-ABORT, or the socket dropped. */
  end: 'abort' | 'drop';
}

// --- generators -------------------------------------------------------------

const oddId = fc.integer({ min: 0, max: 127 }).map((k) => 2 * k + 1);
const contextArb: fc.Arbitrary<Context> = fc.record({
  id: fc.oneof({ weight: 9, arbitrary: oddId }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  abstract: fc.constantFrom(VERIFICATION, VERIFICATION, CT_IMAGE, '1.2.3.4.5'),
  transferSyntaxes: fc.array(fc.constantFrom(IMPLICIT_LE, EXPLICIT_LE, JPEG_BASELINE, '1.2.3.99'), { minLength: 0, maxLength: 3 }).map((t) => (t.length ? t : [])),
});
/** Distinct odd IDs, the shape of every well-behaved request. */
const wellFormedContexts = fc.uniqueArray(oddId, { minLength: 1, maxLength: 4 }).chain((ids) => fc.tuple(...ids.map((id) => fc.record({ id: fc.constant(id), abstract: fc.constantFrom(VERIFICATION, CT_IMAGE, '1.2.3.4.5'), transferSyntaxes: fc.array(fc.constantFrom(IMPLICIT_LE, EXPLICIT_LE, JPEG_BASELINE, '1.2.3.99'), { minLength: 1, maxLength: 3 }) })))) as fc.Arbitrary<Context[]>;
/** A title that is not the known sender's, control characters included. */
const otherTitle = fc.string({ unit: fc.constantFrom(...'ABXYZ019 _-'.split(''), '\n', '\u001b', '\u0007', '\\'), minLength: 0, maxLength: 15 }).map((t) => `X${t}`);
const rqArb: fc.Arbitrary<Rq> = fc.record({
  called: fc.oneof({ weight: 8, arbitrary: fc.constant(AE) }, { weight: 1, arbitrary: otherTitle }),
  calling: fc.oneof({ weight: 8, arbitrary: fc.constant(CALLING) }, { weight: 1, arbitrary: otherTitle }),
  contexts: fc.oneof(
    { weight: 12, arbitrary: wellFormedContexts },
    { weight: 4, arbitrary: fc.array(contextArb, { minLength: 0, maxLength: 4 }) },
    { weight: 1, arbitrary: fc.array(contextArb, { minLength: 129, maxLength: 140 }) },
  ),
  version: fc.oneof({ weight: 12, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(0, 2, 3, 0x8001) }),
  applicationContext: fc.oneof({ weight: 12, arbitrary: fc.constant(APPLICATION_CONTEXT) }, { weight: 1, arbitrary: fc.constant('1.2.840.10008.3.1.1.2') }),
  maxPdu: fc.constantFrom(0, 4096, 16384, 1 << 20),
});
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => [...b]);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: rqArb.map((rq) => ({ k: 'rq' as const, rq })) },
  { weight: 6, arbitrary: fc.oneof({ weight: 5, arbitrary: fc.constant('verification' as const) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }).map((pc) => ({ k: 'echo' as const, pc })) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('store' as const), pc: fc.oneof({ weight: 5, arbitrary: fc.constant('storage' as const) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }), n: fc.nat(), fragments: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.constant({ k: 'release' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'abort' as const }) },
  { weight: 1, arbitrary: fc.constantFrom({ k: 'ac' as const }, { k: 'rj' as const }, { k: 'releaseRp' as const }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('garbagePdu' as const), type: fc.integer({ min: 0, max: 255 }), body: bytes(80) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('garbagePdv' as const), data: bytes(80) }) },
);
const caseArb: fc.Arbitrary<Case> = fc.record({
  // Most sequences start with a request: they reach the states past Sta2.
  steps: fc.oneof({ weight: 4, arbitrary: fc.tuple(rqArb, fc.array(stepArb, { maxLength: 5 })).map(([rq, rest]) => [{ k: 'rq' as const, rq }, ...rest]) }, { weight: 1, arbitrary: fc.array(stepArb, { minLength: 1, maxLength: 5 }) }),
  chunk: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }) }),
  end: fc.constantFrom('abort' as const, 'drop' as const),
});

// --- the model: what PS3.8 says the acceptor answers ------------------------

type Expect = 'AC' | 'RJ' | 'ABORT' | 'RP' | 'RSP' | 'CLOSE' | 'UNKNOWN';

interface Model {
  state: 'Sta2' | 'Sta6' | 'end' | 'unknown';
  /** Accepted presentation contexts: ID → abstract syntax. */
  accepted: Map<number, string>;
  /** The transfer syntax accepted for each. */
  syntax: Map<number, string>;
}

/** Why a request is an invalid PDU (PS3.8 9.3.2.2), or null. */
function invalidContexts(contexts: Context[]): string | null {
  const seen = new Set<number>();
  for (const c of contexts) {
    if (c.id % 2 === 0) return `even ID ${c.id}`;
    if (seen.has(c.id)) return `duplicate ID ${c.id}`;
    seen.add(c.id);
    if (!c.transferSyntaxes.length) return `context ${c.id} without a transfer syntax`;
  }
  return null;
}

function expectRq(m: Model, rq: Rq): Expect {
  if (invalidContexts(rq.contexts)) return 'ABORT';
  if (!(rq.version & 1) || rq.applicationContext !== APPLICATION_CONTEXT) return 'RJ';
  if (rq.called.trim() !== AE || rq.calling.trim() !== CALLING) return 'RJ';
  const usable = rq.contexts.filter((c) => USABLE_ABSTRACT.has(c.abstract) && c.transferSyntaxes.some((t) => ACCEPTED_TS.includes(t)));
  if (!usable.length) return 'RJ';
  m.accepted = new Map(usable.map((c) => [c.id, c.abstract]));
  m.syntax = new Map(usable.map((c) => [c.id, ACCEPTED_TS.find((t) => c.transferSyntaxes.includes(t)) as string]));
  return 'AC';
}

/** Resolve a step's symbolic presentation context against the model. */
function pcOf(m: Model, pc: 'verification' | 'storage' | number): number {
  if (typeof pc === 'number') return pc;
  const want = pc === 'verification' ? VERIFICATION : CT_IMAGE;
  for (const [id, abstract] of m.accepted) if (abstract === want) return id;
  return 0; // none: an ID no request can have (even), so the server must abort
}

/** What the server answers to `step` in the model's state; advances the model. */
function expectStep(m: Model, step: Step): Expect {
  const was = m.state;
  const end = (e: Expect, state: Model['state'] = 'end') => ((m.state = state), e);
  if (was === 'Sta2') {
    if (step.k === 'rq') {
      const e = expectRq(m, step.rq);
      return e === 'AC' ? end(e, 'Sta6') : end(e);
    }
    if (step.k === 'abort') return end('CLOSE');
    if (step.k === 'garbagePdu') return garbage(m, step.type, step.body.length, 'Sta2');
    return end('ABORT'); // AA-1
  }
  // Sta6
  switch (step.k) {
    case 'rq':
    case 'ac':
    case 'rj':
    case 'releaseRp':
      return end('ABORT'); // AA-8
    case 'release':
      return end('RP');
    case 'abort':
      return end('CLOSE');
    case 'echo': {
      const pc = pcOf(m, step.pc);
      return m.accepted.get(pc) === VERIFICATION ? 'RSP' : m.accepted.has(pc) ? end('UNKNOWN', 'unknown') : end('ABORT');
    }
    case 'store': {
      const pc = pcOf(m, step.pc);
      return m.accepted.get(pc) === CT_IMAGE ? 'RSP' : m.accepted.has(pc) ? end('UNKNOWN', 'unknown') : end('ABORT');
    }
    case 'garbagePdu':
      return garbage(m, step.type, step.body.length, 'Sta6');
    case 'garbagePdv':
      return end('UNKNOWN', 'unknown');
  }
}

/** A PDU of random bytes: its type alone decides, unless the state reads it. */
function garbage(m: Model, type: number, length: number, state: 'Sta2' | 'Sta6'): Expect {
  const end = (e: Expect, s: Model['state'] = 'end') => ((m.state = s), e);
  // An A-ABORT is 4 bytes (PS3.8 9.3.8): shorter is an invalid PDU (answered
  // with A-ABORT); longer is read for its first 4 (either answer is right).
  if (type === PDU.abort) return length === 4 ? end('CLOSE') : length < 4 ? end('ABORT') : end('UNKNOWN', 'unknown');
  if (type < 1 || type > 7) return end('ABORT'); // unrecognized PDU
  if (state === 'Sta2') return type === PDU.associateRq ? end('UNKNOWN', 'unknown') : end('ABORT');
  return type === PDU.pData || type === PDU.releaseRq ? end('UNKNOWN', 'unknown') : end('ABORT');
}

// --- driving one case ---------------------------------------------------------

const CT_UID = '1.2.826.0.1.3680043.9.7433.99';

function encode(m: Model, step: Step): Buffer {
  switch (step.k) {
    case 'rq':
      return associateRq(step.rq);
    case 'echo':
      return pData([{ pc: pcOf(m, step.pc), command: true, last: true, data: echoRq(7) }]);
    case 'store': {
      const pc = pcOf(m, step.pc);
      const ids = { sopClass: CT_IMAGE, sopInstance: `${CT_UID}.3.${step.n}`, study: `${CT_UID}.1.${step.n % 5}`, series: `${CT_UID}.2.${step.n % 5}`, patient: `FUZZ-${step.n % 5}` };
      const data = dataset({ ...ids, pixelBytes: 256, implicit: m.syntax.get(pc) === IMPLICIT_LE });
      const size = Math.ceil(data.length / step.fragments);
      const parts = Array.from({ length: step.fragments }, (_, i) => data.subarray(i * size, (i + 1) * size)).filter((p) => p.length);
      return Buffer.concat([pData([{ pc, command: true, last: true, data: storeRq({ ...ids, messageId: 9 }) }]), ...parts.map((p, i) => pData([{ pc, command: false, last: i === parts.length - 1, data: p }]))]);
    }
    case 'release':
      return releaseRq();
    case 'abort':
      return abortPdu();
    case 'ac':
      return pdu(PDU.associateAc, Buffer.alloc(68));
    case 'rj':
      return pdu(PDU.associateRj, Buffer.from([0, 1, 1, 1]));
    case 'releaseRp':
      return releaseRp();
    case 'garbagePdu':
      return pdu(step.type, Buffer.from(step.body));
    case 'garbagePdv':
      return pData([{ pc: pcOf(m, 'verification'), command: true, last: true, data: Buffer.from(step.data) }]);
  }
}

async function write(peer: RawPeer, b: Buffer, chunk: number): Promise<void> {
  if (!chunk) return peer.send(b);
  for (let off = 0; off < b.length; off += chunk) {
    peer.send(b.subarray(off, off + chunk));
    await new Promise((r) => setImmediate(r));
  }
}

const TYPE = { AC: PDU.associateAc, RJ: PDU.associateRj, ABORT: PDU.abort, RP: PDU.releaseRp, RSP: PDU.pData } as const;
const name = (p: Received | null) => (p ? (['?', 'A-ASSOCIATE-RQ', 'A-ASSOCIATE-AC', 'A-ASSOCIATE-RJ', 'P-DATA-TF', 'A-RELEASE-RQ', 'A-RELEASE-RP', 'A-ABORT'][p.type] ?? `type ${p.type}`) : 'nothing (closed or silent)');

/** Run one case against the server; throws with what differed from the model. */
async function runCase(port: number, c: Case): Promise<void> {
  const peer = await RawPeer.connect(port);
  const m: Model = { state: 'Sta2', accepted: new Map(), syntax: new Map() };
  try {
    let next = 0;
    for (const [i, step] of c.steps.entries()) {
      const bytesOut = encode(m, step);
      const want = expectStep(m, step);
      await write(peer, bytesOut, c.chunk);
      const where = `step ${i} (${step.k})`;
      if (want === 'UNKNOWN') {
        // Not predicted: whatever comes back must be a well-formed PDU of a known type.
        await peer.closedWithin(5);
        for (const p of peer.received.slice(next)) if (p.type < 1 || p.type > 7) throw new Error(`${where}: a PDU of unknown type ${p.type}`);
        return;
      }
      if (want === 'CLOSE') {
        if (!(await peer.closedWithin(1500))) throw new Error(`${where}: an A-ABORT was not answered by closing the connection`);
        if (peer.received.length > next) throw new Error(`${where}: answered an A-ABORT with ${name(peer.received[next] ?? null)}`);
        return;
      }
      const got = await peer.pdu(next, 2000);
      if (got?.type !== TYPE[want]) throw new Error(`${where}: expected ${want}, got ${name(got)}`);
      next++;
      if (want === 'AC') {
        // Exactly the contexts the model accepts are accepted (result 0).
        const results = acceptedContexts(got);
        for (const ctx of (step as { rq: Rq }).rq.contexts) {
          const accepted = results.get(ctx.id) === 0;
          if (accepted !== m.accepted.has(ctx.id)) throw new Error(`${where}: context ${ctx.id} (${ctx.abstract}) ${accepted ? 'accepted' : 'not accepted'}, the model says otherwise`);
        }
      }
      if (want === 'RSP' && responseStatus(got) !== 0) throw new Error(`${where}: DIMSE status 0x${(responseStatus(got) ?? -1).toString(16)}, not success`);
      if (want === 'ABORT' && !(await peer.closedWithin(1500))) throw new Error(`${where}: A-ABORT sent but the connection stayed open`);
      if (m.state === 'end') return;
    }
    if (m.state === 'Sta6' && c.end === 'abort') {
      peer.send(abortPdu());
      await peer.closedWithin(1500);
    }
  } finally {
    peer.destroy();
  }
}

// --- the suite ----------------------------------------------------------------

let s: Serve;

// A kept-alive HTTP connection: a poll costs ~0.4 ms (fetch ~1 ms), paid after every case.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const status = () =>
  new Promise<{ associations: number; connections: number }>((resolve, reject) => {
    const u = new URL('/api/status', s.dashboard as string);
    http
      .get({ host: u.hostname, port: u.port, path: u.pathname, agent, headers: { Authorization: `Bearer ${s.token}` } }, (r) => {
        let body = '';
        r.on('data', (d) => (body += d));
        r.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });

/** The server holds nothing of the case any more; then a legitimate association succeeds. */
async function nothingLeaked(): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const st = await status();
    if (st.associations === 0 && st.connections === 0) break;
    if (Date.now() - t0 > 3000) throw new Error(`slot leaked: ${st.associations} associations and ${st.connections} connections still open after the case ended`);
    await new Promise((r) => setTimeout(r, 1));
  }
  const r = await legitimateEcho(s.port, { called: AE, calling: CALLING });
  if (r !== 'ok') throw new Error(`a legitimate association after the case: ${r}`);
  if (s.child.exitCode !== null) throw new Error(`dicom serve exited with ${s.child.exitCode}`);
}

const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${s.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** Steps as JSON, Buffers and typed arrays as plain arrays. */
const asJson = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? [...x] : x)));

function keepRegression(details: fc.RunDetails<[Case]>): void {
  if (!details.failed || !details.counterexample) return;
  const list = fs.existsSync(REGRESSIONS) ? (JSON.parse(fs.readFileSync(REGRESSIONS, 'utf8')) as unknown[]) : [];
  list.push({ seed: details.seed, path: details.counterexamplePath, error: String((details.errorInstance as Error)?.message ?? details.errorInstance), case: asJson(details.counterexample[0]) });
  fs.mkdirSync(path.dirname(REGRESSIONS), { recursive: true });
  fs.writeFileSync(REGRESSIONS, JSON.stringify(list, null, 2) + '\n');
}

beforeAll(async () => {
  const { chart, dir } = await probeChart();
  s = await startServe(chart, path.join(dir, 'data'), [], true);
});

afterAll(() => {
  agent.destroy();
  if (s?.child.exitCode === null) s.child.kill('SIGKILL');
});

describe('the DICOM upper layer under generated PDU sequences (fast-check)', () => {
  it('every kept regression case passes', async () => {
    const kept = fs.existsSync(REGRESSIONS) ? (JSON.parse(fs.readFileSync(REGRESSIONS, 'utf8')) as { case: Case; error: string }[]) : [];
    for (const r of kept) {
      await runCase(s.port, r.case);
      await nothingLeaked();
    }
  });

  it('the model is not trivial: the generated cases reach every answer it predicts', () => {
    const seen = new Set<Expect>();
    for (const c of fc.sample(caseArb, { numRuns: 2000, seed: SEED })) {
      const m: Model = { state: 'Sta2', accepted: new Map(), syntax: new Map() };
      for (const step of c.steps) {
        if (m.state === 'end' || m.state === 'unknown') break;
        encode(m, step);
        seen.add(expectStep(m, step));
      }
    }
    expect([...seen].sort()).toEqual(['ABORT', 'AC', 'CLOSE', 'RJ', 'RP', 'RSP', 'UNKNOWN']);
  });

  it(`${RUNS} cases (seed ${SEED}): serve never exits, answers as PS3.8 says, leaks no slot, memory bounded`, async () => {
    const t0 = Date.now();
    const rss: number[] = [rssMb()];
    let n = 0;
    const details = await fc.check(
      fc.asyncProperty(caseArb, async (c) => {
        await runCase(s.port, c);
        await nothingLeaked();
        if (++n % 1000 === 0) rss.push(rssMb());
      }),
      { numRuns: RUNS, seed: SEED, includeErrorInReport: true },
    );
    keepRegression(details);
    rss.push(rssMb());
    console.log(`association fuzz: ${n} runs (seed ${SEED}) in ${((Date.now() - t0) / 1000).toFixed(1)} s; serve RSS ${rss.map((x) => x.toFixed(0)).join(' → ')} MB`);
    if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? 'failed');
    expect(s.child.exitCode).toBe(null);
    // Bounded: no more than 120 MB over the whole run.
    expect(Math.max(...rss)).toBeLessThan(rss[0]! + 120);
    // Still as many associations at once as max-associations (4), from two hosts.
    const all = await Promise.all(['127.0.0.1', '127.0.0.2', '127.0.0.1', '127.0.0.2'].map((localAddress) => legitimateEcho(s.port, { called: AE, calling: CALLING, localAddress })));
    expect(all).toEqual(['ok', 'ok', 'ok', 'ok']);
  }, Math.max(600_000, RUNS * 30));
});

