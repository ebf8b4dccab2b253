// The DICOM upper layer driven by hand (PS3.8 §9.3): PDUs built byte by byte,
// including the ones no well-behaved peer sends, and a reader for what comes
// back. Used by the hostile-association tests and the fuzz suite.
import net from 'node:net';

export const PDU = { associateRq: 0x01, associateAc: 0x02, associateRj: 0x03, pData: 0x04, releaseRq: 0x05, releaseRp: 0x06, abort: 0x07 } as const;

export const VERIFICATION = '1.2.840.10008.1.1';
export const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

export interface Context {
  id: number;
  abstract: string;
  transferSyntaxes: string[];
}

const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
/** A UID as DICOM pads it: an even length, a trailing NUL when odd. */
const uid = (s: string) => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');
const item = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 0]), u16(body.length), body]);
const ae = (s: string) => Buffer.from(s.padEnd(16, ' ').slice(0, 16), 'latin1');
export const pdu = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 0]), u32(body.length), body]);

export function associateRq(o: { called: string; calling: string; contexts: Context[]; maxPdu?: number; version?: number; applicationContext?: string }): Buffer {
  const contexts = o.contexts.map((c) => item(0x20, Buffer.concat([Buffer.from([c.id & 0xff, 0, 0, 0]), item(0x30, uid(c.abstract)), ...c.transferSyntaxes.map((t) => item(0x40, uid(t)))])));
  const user = item(0x50, Buffer.concat([item(0x51, u32(o.maxPdu ?? 16384)), item(0x52, uid('1.2.826.0.1.3680043.9.7433.1'))]));
  return pdu(PDU.associateRq, Buffer.concat([u16(o.version ?? 1), u16(0), ae(o.called), ae(o.calling), Buffer.alloc(32), item(0x10, uid(o.applicationContext ?? APPLICATION_CONTEXT)), ...contexts, user]));
}

export const releaseRq = () => pdu(PDU.releaseRq, Buffer.alloc(4));
export const releaseRp = () => pdu(PDU.releaseRp, Buffer.alloc(4));
export const abortPdu = (source = 0, reason = 0) => pdu(PDU.abort, Buffer.from([0, 0, source, reason]));

/** One PDV: its presentation context, whether it is a command, whether it is the last fragment. */
export interface Pdv {
  pc: number;
  command: boolean;
  last: boolean;
  data: Buffer;
}

export function pData(pdvs: Pdv[]): Buffer {
  return pdu(PDU.pData, Buffer.concat(pdvs.map((v) => Buffer.concat([u32(v.data.length + 2), Buffer.from([v.pc & 0xff, (v.command ? 1 : 0) | (v.last ? 2 : 0)]), v.data]))));
}

/** An element in Implicit VR Little Endian (a command set's encoding). */
function element(group: number, el: number, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(el, 2);
  h.writeUInt32LE(value.length, 4);
  return Buffer.concat([h, value]);
}
const us = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
function commandSet(elements: Buffer[]): Buffer {
  const body = Buffer.concat(elements);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length);
  return Buffer.concat([element(0, 0x0000, len), body]);
}

export function echoRq(messageId = 1): Buffer {
  return commandSet([element(0, 0x0002, uid(VERIFICATION)), element(0, 0x0100, us(0x0030)), element(0, 0x0110, us(messageId)), element(0, 0x0800, us(0x0101))]);
}

export function storeRq(o: { sopClass: string; sopInstance: string; messageId?: number }): Buffer {
  return commandSet([element(0, 0x0002, uid(o.sopClass)), element(0, 0x0100, us(0x0001)), element(0, 0x0110, us(o.messageId ?? 1)), element(0, 0x0700, us(0)), element(0, 0x0800, us(0x0000)), element(0, 0x1000, uid(o.sopInstance))]);
}

/** A small dataset (Explicit VR Little Endian, or Implicit) with the identifiers intake needs. */
export function dataset(o: { sopClass: string; sopInstance: string; study: string; series: string; patient: string; pixelBytes?: number; implicit?: boolean }): Buffer {
  const el = (group: number, e: number, vr: string, v: Buffer) => {
    if (o.implicit) return element(group, e, v);
    const h = Buffer.alloc(8);
    h.writeUInt16LE(group, 0);
    h.writeUInt16LE(e, 2);
    h.write(vr, 4, 'latin1');
    h.writeUInt16LE(v.length, 6);
    return Buffer.concat([h, v]);
  };
  const str = (s: string) => Buffer.from(s.length % 2 ? `${s} ` : s, 'latin1');
  // Pixel Data (7FE0,0010) OB: a 4-byte length after two reserved bytes.
  const pixels = (n: number) => {
    if (o.implicit) return element(0x7fe0, 0x0010, Buffer.alloc(n));
    const h = Buffer.alloc(12);
    h.writeUInt16LE(0x7fe0, 0);
    h.writeUInt16LE(0x0010, 2);
    h.write('OB', 4, 'latin1');
    h.writeUInt32LE(n, 8);
    return Buffer.concat([h, Buffer.alloc(n)]);
  };
  return Buffer.concat([el(0x0008, 0x0016, 'UI', uid(o.sopClass)), el(0x0008, 0x0018, 'UI', uid(o.sopInstance)), el(0x0010, 0x0020, 'LO', str(o.patient)), el(0x0020, 0x000d, 'UI', uid(o.study)), el(0x0020, 0x000e, 'UI', uid(o.series)), ...(o.pixelBytes ? [pixels(o.pixelBytes + (o.pixelBytes % 2))] : [])]);
}

