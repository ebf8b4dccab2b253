// DICOM networking with dcmjs-dimse (0.3.3): an SCP that stores instances byte
// for byte (Part 10 header + the sender's dataset bytes, written to a temp name
// and renamed when complete), and an SCU for C-STORE and C-ECHO that checks
// every response. Loaded only by the DICOM commands.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { isSafeUid, part10Header } from '../core/part10.js';
import { importPackage } from './import-package.js';

// dcmjs-dimse's types are namespaces on a default export; only what we use is typed here.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Dimse = any;
let loaded: Dimse | undefined;
async function dimse(): Promise<Dimse> {
  if (!loaded) {
    const m: any = await importPackage('dcmjs-dimse');
    loaded = m.default ?? m;
    loaded.log?.setLevel?.('silent');
  }
  return loaded;
}

export const VERIFICATION = '1.2.840.10008.1.1';
const STORAGE_PREFIX = '1.2.840.10008.5.1.4.1.1.';
/** Our preference, best first: uncompressed, then compressed syntaxes stored as received. */
export const ACCEPTED_TRANSFER_SYNTAXES = [
  '1.2.840.10008.1.2.1', // Explicit VR Little Endian
  '1.2.840.10008.1.2', // Implicit VR Little Endian
  '1.2.840.10008.1.2.4.70', // JPEG Lossless SV1
  '1.2.840.10008.1.2.4.57', // JPEG Lossless
  '1.2.840.10008.1.2.4.50', // JPEG Baseline
  '1.2.840.10008.1.2.4.51', // JPEG Extended
  '1.2.840.10008.1.2.4.80', // JPEG-LS Lossless
  '1.2.840.10008.1.2.4.81', // JPEG-LS Near-lossless
  '1.2.840.10008.1.2.4.90', // JPEG 2000 Lossless
  '1.2.840.10008.1.2.4.91', // JPEG 2000
  '1.2.840.10008.1.2.5', // RLE Lossless
  '1.2.840.10008.1.2.2', // Explicit VR Big Endian (retired, still sent by old devices)
];

export interface AssociationInfo {
  id: string;
  calledAe: string;
  callingAe: string;
  host: string;
}

export type AssociationDecision = { accept: true; staging: string } | { accept: false; reason: 'called' | 'calling' | 'busy' };

export interface ScpEvents {
  /** Decide on an association; an accepted one stores its instances in `staging`. */
  associate(a: AssociationInfo): AssociationDecision;
  /** One instance stored (already renamed to its final name in staging). */
  stored?(a: AssociationInfo, file: string, sopClassUid: string): void;
  /** The sender released the association: everything it sent is complete. */
  released(a: AssociationInfo, instances: number): void;
  /** The connection ended without a release (abort, killed sender): nothing is kept. */
  aborted(a: AssociationInfo, instances: number, why: string): void;
  rejected?(a: AssociationInfo, reason: string): void;
  echo?(a: AssociationInfo): void;
  error?(message: string): void;
}

export interface ScpServer {
  address: { host: string; port: number };
  /** Stop accepting; resolves when every open association has ended (or after `graceMs`). */
  close(graceMs?: number): Promise<void>;
  openAssociations(): number;
}

