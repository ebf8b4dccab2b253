// DICOM networking with dcmjs-dimse (0.3.3, vendored with network fixes: see
// vendor/dcmjs-dimse/PATCHES.md): an SCP that streams instances to disk byte
// for byte (Part 10 header + the sender's dataset bytes), fsyncs them and lets
// the caller record them before answering Success, and an SCU for C-STORE and
// C-ECHO that checks every response. Loaded only by the DICOM commands.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import type { ScpLimits } from '../core/intake.js';
import { isSafeUid, part10Header } from '../core/part10.js';
import { outOfResources } from '../adapters/files.js';
import { datasetOf, HEAD_BYTES, identify, type InstanceIds } from './identify.js';
import { importPackage } from '../adapters/import-package.js';

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
  '1.2.840.10008.1.2.1.99', // Deflated Explicit VR Little Endian
];

export interface AssociationInfo {
  /** A UUID: unique across runs, never reused. */
  id: string;
  calledAe: string;
  callingAe: string;
  host: string;
}

export type AssociationDecision = { accept: true } | { accept: false; reason: 'called' | 'calling' | 'busy' };
export type RejectCause = 'called' | 'calling' | 'busy' | 'protocol' | 'application-context' | 'no-context';

export interface ReceivedInstance {
  /** The Part 10 file, fsynced, in the instances folder. */
  file: string;
  /** A UUID naming the file. */
  id: string;
  ids: InstanceIds;
  transferSyntaxUid: string;
  /** The dataset's bytes as received. */
  bytes: number;
  /** The whole file: its length and CRC-32, so a restart can tell a complete file from one cut short. */
  fileBytes: number;
  crc32: number;
}

/** DIMSE status codes this SCP answers with (PS3.4 Annex B, PS3.7 Annex C). */
export const STORE_STATUS = {
  success: 0x0000,
  outOfResources: 0xa700,
  dataSetDoesNotMatchSopClass: 0xa900,
  cannotUnderstand: 0xc000,
  processingFailure: 0x0110,
} as const;

export interface ScpEvents {
  /** Decide on an association. */
  associate(a: AssociationInfo): AssociationDecision;
  /**
   * One instance is complete and in its file; `fileDurable` settles when the
   * file is on disk (fsynced). Record it meanwhile and resolve with the status
   * to answer: Success only once both the record and the file are durable.
   * A rejection of `fileDurable` is a failure to store it.
   */
  stored(a: AssociationInfo, instance: ReceivedInstance, fileDurable: Promise<void>): Promise<number> | number;
  /** The association ended: released (A-RELEASE) or not (abort, dropped connection, timeout). */
  ended(a: AssociationInfo, how: 'released' | 'aborted', instances: number, why: string): void;
  /** An association was rejected: by `associate`'s decision (`why` absent), or by the SCP itself (`why` says why). */
  rejected?(a: AssociationInfo, reason: RejectCause, why?: string): void;
  echo?(a: AssociationInfo): void;
  error?(message: string): void;
}

export interface ScpServer {
  address: { host: string; port: number };
  /** Stop accepting; resolves when every open connection has ended (or after `graceMs`). */
  close(graceMs?: number): Promise<void>;
  /** Accepted associations still open. */
  openAssociations(): number;
  /** TCP connections (with or without an association). */
  openConnections(): number;
}

export interface ScpOptions extends ScpLimits {
  host: string;
  port: number;
  /** Where instances are written, one file per instance named by a UUID. */
  instancesDir: string;
  events: ScpEvents;
}

/** The configuration key that names each limit the network layer enforces, for messages. */
const LIMIT_NAMES: Record<string, string> = { MAX_DATASET_BYTES: 'max-instance-bytes', MAX_ASSOCIATION_BYTES: 'max-association-bytes', MAX_COMMAND_BYTES: 'the command set limit' };

/** The application context of every DICOM association (PS3.7 Annex A.2.1). */
const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