export interface Received {
  type: number;
  body: Buffer;
}

/** What an A-ASSOCIATE-AC says of each presentation context: ID → result (0 accepted). */
export function acceptedContexts(ac: Received): Map<number, number> {
  const out = new Map<number, number>();
  let off = 68;
  while (off + 4 <= ac.body.length) {
    const type = ac.body[off] as number;
    const len = ac.body.readUInt16BE(off + 2);
    if (type === 0x21) out.set(ac.body[off + 4] as number, ac.body[off + 6] as number);
    off += 4 + len;
  }
  return out;
}

/** The status of a DIMSE response carried in a P-DATA-TF (command, last fragment). */
export function responseStatus(p: Received): number | null {
  let off = 0;
  while (off + 6 <= p.body.length) {
    const len = p.body.readUInt32BE(off);
    const data = p.body.subarray(off + 6, off + 4 + len);
    for (let e = 0; e + 8 <= data.length; ) {
      const g = data.readUInt16LE(e);
      const el = data.readUInt16LE(e + 2);
      const l = data.readUInt32LE(e + 4);
      if (g === 0 && el === 0x0900) return data.readUInt16LE(e + 8);
      e += 8 + l;
    }
    off += 4 + len;
  }
  return null;
}

/**
 * A raw connection: send bytes, read whole PDUs, see the close. Every PDU the
 * peer sends is kept in order; `next` waits for the next one (or the close).
 */
export class RawPeer {
  readonly received: Received[] = [];
  closed = false;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  readonly socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 6) {
        const len = this.buf.readUInt32BE(2);
        if (this.buf.length < 6 + len) break;
        this.received.push({ type: this.buf[0] as number, body: this.buf.subarray(6, 6 + len) });
        this.buf = this.buf.subarray(6 + len);
      }
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number, o: { host?: string; localAddress?: string } = {}): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: o.host ?? '127.0.0.1', localAddress: o.localAddress });
      s.once('connect', () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(...bytes: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(bytes));
  }

  /** The i-th PDU received (0-based), or null when the connection closed first or `ms` passed. */
  async pdu(i: number, ms = 5000): Promise<Received | null> {
    const until = Date.now() + ms;
    while (this.received.length <= i && !this.closed && Date.now() < until) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, until - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.received[i] ?? null;
  }

  /** Resolves when the peer closed (true) or after `ms` (false). */
  async closedWithin(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (!this.closed && Date.now() < until) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, until - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * A well-behaved association from start to end: A-ASSOCIATE-RQ, a C-ECHO,
 * A-RELEASE-RQ. Resolves with what happened, never rejects.
 */
export async function legitimateEcho(port: number, o: { called: string; calling: string; localAddress?: string; hold?: Promise<void> }): Promise<'ok' | 'rejected' | 'aborted' | 'no-answer' | 'refused'> {
  let peer: RawPeer;
  try {
    peer = await RawPeer.connect(port, { localAddress: o.localAddress });
  } catch {
    return 'refused';
  }
  try {
    peer.send(associateRq({ called: o.called, calling: o.calling, contexts: [{ id: 1, abstract: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }] }));
    const a = await peer.pdu(0);
    if (!a) return 'no-answer';
    if (a.type === PDU.associateRj) return 'rejected';
    if (a.type !== PDU.associateAc) return 'aborted';
    await o.hold;
    peer.send(pData([{ pc: 1, command: true, last: true, data: echoRq() }]));
    const r = await peer.pdu(1);
    if (!r || r.type !== PDU.pData || responseStatus(r) !== 0) return r?.type === PDU.abort ? 'aborted' : 'no-answer';
    peer.send(releaseRq());
    const rp = await peer.pdu(2);
    return rp?.type === PDU.releaseRp ? 'ok' : 'aborted';
  } finally {
    peer.destroy();
  }
}
