// Finding processes a run started, including those that left its process
// group (setsid, daemonising double forks): every stage gets a marker in its
// environment, and /proc/<pid>/environ tells who still carries it. Linux only,
// and best-effort: a process that clears its environment, or runs as another
// user, is not found. Docker stages are stopped by container name instead.
import fs from 'node:fs';

/** Environment variable carrying the marker of the run (and of the stage). */
export const RUN_MARKER = 'CLARA_WF_RUN_MARKER';

/** Pids (other than ours) whose environment has RUN_MARKER equal to, or starting with `prefix`. */
export function processesWithMarker(prefix: string): number[] {
  if (process.platform !== 'linux') return [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const needle = Buffer.from(`${RUN_MARKER}=${prefix}`);
  const out: number[] = [];
  for (const e of entries) {
    if (!/^[0-9]+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    let env: Buffer;
    try {
      env = fs.readFileSync(`/proc/${e}/environ`);
    } catch {
      continue; // gone, or not ours to read
    }
    // Entries are NUL-separated; match at the start of one.
    let i = env.indexOf(needle);
    while (i >= 0) {
      if (i === 0 || env[i - 1] === 0) {
        out.push(pid);
        break;
      }
      i = env.indexOf(needle, i + 1);
    }
  }
  return out;
}

/** The kernel's start time of a process (clock ticks since boot), to tell a pid reused by another process. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count from the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null; // field 22
  } catch {
    return null;
  }
}

/** The process with this pid and start time exists and is not a zombie waiting to be reaped. */
export function sameProcessRunning(pid: number, start: string | null): boolean {
  if (start === null || processStartTime(pid) !== start) return false;
  return !isZombie(pid);
}

export function signalAll(pids: number[], signal: NodeJS.Signals): number {
  let n = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
      n++;
    } catch {
      /* gone already */
    }
  }
  return n;
}

/** SIGTERM every marked process, SIGKILL what is left after `graceMs`; resolves with how many were found. */
export async function stopMarked(prefix: string, graceMs: number): Promise<number> {
  const first = processesWithMarker(prefix);
  if (!first.length) return 0;
  signalAll(first, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  for (;;) {
    const left = processesWithMarker(prefix).filter((p) => !isZombie(p));
    if (!left.length) break;
    if (Date.now() >= deadline) {
      signalAll(left, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return first.length;
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}