/** An empty instance file whose name may already be durable. */
interface InstanceSlot {
  id: string;
  file: string;
  fd: number;
  /** Its folder entry was fsynced when it was made (a spare); otherwise the folder needs a sync. */
  nameDurable: boolean;
}

/**
 * Empty instance files made ahead of need, off the event loop, with one
 * folder fsync per batch: an arriving instance takes one whose name is
 * already durable, so neither the file's creation (~0.25 ms here) nor a
 * folder sync is on the path to its response. Spares are never journalled:
 * the next start deletes any a crash leaves behind.
 */
class SpareInstanceFiles {
  private readonly ready: InstanceSlot[] = [];
  private making = false;
  private closed = false;
  private pausedUntil = 0;

  constructor(
    private readonly dir: string,
    private readonly dirFd: number,
    private readonly want: number,
    private readonly report: (message: string) => void,
  ) {
    this.refill();
  }

  take(): InstanceSlot {
    const spare = this.ready.shift();
    this.refill();
    if (spare) return spare;
    const id = randomUUID();
    const file = path.join(this.dir, `${id}.dcm`);
    return { id, file, fd: fs.openSync(file, 'wx', 0o444), nameDurable: false };
  }

  private refill(): void {
    // In batches, from half empty: one folder fsync for many files.
    if (this.making || this.closed || this.ready.length > this.want / 2 || Date.now() < this.pausedUntil) return;
    this.making = true;
    const batch: InstanceSlot[] = [];
    void (async () => {
      try {
        while (this.ready.length + batch.length < this.want && !this.closed) {
          const id = randomUUID();
          const file = path.join(this.dir, `${id}.dcm`);
          batch.push({ id, file, fd: await openAsync(file, 'wx', 0o444), nameDurable: true });
        }
        await fsyncOf(this.dirFd);
        this.ready.push(...batch.splice(0));
      } catch (e) {
        // Instances still get files, made one at a time (and any error shows there).
        if (!this.closed) this.report(`making spare instance files in ${this.dir}: ${(e as Error).message}`);
        this.pausedUntil = Date.now() + 1000;
      } finally {
        for (const s of batch) discardFile(s.fd, s.file);
        this.making = false;
        if (this.closed) this.close();
        else this.refill();
      }
    })();
  }

  /** Delete the spares not taken. */
  close(): void {
    this.closed = true;
    for (const s of this.ready.splice(0)) discardFile(s.fd, s.file);
  }
}

/** Close an instance file's descriptor (if still open) and delete the file: it holds nothing acknowledged. */
function discardFile(fd: number, file: string): void {
  if (fd >= 0) {
    try {
      fs.closeSync(fd);
    } catch {
      /* closed */
    }
  }
  if (file) fs.rmSync(file, { force: true });
}

/**
 * Bytes of an instance written before its file's data is pushed to disk in
 * the background: for a large instance the writeback of the first part
 * overlaps the arrival of the rest, so the sync before Success has less left
 * to do. Each early fdatasync is a journal commit of its own that the state
 * database's commit does not share: at 64 KB (eight per 512 KB CT slice)
 * they cost ~200 ms of a 500-slice study (serve 1735 -> 1527 ms, 8 rounds
 * interleaved with storescp and the disk floor, 2026-12-07), so an instance
 * below this size gets only the one sync before its Success.
 */
const SYNC_AHEAD_BYTES = 8 * 1024 * 1024;

/**
 * Keep the disk writing while the instance arrives: a background fdatasync
 * whenever SYNC_AHEAD_BYTES are dirty and none is in flight, the next one as
 * soon as it ends. The sync before Success then has only the tail left.
 */
function syncAhead(entry: PendingInstance): void {
  if (entry.syncing || entry.unsynced < SYNC_AHEAD_BYTES || entry.fd < 0 || entry.discarded) return;
  entry.unsynced = 0;
  entry.syncing = fdatasyncOf(entry.fd).then(
    () => {
      entry.syncing = null;
      syncAhead(entry); // stops once the instance is complete (fd -1) or discarded
    },
    (e: Error) => {
      entry.syncError ??= e;
      entry.syncing = null;
    },
  );
}

