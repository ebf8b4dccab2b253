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

/**
 * Whether an error is the disk saying no: full, over quota, failing or
 * read-only, from the file system or from SQLite (SQLITE_FULL, SQLITE_IOERR_*).
 * Such a failure is an answer to give (A700 to a sender, a waiting job), never a crash.
 */
export function outOfResources(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return ['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY'].some((c) => code === c || code.startsWith(`${c}_`));
}

/** Why a write failed, in words a user can act on; null for errors that are bugs. */
const WRITE_ERRORS: Record<string, string> = {
  ENOSPC: 'the disk is full (ENOSPC)',
  EDQUOT: 'the disk quota is exhausted (EDQUOT)',
  EROFS: 'the file system is read-only (EROFS)',
  EPERM: 'the operation is not permitted (EPERM: an immutable file or folder, or a file system that refuses it)',
  EACCES: 'permission denied (EACCES)',
  EIO: 'an I/O error (EIO)',
  ENOENT: 'its folder does not exist (ENOENT)',
};

/** A failed write as a user error (exit 2) with what to do, or the error itself if it is not the user's. */
export function writeError(e: unknown, file: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code ? WRITE_ERRORS[code] : undefined;
  return why ? new UsageError(`cannot write ${file}: ${why}; nothing was changed (the file is as it was)`) : e;
}

/** The file a path names, through symbolic links (a new file: the path itself). */
export function realTarget(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

const tmpPattern = (base: string) => new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.([0-9]+)\\.[0-9a-f]+\\.(tmp|lock-tmp|stale)$`);

/** Temp files a killed clara-wf left beside `file` (their pid is gone): removed. */
export function removeLeftovers(file: string): void {
  const dir = path.dirname(file);
  const re = tmpPattern(path.basename(file));
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = re.exec(n);
    if (m && !alive(Number(m[1]))) fs.rmSync(path.join(dir, n), { force: true });
  }
}

/**
 * Write via a temp file in the same folder, fsync it, rename over the target,
 * fsync the folder. A symbolic link is written through (its target changes,
 * the link stays). Disk errors become user errors; the target is untouched.
 */
export function writeAtomic(file: string, content: string): void {
  const target = realTarget(file);
  const dir = path.dirname(target);
  removeLeftovers(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let mode = 0o644;
  try {
    mode = fs.statSync(target).mode & 0o777;
  } catch {
    /* new file */
  }
  try {
    // Only for the file named in CLARA_WF_FAULT_WRITE_FILE, when given (a write that fails halfway through a two-file edit).
    const faultFile = process.env.CLARA_WF_FAULT_WRITE_FILE;
    const fault = !faultFile || path.basename(target) === faultFile ? process.env.CLARA_WF_FAULT_WRITE_ERRNO : undefined;
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
      // Fault injection for the disk-error tests (ENOSPC, EROFS, ... as the write would raise them).
      if (fault) throw Object.assign(new Error(`${fault}: injected`), { code: fault });
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeError(e, file);
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
  // Links to one file share one lock: the lock sits beside the real file.
  const target = realTarget(file);
  const lock = `${target}.lock`;
  const token = `${process.pid} ${randomBytes(6).toString('hex')}`;
  removeLeftovers(lock);
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const staleMs = opts.staleMs ?? 60_000;
  let wait = 2;
  for (;;) {
    // The lock appears with its content in one step (a hard link of a written
    // temp file), so a kill can never leave an empty lock behind.
    const tmp = path.join(path.dirname(lock), `.${path.basename(lock)}.${process.pid}.${randomBytes(4).toString('hex')}.lock-tmp`);
    try {
      fs.writeFileSync(tmp, token, { flag: 'wx' });
      fs.linkSync(tmp, lock);
      fs.rmSync(tmp, { force: true });
      break;
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new UsageError(`cannot lock ${file}: its folder does not exist`);
      if (code !== 'EEXIST') {
        const w = writeError(e, lock);
        throw w instanceof UsageError ? w : new UsageError(`cannot create lock file ${lock}: ${(e as Error).message}`);
      }
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
      const aside = path.join(path.dirname(lock), `.${path.basename(lock)}.${process.pid}.${randomBytes(4).toString('hex')}.stale`);
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
