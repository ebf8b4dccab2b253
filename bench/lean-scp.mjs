// A measuring instrument for the gateway bench, not a product: the least a
// Node C-STORE SCP can do and still keep serve's promise per instance, so the
// bench can say how far serve's receive path is from what Node itself allows.
// Per instance it does what serve must: a file taken from spares made ahead
// (one folder fsync a batch, as serve's SpareInstanceFiles), the sender's
// bytes written as they arrive with a running CRC-32, the identifiers read
// with dcmjs as src/gateway/identify.ts reads them, the file fdatasync'd and a
// record of serve's size committed in SQLite (WAL, synchronous=FULL, group
// commit) side by side, and only then the C-STORE response. What it leaves
// out is everything a real acceptor needs and serve has: association checks,
// the PS3.8 state machine, timers, limits, failure statuses, C-ECHO (dcmjs-
// dimse and wire.ts). It accepts every presentation context with its first
// (or Explicit VR Little Endian) transfer syntax and trusts its peer: run it
// only against the bench's own storescu.
//   node bench/lean-scp.mjs PORT DIR [db|sync|none]
//   db (default): serve's durability; sync: the file only; none: no flush.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { crc32 } from 'node:zlib';

const [port, dir, mode = 'db'] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const require = createRequire(import.meta.url);
fs.mkdirSync(dir, { recursive: true });