const fdatasyncOf = promisify(fs.fdatasync);
const fsyncOf = promisify(fs.fsync);
const openAsync = promisify(fs.open);

/**
 * The C-STORE status for an instance that could not be made durable: PS3.4
 * Annex B.2.3, A7xx "Refused: Out of Resources" when the disk is full, over
 * quota, failing or read-only (for the file or the state database: the sender
 * may retry later), else 0110H "Processing failure".
 */
function failureStatus(e: unknown): number {
  return outOfResources(e) ? STORE_STATUS.outOfResources : STORE_STATUS.processingFailure;
}

/** An instance being received: its file, the head kept for its identifiers, its early syncs. */
interface PendingInstance {
  file: string;
  id: string;
  fd: number;
  nameDurable: boolean;
  /** The dataset's first bytes (up to HEAD_BYTES), copied, for its identifiers. */
  head: Buffer | null;
  headLength: number;
  headerLength: number;
  bytes: number;
  /** CRC-32 of everything written to the file so far (header included). */
  crc: number;
  /** Bytes written since the last background fdatasync started. */
  unsynced: number;
  /** The background fdatasync in flight, if any. */
  syncing: Promise<void> | null;
  /** An error a background fdatasync reported (Linux reports a writeback error once). */
  syncError: Error | null;
  /**
   * A write that failed (a full disk, a quota, an I/O error): the rest of the
   * instance is read and dropped, and its C-STORE is answered with a failure
   * status at once, rather than leaving the sender waiting for an answer.
   */
  writeError: Error | null;
  ts: string;
  sopInstance: string;
  ok: boolean;
  discarded: boolean;
}

