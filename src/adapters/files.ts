// File I/O with the guarantees edits need: atomic replace and a lock that
// serialises concurrent clara-wf runs and survives a killed holder.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../core/errors.js';

export function readText(file: string, what = 'file'): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'is not readable' : String((e as Error).message);
    throw new UsageError(`cannot read ${what} ${file}: it ${why}`);
  }
}

/** Write via a temp file in the same folder, fsync it, rename over the target, fsync the folder. */
export function writeAtomic(file: string, content: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let mode = 0o644;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch {
    /* new file */
  }
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    const pause = Number(process.env.CLARA_WF_FAULT_PAUSE_MS ?? 0);
    if (pause > 0) {
      // Fault injection for the kill -9 tests: stop halfway through the write.
      const half = Math.floor(content.length / 2);
      fs.writeSync(fd, content.slice(0, half));
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
      fs.writeSync(fd, content.slice(half));
    } else {
      fs.writeFileSync(fd, content);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    /* some file systems cannot fsync a directory; the rename is still atomic */
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LockOptions {
  /** Give up after this long (ms). */
  timeoutMs?: number;
  /** A lock older than this is stale even if its pid looks alive (pid reuse). */
  staleMs?: number;
}

/**
 * Run `fn` holding `<file>.lock` (created with O_EXCL, holding "pid token").
 * A lock whose process is gone (kill -9) is taken over at once, by renaming it
 * aside first so two waiters cannot both delete a fresh lock. proper-lockfile
 * only knows mtime staleness (seconds of waiting after a crash), hence this.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const lock = `${file}.lock`;
  const token = `${process.pid} ${randomBytes(6).toString('hex')}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const staleMs = opts.staleMs ?? 60_000;
  let wait = 2;
  for (;;) {
    try {
      fs.writeFileSync(lock, token, { flag: 'wx' });
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new UsageError(`cannot lock ${file}: its folder does not exist`);
      if (code !== 'EEXIST') throw new UsageError(`cannot create lock file ${lock}: ${(e as Error).message}`);
    }
    let holder = '';
    let mtime = Date.now();
    try {
      holder = fs.readFileSync(lock, 'utf8');
      mtime = fs.statSync(lock).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    const pid = Number.parseInt(holder, 10);
    // An empty lock is one whose creator died between create and write.
    const age = Date.now() - mtime;
    const stale = holder === '' ? age > 1000 : !Number.isFinite(pid) || !alive(pid) || age > staleMs;
    if (stale) {
      const aside = `${lock}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
      try {
        fs.renameSync(lock, aside);
        const moved = fs.readFileSync(aside, 'utf8');
        if (moved !== holder) {
          // We moved a fresh lock someone took meanwhile: put it back if the name is free.
          try {
            fs.linkSync(aside, lock);
          } catch {
            /* another holder exists already; theirs stands */
          }
        }
        fs.rmSync(aside, { force: true });
      } catch {
        /* someone else cleaned it up */
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new UsageError(`${file} is locked by process ${holder.split(' ')[0]} (${lock}); wait for it to finish, or delete the lock file if that process is gone`);
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 50);
  }
  try {
    return await fn();
  } finally {
    try {
      if (fs.readFileSync(lock, 'utf8') === token) fs.rmSync(lock, { force: true });
    } catch {
      /* already gone */
    }
  }
}
