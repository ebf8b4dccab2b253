// One bad association must never stop the gateway or lock senders out: the
// cases a raw-PDU probe found (issue 21), each against a real `dicom serve`
// process, with the DICOM upper layer driven by hand (test/pdu.ts).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binJs } from './helpers.js';
import { freePort, startServe, type Serve } from './dicom-loop.js';
import { AE, CALLING, probeChart } from './probe.js';
import { abortPdu, acceptedContexts, associateRq, CT_IMAGE, dataset, EXPLICIT_LE, IMPLICIT_LE, legitimateEcho, pData, PDU, RawPeer, releaseRq, storeRq, VERIFICATION, type Context } from './pdu.js';

let chart: string;
let dir: string;
let s: Serve;

const contexts = (...ids: number[]): Context[] => ids.map((id) => ({ id, abstract: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }));

/** The gateway still answers: a legitimate association (C-ECHO, release) succeeds. */
const stillServing = () => legitimateEcho(s.port, { called: AE, calling: CALLING });

/** Send an A-ASSOCIATE-RQ; what came back first, and whether the connection was then closed. */
async function associate(rq: Buffer): Promise<{ first: number | null; closed: boolean; peer: RawPeer }> {
  const peer = await RawPeer.connect(s.port);
  peer.send(rq);
  const first = await peer.pdu(0);
  return { first: first?.type ?? null, closed: await peer.closedWithin(2000), peer };
}

beforeAll(async () => {
  ({ chart, dir } = await probeChart());
  s = await startServe(chart, path.join(dir, 'data'), [], true);
});

afterAll(async () => {
  if (s?.child.exitCode === null) s.child.kill('SIGKILL');
});

describe('presentation contexts as PS3.8 §9.3.2.2 says: odd, unique, 1-255, at most 128', () => {
  it('two contexts with ID 255: the association is aborted, serve stays up', async () => {
    const r = await associate(associateRq({ called: AE, calling: CALLING, contexts: contexts(255, 255) }));
    expect(r.first).toBe(PDU.abort);
    expect(r.closed).toBe(true);
    expect(await stillServing()).toBe('ok');
    expect(s.child.exitCode).toBe(null);
  });

  it('more than 128 contexts: aborted, serve stays up', async () => {
    const ids = Array.from({ length: 130 }, (_, i) => (2 * i + 1) % 256 || 1);
    const r = await associate(associateRq({ called: AE, calling: CALLING, contexts: contexts(...ids) }));
    expect(r.first).toBe(PDU.abort);
    expect(await stillServing()).toBe('ok');
  });

  it('an even context ID is an invalid PDU parameter: aborted', async () => {
    const r = await associate(associateRq({ called: AE, calling: CALLING, contexts: contexts(2) }));
    expect(r.first).toBe(PDU.abort);
    expect(r.closed).toBe(true);
  });

  it('no presentation context: rejected (A-ASSOCIATE-RJ), as storescp rejects an association with none acceptable', async () => {
    const r = await associate(associateRq({ called: AE, calling: CALLING, contexts: [] }));
    expect(r.first).toBe(PDU.associateRj);
    // Only what it cannot use: the association is rejected, not accepted with nothing in it.
    const none = await associate(associateRq({ called: AE, calling: CALLING, contexts: [{ id: 1, abstract: '1.2.3.4', transferSyntaxes: [IMPLICIT_LE] }] }));
    expect(none.first).toBe(PDU.associateRj);
    expect(await stillServing()).toBe('ok');
  });
});