export async function startScp(opts: ScpOptions): Promise<ScpServer> {
  const d = await dimse();
  const { constants, responses, Dataset } = d;
  const { PresentationContextResult, RejectResult, RejectSource, RejectReason } = constants;
  const sockets = new Set<net.Socket>();
  let active = 0;
  // Per source address: connections without an open association, and associations.
  const idleByHost = new Map<string, number>();
  const activeByHost = new Map<string, number>();
  const bump = (m: Map<string, number>, host: string, d: number) => {
    const n = (m.get(host) ?? 0) + d;
    if (n > 0) m.set(host, n);
    else m.delete(host);
  };
  fs.mkdirSync(opts.instancesDir, { recursive: true });
  // One descriptor of the instances folder: fsynced after new files so their names survive a crash.
  const dirFd = fs.openSync(opts.instancesDir, 'r');
  const spares = new SpareInstanceFiles(opts.instancesDir, dirFd, Math.min(32, Math.max(8, 4 * opts.maxAssociations)), (m) => opts.events.error?.(m));

  class ClaraScp extends d.Scp {
    private info: AssociationInfo | null = null;
    private accepted = false;
    private releasedFlag = false;
    private instances = 0;
    private endWhy = 'the connection ended without a release';
    private readonly pending = new Map<unknown, PendingInstance>();

    constructor(
      socket: net.Socket,
      o: unknown,
      private readonly host: string,
    ) {
      super(socket, o);
      // Nothing raised while this connection is handled reaches the process:
      // the vendored library guards the Scp handlers (Server.js _guarded);
      // these two listeners are ours and guard themselves.
      this.on('close', () => this.guard('closing', () => this.closed()));
      this.on('networkError', (e: Error & { code?: string; limit?: number }) =>
        this.guard('reporting an error', () => {
          const limit = e.code ? LIMIT_NAMES[e.code] : undefined;
          this.endWhy = limit ? `${limit} (${e.limit}) exceeded: ${e.message.replace(/^.*?Limit exceeded: /, '')}` : e.message.replace(/^.*?-> /, '');
          opts.events.error?.(`association ${this.info?.id ?? '(none yet)'} from ${this.host}: ${limit ? this.endWhy : e.message}`);
        }),
      );
    }

    /** Run `fn`; an exception aborts this association only, and is reported. */
    private guard(what: string, fn: () => void): void {
      try {
        fn();
      } catch (e) {
        try {
          opts.events.error?.(`association ${this.info?.id ?? '(none yet)'} from ${this.host}: internal error ${what}: ${(e as Error).message}; aborted`);
        } catch {
          /* the reporter itself failed: the abort below still happens */
        }
        (this as any).abortAndClose(2, 0);
      }
    }

    associationRequested(association: any): void {
      this.info = { id: randomUUID(), calledAe: association.getCalledAeTitle().trim(), callingAe: association.getCallingAeTitle().trim(), host: this.host };
      // Refusals in the order dcmtk's DcmSCP::waitForAssociation checks them
      // (dcmtk dcmnet/libsrc/scp.cc; reject parameters from refuseAssociation).
      const version: number = association.protocolVersion ?? 1;
      if (!(version & 1)) {
        // PS3.8 9.3.2: bit 0 of the protocol version is version 1; a peer without it is refused (ACSE related, reason 2).
        opts.events.rejected?.(this.info, 'protocol', `protocol version ${version} is not DICOM's version 1`);
        return this.sendAssociationReject(RejectResult.Permanent, 2, 2);
      }
      if ((association.applicationContextName ?? '').replace(/\0+$/, '') !== DICOM_APPLICATION_CONTEXT) {
        opts.events.rejected?.(this.info, 'application-context', `application context ${(association.applicationContextName ?? '(none)').replace(/\0+$/, '')} is not DICOM's ${DICOM_APPLICATION_CONTEXT}`);
        return this.sendAssociationReject(RejectResult.Transient, RejectSource.ServiceUser, 2 /* application context name not supported */);
      }
      const busy = active >= opts.maxAssociations ? `max-associations (${opts.maxAssociations}) associations are open` : (activeByHost.get(this.host) ?? 0) >= opts.maxAssociationsPerHost ? `max-associations-per-host (${opts.maxAssociationsPerHost}) associations from ${this.host} are open` : null;
      const decision: AssociationDecision = busy ? { accept: false, reason: 'busy' } : opts.events.associate(this.info);
      if (!decision.accept) {
        opts.events.rejected?.(this.info, decision.reason, busy ?? undefined);
        if (decision.reason === 'busy') this.sendAssociationReject(RejectResult.Transient, RejectSource.ServiceProviderPresentation, 2 /* local limit exceeded */);
        else this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, decision.reason === 'called' ? RejectReason.CalledAeNotRecognized : RejectReason.CallingAeNotRecognized);
        return;
      }
      let usable = 0;
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
        if (ts) {
          ctx.setResult(PresentationContextResult.Accept, ts);
          usable++;
        } else ctx.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
      if (!usable) {
        // Nothing it proposed can be used (or it proposed nothing): refused, as
        // DcmSCP refuses (DCMSCP_NO_PRES_CONTEXTS: permanent, service user, no reason).
        opts.events.rejected?.(this.info, 'no-context', 'no presentation context it proposed can be used (storage or verification, in a transfer syntax this SCP accepts)');
        return this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.NoReasonGiven);
      }
      // Counted once per connection (the state machine refuses a second request anyway).
      if (!this.accepted) {
        this.accepted = true;
        active++;
        bump(activeByHost, this.host, 1);
        bump(idleByHost, this.host, -1);
      }
      this.sendAssociationAccept();
    }

    createStoreWritableStream(ctx: any, request: any): Writable {
      const sopInstance = request.getAffectedSopInstanceUid();
      const sopClass = request.getAffectedSopClassUid();
      const ts: string = ctx.getAcceptedTransferSyntaxUid();
      const ok = isSafeUid(sopInstance) && isSafeUid(sopClass);
      // The file is named by a UUID; it counts as received only once journalled.
      const header = ok ? part10Header(sopClass, sopInstance, ts) : Buffer.alloc(0);
      let writeError: Error | null = null;
      let slot: InstanceSlot | null = null;
      try {
        // On a full disk a new file (or its header) fails here, as its writes do below.
        slot = ok ? spares.take() : null;
        if (slot) fs.writeSync(slot.fd, header);
      } catch (e) {
        writeError = e as Error;
      }
      const fd = slot ? slot.fd : -1;
      const entry: PendingInstance = { file: slot?.file ?? '', id: slot?.id ?? randomUUID(), fd, nameDurable: slot?.nameDurable ?? true, head: null, headLength: 0, headerLength: header.length, bytes: 0, crc: crc32(header), unsynced: header.length, syncing: null, syncError: null, writeError, ts, sopInstance, ok, discarded: false };
      this.pending.set(request, entry);
      const stream = new Writable({
        highWaterMark: 1024 * 1024,
        write(chunk: Buffer, _enc, cb) {
          if (fd < 0 || entry.discarded || entry.writeError) return cb();
          if (entry.headLength < HEAD_BYTES) {
            // Copied (the chunk's memory is reused for the next PDU: reusePduBuffers),
            // only as much as arrives: usually one PDV holds all of it.
            const part = chunk.subarray(0, HEAD_BYTES - entry.headLength);
            entry.head = entry.head ? Buffer.concat([entry.head, part]) : Buffer.from(part);
            entry.headLength += part.length;
          }
          entry.bytes += chunk.length;
          // Written at once (into the page cache: microseconds for a PDU) rather
          // than through the thread pool: each hop there is a wait the sender
          // sees, since it waits for every C-STORE response. The fdatasync
          // before Success is what makes it durable.
          try {
            let off = 0;
            while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
            entry.crc = crc32(chunk, entry.crc);
            entry.unsynced += chunk.length;
            syncAhead(entry);
            cb();
          } catch (e) {
            // Kept, not thrown: the rest of the instance still arrives, and cStoreRequest answers it.
            if (!entry.discarded) entry.writeError = e as Error;
            cb();
          }
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
      // The instance is complete: its descriptor leaves the entry, which ends
      // the background syncs (syncAhead) before anything else happens to it.
      const fd = p?.fd ?? -1;
      if (p) p.fd = -1;
      const response = responses.CStoreResponse.fromRequest(request);
      const answer = (status: number) => {
        response.setStatus(status);
        callback(response);
      };
      if (!p?.ok) return answer(STORE_STATUS.cannotUnderstand);
      const drop = () => discardFile(fd, p.file);
      if (p.writeError) {
        opts.events.error?.(`storing ${p.sopInstance}: ${p.writeError.message}; refused with ${failureStatus(p.writeError).toString(16).toUpperCase()}H, nothing kept (the sender may send it again)`);
        drop();
        return answer(failureStatus(p.writeError));
      }
      let ids: InstanceIds;
      try {
        ids = identify(p.head ?? Buffer.alloc(0), p.ts, () => datasetOf(p.file, p.headerLength));
      } catch (e) {
        opts.events.error?.(`reading ${p.sopInstance}: ${(e as Error).message}`);
        drop();
        return answer(STORE_STATUS.cannotUnderstand);
      }
      if (!ids.studyInstanceUid || !ids.seriesInstanceUid || ids.sopInstanceUid !== p.sopInstance) {
        const why = !ids.studyInstanceUid ? 'has no StudyInstanceUID (0020,000D)' : !ids.seriesInstanceUid ? 'has no SeriesInstanceUID (0020,000E)' : `has SOPInstanceUID ${ids.sopInstanceUid || '(none)'}, not the ${p.sopInstance} of its C-STORE request`;
        opts.events.error?.(`instance ${p.sopInstance} from ${this.info?.callingAe} refused: its dataset ${why}`);
        drop();
        return answer(STORE_STATUS.dataSetDoesNotMatchSopClass);
      }
      const instance: ReceivedInstance = { file: p.file, id: p.id, ids, transferSyntaxUid: p.ts, bytes: p.bytes, fileBytes: p.headerLength + p.bytes, crc32: p.crc };
      // The file's data (and, for a file made on the spot, its name in the
      // folder) are made durable off the event loop, after any background
      // sync of its first part. The caller journals the instance at the same
      // time (one sync latency, not two in a row: its record names the file's
      // length and CRC, so a restart drops a record whose file was cut
      // short); Success is answered once both are durable.
      const durable = (async () => {
        await p.syncing;
        await Promise.all([fdatasyncOf(fd), p.nameDurable ? undefined : fsyncOf(dirFd)]);
        if (p.syncError) throw p.syncError;
      })().finally(() => {
        try {
          fs.closeSync(fd);
        } catch {
          /* closed by a dropped connection */
        }
      });
      Promise.all([durable, opts.events.stored(this.info as AssociationInfo, instance, durable)]).then(
        ([, status]) =>
          this.guard('answering a C-STORE', () => {
            if (status === STORE_STATUS.success) this.instances++;
            else fs.rmSync(p.file, { force: true });
            answer(status);
          }),
        (e: Error) =>
          this.guard('answering a failed C-STORE', () => {
            opts.events.error?.(`storing ${p.sopInstance}: ${e.message}`);
            fs.rmSync(p.file, { force: true });
            answer(failureStatus(e));
          }),
      );
    }

    cEchoRequest(request: any, callback: (r: unknown) => void): void {
      opts.events.echo?.(this.info as AssociationInfo);
      const response = responses.CEchoResponse.fromRequest(request);
      response.setStatus(STORE_STATUS.success);
      callback(response);
    }

    associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
      this.releasedFlag = true;
    }

    abort(): void {
      this.endWhy = 'the sender aborted the association (A-ABORT)';
    }

    private closed(): void {
      // The counts first: whatever fails below, the slots are free again.
      if (this.accepted) {
        active--;
        bump(activeByHost, this.host, -1);
      } else bump(idleByHost, this.host, -1);
      // Only an instance still in flight is discarded: every one answered with
      // Success is journalled already.
      for (const p of this.pending.values()) {
        p.discarded = true;
        discardFile(p.fd, p.file);
      }
      this.pending.clear();
      if (this.accepted && this.info) opts.events.ended(this.info, this.releasedFlag ? 'released' : 'aborted', this.instances, this.releasedFlag ? 'released' : this.endWhy);
    }
  }

  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const host = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const full = sockets.size >= opts.maxConnections ? `${opts.maxConnections} connections are open (max-connections)` : (idleByHost.get(host) ?? 0) >= opts.maxIdleConnectionsPerHost ? `${host} has ${opts.maxIdleConnectionsPerHost} connections open without an association (max-idle-connections-per-host)` : null;
    if (full) {
      opts.events.error?.(`connection from ${host} closed at once: ${full}`);
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    sockets.add(socket);
    bump(idleByHost, host, 1);
    socket.on('close', () => sockets.delete(socket));
    new ClaraScp(socket, { reusePduBuffers: true, associationTimeout: opts.artimMs, pduTimeout: opts.idleMs, artimTimeout: opts.artimMs, connectTimeout: Math.max(opts.idleMs, opts.artimMs) * 2, maxPduReceive: opts.maxPduLength, maxDatasetReceive: opts.maxInstanceBytes, maxAssociationReceive: opts.maxAssociationBytes }, host);
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
    openAssociations: () => active,
    openConnections: () => sockets.size,
    close: (graceMs = 30_000) =>
      new Promise<void>((resolve) => {
        server.close();
        const t0 = Date.now();
        const tick = () => {
          if (!sockets.size || Date.now() - t0 > graceMs) {
            for (const s of sockets) s.destroy();
            spares.close();
            try {
              fs.closeSync(dirFd);
            } catch {
              /* closed */
            }
            return resolve();
          }
          setTimeout(tick, 20);
        };
        tick();
      }),
  };
}