export async function startScp(opts: { host: string; port: number; events: ScpEvents }): Promise<ScpServer> {
  const d = await dimse();
  const { constants, responses, Dataset } = d;
  const { PresentationContextResult, RejectResult, RejectSource, RejectReason, Status } = constants;
  const sockets = new Set<net.Socket>();
  let seq = 0;

  class ClaraScp extends d.Scp {
    private info: AssociationInfo | null = null;
    private staging = '';
    private accepted = false;
    private releasedFlag = false;
    private instances = 0;
    private readonly pending = new Map<unknown, { tmp: string; fd: number; sopInstance: string; sopClass: string; ok: boolean; discarded: boolean }>();

    constructor(socket: net.Socket, o: unknown) {
      super(socket, o);
      this.on('close', () => this.closed());
      this.on('networkError', (e: Error) => opts.events.error?.(`association ${this.info?.id ?? '?'}: ${e.message}`));
    }

    associationRequested(association: any): void {
      const socket: net.Socket = (this as any).socket;
      this.info = { id: `a${++seq}`, calledAe: association.getCalledAeTitle().trim(), callingAe: association.getCallingAeTitle().trim(), host: (socket.remoteAddress ?? '').replace(/^::ffff:/, '') };
      const decision = opts.events.associate(this.info);
      if (!decision.accept) {
        opts.events.rejected?.(this.info, decision.reason);
        if (decision.reason === 'busy') this.sendAssociationReject(RejectResult.Transient, RejectSource.ServiceProviderPresentation, 2 /* local limit exceeded */);
        else this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, decision.reason === 'called' ? RejectReason.CalledAeNotRecognized : RejectReason.CallingAeNotRecognized);
        return;
      }
      this.staging = decision.staging;
      fs.mkdirSync(this.staging, { recursive: true });
      for (const c of association.getPresentationContexts()) {
        const ctx = association.getPresentationContext(c.id);
        const abstract: string = ctx.getAbstractSyntaxUid();
        if (abstract !== VERIFICATION && !abstract.startsWith(STORAGE_PREFIX)) {
          ctx.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
          continue;
        }
        const proposed: string[] = ctx.getTransferSyntaxUids();
        // Our preference order decides, not the order the sender proposed.
        const ts = ACCEPTED_TRANSFER_SYNTAXES.find((t) => proposed.includes(t));
        if (ts) ctx.setResult(PresentationContextResult.Accept, ts);
        else ctx.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
      this.accepted = true;
      this.sendAssociationAccept();
    }

    createStoreWritableStream(ctx: any, request: any): Writable {
      const sopInstance = request.getAffectedSopInstanceUid();
      const sopClass = request.getAffectedSopClassUid();
      const ok = isSafeUid(sopInstance) && isSafeUid(sopClass);
      // Names on disk come from validated UIDs only; anything else is received and dropped.
      const tmp = ok ? path.join(this.staging, `.${sopInstance}.${randomBytes(4).toString('hex')}.part`) : '';
      const fd = ok ? fs.openSync(tmp, 'w') : -1;
      if (ok) fs.writeSync(fd, part10Header(sopClass, sopInstance, ctx.getAcceptedTransferSyntaxUid()));
      const entry = { tmp, fd, sopInstance, sopClass, ok, discarded: false };
      this.pending.set(request, entry);
      const stream = new Writable({
        write(chunk: Buffer, _enc, cb) {
          if (fd < 0 || entry.discarded) return cb();
          // A write still in flight when the connection drops finds its file
          // discarded (fd closed): that is expected, not an error.
          fs.write(fd, chunk, (e) => cb(e && !entry.discarded ? e : undefined));
        },
      });
      stream.on('error', (e) => opts.events.error?.(`storing ${sopInstance}: ${e.message}`));
      return stream;
    }

    createDatasetFromStoreWritableStream(writable: Writable, _ctx: any, callback: (ds: unknown) => void): void {
      const done = () => callback(new Dataset());
      if (writable.writableFinished) done();
      else {
        writable.once('finish', done);
        writable.end();
      }
    }

    cStoreRequest(request: any, callback: (r: unknown) => void): void {
      const p = this.pending.get(request);
      this.pending.delete(request);
      const response = responses.CStoreResponse.fromRequest(request);
      if (!p?.ok) {
        response.setStatus(Status.InvalidAttributeValue);
        return callback(response);
      }
      try {
        fs.fsyncSync(p.fd);
        fs.closeSync(p.fd);
        const file = path.join(this.staging, `${p.sopInstance}.dcm`);
        fs.renameSync(p.tmp, file);
        this.instances++;
        opts.events.stored?.(this.info as AssociationInfo, file, p.sopClass);
        response.setStatus(Status.Success);
      } catch (e) {
        opts.events.error?.(`storing ${p.sopInstance}: ${(e as Error).message}`);
        response.setStatus(Status.ProcessingFailure);
      }
      callback(response);
    }

    cEchoRequest(request: any, callback: (r: unknown) => void): void {
      opts.events.echo?.(this.info as AssociationInfo);
      const response = responses.CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
      this.releasedFlag = true;
      // The release response is sent: what was received is complete.
      if (this.accepted && this.info) opts.events.released(this.info, this.instances);
    }

    abort(): void {
      /* handled on close */
    }

    private closed(): void {
      for (const p of this.pending.values()) {
        p.discarded = true;
        if (p.fd >= 0) {
          try {
            fs.closeSync(p.fd);
          } catch {
            /* closed */
          }
          fs.rmSync(p.tmp, { force: true });
        }
      }
      this.pending.clear();
      if (this.accepted && this.info && !this.releasedFlag) opts.events.aborted(this.info, this.instances, 'the connection ended without a release');
    }
  }

  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new ClaraScp(socket, { associationTimeout: 60_000, pduTimeout: 60_000 });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as net.AddressInfo;
  return {
    address: { host: addr.address, port: addr.port },
    openAssociations: () => sockets.size,
    close: (graceMs = 30_000) =>
      new Promise<void>((resolve) => {
        server.close();
        const t0 = Date.now();
        const tick = () => {
          if (!sockets.size) return resolve();
          if (Date.now() - t0 > graceMs) {
            for (const s of sockets) s.destroy();
            return resolve();
          }
          setTimeout(tick, 50);
        };
        tick();
      }),
  };
}