describe('an association is a state machine (PS3.8 §9.2, table 9-10)', () => {
  it('a second A-ASSOCIATE-RQ on an open association is an A-ABORT and leaks no slot: then max-associations senders are all accepted', async () => {
    for (let k = 0; k < 7; k++) {
      const peer = await RawPeer.connect(s.port);
      peer.send(associateRq({ called: AE, calling: CALLING, contexts: contexts(1) }));
      expect((await peer.pdu(0))?.type).toBe(PDU.associateAc);
      peer.send(associateRq({ called: AE, calling: CALLING, contexts: contexts(1) }));
      expect((await peer.pdu(1))?.type).toBe(PDU.abort);
      expect(await peer.closedWithin(2000)).toBe(true);
    }
    // max-associations (4) held open at once, from two hosts (3 at most each): every one is accepted.
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const senders = ['127.0.0.1', '127.0.0.2', '127.0.0.1', '127.0.0.2'].map((localAddress) => legitimateEcho(s.port, { called: AE, calling: CALLING, hold, localAddress }));
    await new Promise((r) => setTimeout(r, 300));
    release();
    expect(await Promise.all(senders)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('A-RELEASE-RQ before any association is an A-ABORT, not an A-RELEASE-RP', async () => {
    const peer = await RawPeer.connect(s.port);
    peer.send(releaseRq());
    expect((await peer.pdu(0))?.type).toBe(PDU.abort);
    expect(await peer.closedWithin(2000)).toBe(true);
  });

  it('P-DATA before the association is accepted is an A-ABORT', async () => {
    const peer = await RawPeer.connect(s.port);
    peer.send(pData([{ pc: 1, command: true, last: true, data: Buffer.alloc(8) }]));
    expect((await peer.pdu(0))?.type).toBe(PDU.abort);
    expect(await stillServing()).toBe('ok');
  });

  it('an A-ABORT from the peer ends the association at once, and its slot with it', async () => {
    for (let k = 0; k < 6; k++) {
      const peer = await RawPeer.connect(s.port);
      peer.send(associateRq({ called: AE, calling: CALLING, contexts: contexts(1) }));
      expect((await peer.pdu(0))?.type).toBe(PDU.associateAc);
      peer.send(abortPdu());
      expect(await peer.closedWithin(2000)).toBe(true);
    }
    expect(await stillServing()).toBe('ok');
  });
});

describe('limits per source host beside the global ones', () => {
  it('40 idle connections from one host leave another host\'s sender accepted', async () => {
    const idle = await Promise.all(Array.from({ length: 40 }, () => RawPeer.connect(s.port, { localAddress: '127.0.0.2' }).catch(() => null)));
    await new Promise((r) => setTimeout(r, 200));
    // Beyond the per-host limit (4 here), they were closed at once.
    const open = idle.filter((p) => p && !p.closed).length;
    expect(open).toBeLessThanOrEqual(4);
    expect(await stillServing()).toBe('ok');
    for (const p of idle) p?.destroy();
    // Their slots are free once the server has seen them close.
    await new Promise((r) => setTimeout(r, 300));
  });

  it('one host holding associations cannot take the last slot from another (max-associations-per-host)', async () => {
    // This serve allows 3 per host (4 in all); one more from 127.0.0.2 is told busy, while 127.0.0.1 still gets in.
    const held: RawPeer[] = [];
    for (let k = 0; k < 3; k++) {
      const p = await RawPeer.connect(s.port, { localAddress: '127.0.0.2' });
      p.send(associateRq({ called: AE, calling: CALLING, contexts: contexts(1) }));
      held.push(p);
      expect((await p.pdu(0))?.type).toBe(PDU.associateAc);
    }
    const fifth = await RawPeer.connect(s.port, { localAddress: '127.0.0.2' });
    fifth.send(associateRq({ called: AE, calling: CALLING, contexts: contexts(1) }));
    const rj = await fifth.pdu(0);
    expect(rj?.type).toBe(PDU.associateRj);
    // Transient (2), service provider presentation (3), local limit exceeded (2).
    expect([...(rj?.body ?? [])].slice(1, 4)).toEqual([2, 3, 2]);
    expect(await stillServing()).toBe('ok');
    for (const p of [...held, fifth]) p.destroy();
  });
});

describe('sizes are bounded', () => {
  const ids = (n: number) => ({ sopClass: CT_IMAGE, sopInstance: `1.2.826.0.1.3680043.9.7433.3.${n}`, study: `1.2.826.0.1.3680043.9.7433.1.${n}`, series: `1.2.826.0.1.3680043.9.7433.2.${n}`, patient: `PAT-${n}` });

  async function storeAssociation(): Promise<RawPeer> {
    const peer = await RawPeer.connect(s.port);
    peer.send(associateRq({ called: AE, calling: CALLING, contexts: [{ id: 1, abstract: CT_IMAGE, transferSyntaxes: [EXPLICIT_LE] }], maxPdu: 65536 }));
    const ac = await peer.pdu(0);
    expect(ac?.type).toBe(PDU.associateAc);
    expect(acceptedContexts(ac!).get(1)).toBe(0);
    return peer;
  }

  it('an instance that never ends is cut off at max-instance-bytes: aborted, its file gone', async () => {
    const instances = path.join(dir, 'data', '.gateway', 'instances');
    const before = new Set(fs.readdirSync(instances));
    const peer = await storeAssociation();
    peer.send(pData([{ pc: 1, command: true, last: true, data: storeRq(ids(1)) }]));
    peer.send(pData([{ pc: 1, command: false, last: false, data: dataset(ids(1)) }]));
    const chunk = pData([{ pc: 1, command: false, last: false, data: Buffer.alloc(60_000) }]);
    for (let k = 0; k < 40 && !peer.closed; k++) {
      peer.send(chunk);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await peer.closedWithin(3000)).toBe(true);
    expect(peer.received.map((p) => p.type)).toContain(PDU.abort);
    await new Promise((r) => setTimeout(r, 200));
    const grown = fs.readdirSync(instances).filter((f) => !before.has(f)).map((f) => fs.statSync(path.join(instances, f)).size);
    expect(grown.every((n) => n === 0)).toBe(true); // spares only
    expect(await stillServing()).toBe('ok');
    const ev = await s.waitFor((e) => /max-instance-bytes/.test(e.message));
    expect(ev.message).toMatch(/1048576/);
  });

  it('an association past max-association-bytes is aborted; the instances it had acknowledged are kept', async () => {
    const peer = await storeAssociation();
    let acknowledged = 0;
    for (let n = 10; n < 20 && !peer.closed; n++) {
      const i = ids(n);
      peer.send(pData([{ pc: 1, command: true, last: true, data: storeRq(i) }]));
      const big = dataset({ ...i, pixelBytes: 900_000 });
      for (let off = 0; off < big.length; off += 60_000) peer.send(pData([{ pc: 1, command: false, last: off + 60_000 >= big.length, data: big.subarray(off, off + 60_000) }]));
      const r = await peer.pdu(acknowledged + 1, 3000);
      if (r?.type === PDU.pData) acknowledged++;
      else break;
    }
    expect(peer.closed || (await peer.closedWithin(3000))).toBe(true);
    expect(acknowledged).toBe(3);
    const ev = await s.waitFor((e) => e.aborted === true && /max-association-bytes/.test(e.message));
    expect(ev.message).toMatch(/3 acknowledged instances kept/);
  });
});

describe("a peer's text is escaped before it reaches a log or a terminal", () => {
  it('a calling AE title with a newline and an ANSI escape is one log line, escaped', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [binJs, '--chart', chart, 'dicom', 'serve', '--port', String(port), '--data', path.join(dir, 'data-text')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      for (let t0 = Date.now(); !/listening on/.test(out); ) {
        if (Date.now() - t0 > 10_000) throw new Error(out);
        await new Promise((r) => setTimeout(r, 20));
      }
      const peer = await RawPeer.connect(port);
      peer.send(associateRq({ called: AE, calling: 'X\n12:00 FAKE\u001b[2J', contexts: contexts(1) }));
      expect((await peer.pdu(0))?.type).toBe(PDU.associateRj);
      peer.destroy();
      for (let t0 = Date.now(); !/rejected/.test(out) && Date.now() - t0 < 5000; ) await new Promise((r) => setTimeout(r, 20));
    } finally {
      child.kill('SIGTERM');
    }
    expect(out).toMatch(/rejected/);
    expect(out).not.toMatch(/^12:00 FAKE/m);
    expect(out).not.toContain('\u001b');
    expect(out).toContain('X\\n12:00 FAKE\\x1b[2J');
  });
});

describe('a fault in handling one connection ends that association alone', () => {
  it('a handler that throws (here: deciding on the association, and reporting its end) aborts its own association; the next one is served', async () => {
    const { startScp } = await import('../src/gateway/wire.js');
    const { scpLimits } = await import('../src/core/intake.js');
    const errors: string[] = [];
    const scp = await startScp({
      host: '127.0.0.1',
      port: 0,
      instancesDir: fs.mkdtempSync(path.join(dir, 'scp-')),
      ...scpLimits({ dicom: { scp: { port: 0, 'ae-titles': [] }, scu: { 'ae-title': 'X' } } }),
      events: {
        associate: (a) => {
          if (a.callingAe === 'BOOM') throw new Error('a bug in the decision');
          return { accept: true };
        },
        stored: () => 0,
        ended: (a) => {
          if (a.callingAe === 'ENDBOOM') throw new Error('a bug in the end report');
        },
        error: (m) => errors.push(m),
      },
    });
    try {
      const peer = await RawPeer.connect(scp.address.port);
      peer.send(associateRq({ called: AE, calling: 'BOOM', contexts: contexts(1) }));
      expect((await peer.pdu(0))?.type).toBe(PDU.abort);
      expect(await peer.closedWithin(2000)).toBe(true);
      expect(errors.join('\n')).toMatch(/associationRequested handler failed: a bug in the decision/);
      expect(await legitimateEcho(scp.address.port, { called: AE, calling: 'ENDBOOM' })).toBe('ok');
      await new Promise((r) => setTimeout(r, 100));
      expect(errors.join('\n')).toMatch(/internal error closing: a bug in the end report/);
      expect(await legitimateEcho(scp.address.port, { called: AE, calling: CALLING })).toBe('ok');
      for (let t0 = Date.now(); scp.openAssociations() && Date.now() - t0 < 2000; ) await new Promise((r) => setTimeout(r, 10));
      expect(scp.openAssociations()).toBe(0);
    } finally {
      await scp.close(0);
    }
  });
});