let db, insert;
if (mode === 'db') {
  db = new (require('better-sqlite3'))(path.join(dir, 'state.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS instances(id TEXT PRIMARY KEY, body TEXT NOT NULL)');
  insert = db.prepare('INSERT OR REPLACE INTO instances(id, body) VALUES (?, ?)');
}
let soon = [];
const commitSoon = (id, body) =>
  new Promise((resolve) => {
    if (!soon.length)
      setImmediate(() => {
        const take = soon;
        soon = [];
        db.transaction(() => take.forEach((r) => insert.run(r.id, r.body)))();
        take.forEach((r) => r.resolve());
      });
    soon.push({ id, body, resolve });
  });

const dcmjs = require('dcmjs');
dcmjs.log?.setLevel?.('silent');
const identify = (head) => {
  const ab = head.buffer.slice(head.byteOffset, head.byteOffset + head.byteLength);
  const stream = new dcmjs.data.ReadBufferStream(ab, undefined, { start: 0, stop: head.byteLength, noCopy: false });
  const d = dcmjs.data.DicomMessage._read(stream, '1.2.840.10008.1.2.1', { ignoreErrors: true, untilTag: '0020000F', stopOnGreaterTag: true });
  const v = (t) => String(d[t]?.Value?.[0] ?? '').trim();
  return { sop: v('00080018'), study: v('0020000D'), series: v('0020000E'), patient: v('00100020') };
};

const dirFd = fs.openSync(dir, 'r');
const spares = [];
let seq = 0;
let making = false;
const openNew = (file) => new Promise((res, rej) => fs.open(file, 'wx', 0o444, (e, fd) => (e ? rej(e) : res(fd))));
const refill = async () => {
  if (making || spares.length > 16) return;
  making = true;
  const batch = [];
  while (spares.length + batch.length < 32) {
    const file = path.join(dir, `${seq++}.dcm`);
    batch.push({ file, fd: await openNew(file) });
  }
  await new Promise((res) => fs.fsync(dirFd, res));
  spares.push(...batch);
  making = false;
};
const take = () => {
  const s = spares.shift();
  void refill();
  if (s) return s;
  const file = path.join(dir, `${seq++}.dcm`);
  const fd = fs.openSync(file, 'wx', 0o444);
  fs.fsyncSync(dirFd);
  return { file, fd };
};
await refill();

const item = (type, body) => Buffer.concat([Buffer.from([type, 0, body.length >> 8, body.length & 255]), body]);
const pdu = (type, body) => {
  const h = Buffer.alloc(6);
  h[0] = type;
  h.writeUInt32BE(body.length, 2);
  return Buffer.concat([h, body]);
};
const element = (elem, value) => {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(elem, 2);
  h.writeUInt32LE(value.length, 4);
  return Buffer.concat([h, value]);
};
const us = (n) => Buffer.from([n & 255, n >> 8]);
const ui = (s) => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');
const text = (b) => b.toString('latin1').replace(/[\0 ]+$/, '');

function associateAc(rq) {
  const items = [item(0x10, Buffer.from('1.2.840.10008.3.1.1.1'))];
  for (let o = 68; o + 4 <= rq.length; ) {
    const len = rq.readUInt16BE(o + 2);
    const v = rq.subarray(o + 4, o + 4 + len);
    if (rq[o] === 0x20) {
      const syntaxes = [];
      for (let s = 4; s + 4 <= v.length; s += 4 + v.readUInt16BE(s + 2)) if (v[s] === 0x40) syntaxes.push(text(v.subarray(s + 4, s + 4 + v.readUInt16BE(s + 2))));
      const ts = syntaxes.includes('1.2.840.10008.1.2.1') ? '1.2.840.10008.1.2.1' : syntaxes[0];
      items.push(item(0x21, Buffer.concat([Buffer.from([v[0], 0, 0, 0]), item(0x40, Buffer.from(ts))])));
    }
    o += 4 + len;
  }
  const max = Buffer.alloc(4);
  max.writeUInt32BE(262144);
  items.push(item(0x50, Buffer.concat([item(0x51, max), item(0x52, Buffer.from('1.2.3.4'))])));
  return pdu(0x02, Buffer.concat([Buffer.from([0, 1, 0, 0]), rq.subarray(4, 36), Buffer.alloc(32), ...items]));
}

function commandOf(buf) {
  const c = {};
  for (let o = 0; o + 8 <= buf.length; o += 8 + buf.readUInt32LE(o + 4)) {
    const e = buf.readUInt16LE(o + 2);
    const v = buf.subarray(o + 8, o + 8 + buf.readUInt32LE(o + 4));
    if (e === 0x0110) c.messageId = v.readUInt16LE(0);
    else if (e === 0x0002) c.sopClass = text(v);
    else if (e === 0x1000) c.sopInstance = text(v);
  }
  return c;
}

function storeResponse(context, c) {
  const rest = Buffer.concat([element(0x0002, ui(c.sopClass)), element(0x0100, us(0x8001)), element(0x0120, us(c.messageId)), element(0x0800, us(0x0101)), element(0x0900, us(0)), element(0x1000, ui(c.sopInstance))]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(rest.length);
  const command = Buffer.concat([element(0x0000, length), rest]);
  const pdv = Buffer.alloc(6);
  pdv.writeUInt32BE(command.length + 2);
  pdv[4] = context;
  pdv[5] = 0x03;
  return pdu(0x04, Buffer.concat([pdv, command]));
}

net
  .createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    let header = Buffer.alloc(0);
    let type = 0;
    let left = 0;
    let whole = [];
    let pdvHeader = Buffer.alloc(0);
    let pdvLeft = 0;
    let control = 0;
    let context = 0;
    let commandParts = [];
    let command = null;
    let instance = null;
    const data = (chunk, last) => {
      if (!instance) {
        const { file, fd } = take();
        const part10 = Buffer.alloc(132);
        part10.write('DICM', 128);
        fs.writeSync(fd, part10);
        instance = { file, fd, crc: crc32(part10), head: null };
      }
      if (!instance.head) instance.head = Buffer.from(chunk.subarray(0, 65536));
      for (let off = 0; off < chunk.length; ) off += fs.writeSync(instance.fd, chunk, off, chunk.length - off);
      instance.crc = crc32(chunk, instance.crc);
      if (!last) return;
      const [done, c, ctx] = [instance, command, context];
      instance = command = null;
      const ids = identify(done.head);
      if (ids.sop !== c.sopInstance) throw new Error(`lean-scp: dataset SOP instance ${ids.sop} is not the request's ${c.sopInstance}`);
      const record = JSON.stringify({ t: 'instance', id: done.file, sopInstanceUid: ids.sop, sopClassUid: c.sopClass, studyInstanceUid: ids.study, seriesInstanceUid: ids.series, patientId: ids.patient, crc32: done.crc, callingAe: 'BENCH', host: '127.0.0.1', at: new Date().toISOString() });
      const flushed = mode === 'none' ? null : new Promise((res, rej) => fs.fdatasync(done.fd, (e) => (e ? rej(e) : res())));
      Promise.all([flushed, mode === 'db' ? commitSoon(done.file, record) : null]).then(() => {
        fs.closeSync(done.fd);
        socket.write(storeResponse(ctx, c));
      });
    };
    const commandPart = (part, last) => {
      commandParts.push(Buffer.from(part));
      if (last) {
        command = commandOf(Buffer.concat(commandParts));
        commandParts = [];
      }
    };
    socket.on('data', (buf) => {
      for (let o = 0; o < buf.length; ) {
        if (left === 0) {
          const part = buf.subarray(o, o + 6 - header.length);
          header = Buffer.concat([header, part]);
          o += part.length;
          if (header.length < 6) return;
          [type, left, header, whole] = [header[0], header.readUInt32BE(2), Buffer.alloc(0), []];
          continue;
        }
        if (type !== 0x04) {
          const part = buf.subarray(o, o + left);
          whole.push(Buffer.from(part));
          o += part.length;
          left -= part.length;
          if (left) continue;
          const body = Buffer.concat(whole);
          if (type === 0x01) socket.write(associateAc(body));
          else if (type === 0x05) socket.end(pdu(0x06, Buffer.alloc(4)));
          else socket.destroy();
          continue;
        }
        if (pdvLeft === 0) {
          const part = buf.subarray(o, o + Math.min(6 - pdvHeader.length, left));
          pdvHeader = Buffer.concat([pdvHeader, part]);
          o += part.length;
          left -= part.length;
          if (pdvHeader.length < 6) continue;
          [pdvLeft, context, control, pdvHeader] = [pdvHeader.readUInt32BE(0) - 2, pdvHeader[4], pdvHeader[5], Buffer.alloc(0)];
          if (pdvLeft === 0 && control & 2) (control & 1 ? commandPart : data)(Buffer.alloc(0), true);
          continue;
        }
        const n = Math.min(pdvLeft, left, buf.length - o);
        const part = buf.subarray(o, o + n);
        o += n;
        left -= n;
        pdvLeft -= n;
        (control & 1 ? commandPart : data)(part, pdvLeft === 0 && (control & 2) !== 0);
      }
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`lean-scp listening on ${port}`));