export interface StoreResult {
  sent: string[];
  failed: { file: string; why: string }[];
}

/** C-STORE every file to a peer; every request must get a success response. */
export async function storeFiles(opts: { host: string; port: number; callingAe: string; calledAe: string; files: string[]; timeoutMs?: number }): Promise<StoreResult> {
  const d = await dimse();
  const { Status } = d.constants;
  return new Promise((resolve) => {
    const client = new d.Client();
    const outcome = new Map<string, string | null>(opts.files.map((f) => [f, 'no response (the peer accepted no presentation context for it)']));
    for (const file of opts.files) {
      const req = new d.requests.CStoreRequest(file);
      req.on('response', (res: any) => {
        const status: number = res.getStatus();
        // 0x0000 success; 0xB000, 0xB006, 0xB007 are stored-with-warning.
        outcome.set(file, status === Status.Success || status === 0xb000 || status === 0xb006 || status === 0xb007 ? null : `status 0x${status.toString(16).padStart(4, '0')}`);
      });
      client.addRequest(req);
    }
    let settled = false;
    const finish = (failAll?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const failed = [...outcome].filter(([, why]) => why !== null || failAll).map(([file, why]) => ({ file, why: failAll ?? (why as string) }));
      resolve({ sent: [...outcome].filter(([, why]) => why === null && !failAll).map(([f]) => f), failed });
    };
    const timer = setTimeout(() => {
      try {
        client.abort();
      } catch {
        /* not connected */
      }
      finish(`no answer within ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s`);
    }, opts.timeoutMs ?? 60_000);
    client.on('associationRejected', (r: any) => finish(`association rejected (result ${r?.result}, source ${r?.source}, reason ${r?.reason})`));
    client.on('networkError', (e: Error) => finish(`network error: ${e.message}`));
    client.on('closed', () => finish());
    client.send(opts.host, opts.port, opts.callingAe, opts.calledAe, { connectTimeout: 5000, associationTimeout: 30_000, pduTimeout: 30_000 });
    // Nagle's algorithm costs ~45 ms per small instance; send them at once.
    (client as any).network?.socket?.setNoDelay?.(true);
  });
}

/** C-ECHO a peer: resolves with the round-trip time, rejects with the reason. */
export async function echo(opts: { host: string; port: number; callingAe: string; calledAe: string; timeoutMs?: number }): Promise<number> {
  const d = await dimse();
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const client = new d.Client();
    const req = new d.requests.CEchoRequest();
    let status: number | null = null;
    req.on('response', (res: any) => (status = res.getStatus()));
    client.addRequest(req);
    const timer = setTimeout(() => reject(new Error(`no answer within ${Math.round((opts.timeoutMs ?? 10_000) / 1000)} s`)), opts.timeoutMs ?? 10_000);
    client.on('associationRejected', (r: any) => {
      clearTimeout(timer);
      reject(new Error(`association rejected (result ${r?.result}, source ${r?.source}, reason ${r?.reason})`));
    });
    client.on('networkError', (e: Error) => {
      clearTimeout(timer);
      reject(new Error(`network error: ${e.message}`));
    });
    client.on('closed', () => {
      clearTimeout(timer);
      if (status === 0) resolve(Date.now() - t0);
      else reject(new Error(status === null ? 'no C-ECHO response' : `C-ECHO status 0x${status.toString(16)}`));
    });
    client.send(opts.host, opts.port, opts.callingAe, opts.calledAe, { connectTimeout: 5000 });
    (client as any).network?.socket?.setNoDelay?.(true);
  });
}
