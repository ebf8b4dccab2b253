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

  private constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'a', 0o600);
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
    const text = records.map((r) => JSON.stringify(r) + '\n').join('');
    fs.writeSync(this.fd, text);
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
        for (let off = 0; off < buf.length; ) off += fs.writeSync(this.fd, buf, off, buf.length - off);
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
      fs.writeSync(fd, records.map((r) => JSON.stringify(r) + '\n').join(''));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    syncDir(path.dirname(this.file));
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, 'a', 0o600);
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
