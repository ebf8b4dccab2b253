// The gateway's journal: an append-only JSON-lines file, one record a line,
// each append written and fdatasync'd before the caller goes on (an instance is
// answered with Success only after its record is on disk). Chosen over SQLite:
// Node 20 has no built-in binding and the maintained ones ship native builds
// that cannot be installed here; one writer (serve holds a lock on the data
// folder), small records and a compaction at every start keep a plain file
// enough. A torn last line (a crash mid-append) is dropped on reading: it was
// never acknowledged.
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import type { JournalRecord } from './state.js';

const fdatasyncAsync = promisify(fs.fdatasync);

export class Journal {
  private fd: number;
  /** The length of the journal's whole records: an append that fails part-way is cut back to it. */
  private size: number;

  private constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  /**
   * Write `buf` at the end and make it durable, or leave the file as it was:
   * a write cut short (a full disk) is truncated away, so the next append
   * never lands on the same line as a torn one (which a restart would drop,
   * with the record of an acknowledged instance on it).
   */
  private writeWhole(buf: Buffer): void {
    try {
      for (let off = 0; off < buf.length; ) off += fs.writeSync(this.fd, buf, off, buf.length - off);
    } catch (e) {
      this.cutBack();
      throw e;
    }
  }

  private cutBack(): void {
    try {
      fs.ftruncateSync(this.fd, this.size);
    } catch {
      /* the next open reads a torn last line, never acknowledged */
    }
  }

  /** Open (creating) the journal and read what it holds. */
  static open(file: string): { journal: Journal; records: JournalRecord[]; torn: number } {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const records: JournalRecord[] = [];
    let torn = 0;
    const lines = text.split('\n');
    for (const line of lines) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as JournalRecord);
      } catch {
        torn++;
      }
    }
    return { journal: new Journal(file), records, torn };
  }

  /** Append records durably (one write, one fdatasync). */
  append(...records: JournalRecord[]): void {
    const buf = Buffer.from(records.map((r) => JSON.stringify(r) + '\n').join(''));
    this.writeWhole(buf);
    // Whole lines from here on: a failed sync leaves records that may or may not survive, never a torn one.
    this.size += buf.length;
    fs.fdatasyncSync(this.fd);
  }

  private batch: { text: string; done: (e?: Error) => void }[] = [];
  private flushing = false;

  /**
   * Append records durably without blocking: appends that arrive while one is
   * being written share the next write and fdatasync (group commit), so
   * concurrent associations do not queue behind each other's syncs.
   */
  appendLater(...records: JournalRecord[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.batch.push({ text: records.map((r) => JSON.stringify(r) + '\n').join(''), done: (e) => (e ? reject(e) : resolve()) });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.batch.length) {
      const take = this.batch;
      this.batch = [];
      try {
        // The write goes to the page cache at once; only the sync waits (off the event loop).
        const buf = Buffer.from(take.map((b) => b.text).join(''));
        this.writeWhole(buf);
        this.size += buf.length;
        await fdatasyncAsync(this.fd);
        for (const b of take) b.done();
      } catch (e) {
        for (const b of take) b.done(e as Error);
      }
    }
    this.flushing = false;
  }

  /** Replace the whole journal with `records` atomically (temp, fsync, rename, fsync folder). */
  rewrite(records: JournalRecord[]): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      const buf = Buffer.from(records.map((r) => JSON.stringify(r) + '\n').join(''));
      for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off);
      fs.fsyncSync(fd);
    } catch (e) {
      // Nothing left behind: the journal itself is untouched.
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    fs.closeSync(fd);
    fs.renameSync(tmp, this.file);
    syncDir(path.dirname(this.file));
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* closed */
    }
  }
}

export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether a file has the length and CRC-32 its journal record names: null
 * when it does, else what is wrong with it.
 */
export function fileMatches(file: string, bytes: number, crc: number): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'is missing';
    throw e;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size !== bytes) return `has ${size} of its ${bytes} bytes`;
    const buf = Buffer.allocUnsafe(Math.min(bytes, 1 << 20) || 1);
    let sum = 0;
    for (let off = 0; off < bytes; ) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, bytes - off), off);
      if (n <= 0) return `ends after ${off} of its ${bytes} bytes`;
      sum = crc32(buf.subarray(0, n), sum);
      off += n;
    }
    return sum === crc ? null : 'does not match its CRC-32';
  } finally {
    fs.closeSync(fd);
  }
}