/** What became of one C-STORE: answered (Success or a failure status), sent with no answer (the peer may hold it), or never sent. */
export type StoreOutcome = 'answered' | 'unanswered' | 'unsent';

export interface StoreResult {
  sent: string[];
  failed: { file: string; why: string; outcome: StoreOutcome }[];
}

/**
 * C-STORE every file to a peer; every request must get a success response.
 * `onResult` hears each file's outcome as it comes (so a caller can record
 * what the peer acknowledged before the association ends). Requests go one
 * at a time (dcmjs-dimse sends the next once the last is answered), so when an
 * association ends early at most one was sent without an answer: the first
 * unanswered one; the rest were never sent.
 */
export async function storeFiles(opts: {
  host: string;
  port: number;
  callingAe: string;
  calledAe: string;
  files: string[];
  timeoutMs?: number;
  signal?: AbortSignal;
  onResult?(file: string, why: string | null, outcome: StoreOutcome): void;
}): Promise<StoreResult> {
  const d = await dimse();
  const { Status } = d.constants;
  return new Promise((resolve) => {
    const client = new d.Client();
    const outcome = new Map<string, string | null | undefined>(opts.files.map((f) => [f, undefined]));
    for (const file of opts.files) {
      const req = new d.requests.CStoreRequest(file);
      req.on('response', (res: any) => {
        const status: number = res.getStatus();
        // 0x0000 success; 0xB000, 0xB006, 0xB007 are stored-with-warning.
        const why = status === Status.Success || status === 0xb000 || status === 0xb006 || status === 0xb007 ? null : `status 0x${status.toString(16).padStart(4, '0')}`;
        outcome.set(file, why);
        opts.onResult?.(file, why, 'answered');
      });
      client.addRequest(req);
    }
    let accepted = false;
    let peerAbort: string | null = null;
    let released = false;
    let settled = false;
    const finish = (failAll?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // What a request without a response met: said as it happened, not guessed.
      const unanswered =
        failAll ?? (peerAbort ? `no response: the peer aborted the association (${peerAbort})` : released ? 'no response (the peer accepted no presentation context for it)' : accepted ? 'no response: the connection closed before the peer answered' : 'no response: the association was not accepted');
      const sent: string[] = [];
      const failed: StoreResult['failed'] = [];
      let inFlight = accepted && !released;
      for (const [file, why] of outcome) {
        if (why === null) sent.push(file);
        else if (why === undefined) {
          const o: StoreOutcome = inFlight ? 'unanswered' : 'unsent';
          inFlight = false;
          failed.push({ file, why: unanswered, outcome: o });
          opts.onResult?.(file, unanswered, o);
        } else failed.push({ file, why, outcome: 'answered' });
      }
      resolve({ sent, failed });
    };
    const abort = (why: string) => {
      try {
        client.abort();
      } catch {
        /* not connected */
      }
      finish(why);
    };
    const timer = setTimeout(() => abort(`no answer within ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s`), opts.timeoutMs ?? 60_000);
    const onAbort = () => abort('no response: the export was stopped (clara-wf dicom serve is stopping)');
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    client.on('associationAccepted', () => (accepted = true));
    client.on('associationReleased', () => (released = true));
    client.on('associationRejected', (r: any) => finish(`association rejected (result ${r?.result}, source ${r?.source}, reason ${r?.reason})`));
    client.on('networkError', (e: Error) => finish(`network error: ${e.message}`));
    client.on('closed', () => finish());
    client.send(opts.host, opts.port, opts.callingAe, opts.calledAe, { connectTimeout: 5000, associationTimeout: 30_000, pduTimeout: 30_000 });
    const network = (client as any).network;
    network?.on?.('abort', (a: { source: number; reason: number }) => (peerAbort = `A-ABORT source ${a.source}, reason ${a.reason}`));
    // Nagle's algorithm costs ~45 ms per small instance; send them at once.
    network?.socket?.setNoDelay?.(true);
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
