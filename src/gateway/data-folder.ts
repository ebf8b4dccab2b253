// Where the gateway keeps its own files inside serve's data folder, and which
// serve holds it: light enough for `dicom jobs` and `dicom retry` to load
// without the service.
import fs from 'node:fs';
import path from 'node:path';
import { sameProcessRunning } from '../adapters/processes.js';

export function gatewayPaths(dataDir: string) {
  const dir = path.join(dataDir, '.gateway');
  return { dir, db: path.join(dir, 'gateway.db'), journal: path.join(dir, 'journal.jsonl'), instances: path.join(dir, 'instances'), quarantine: path.join(dir, 'quarantine'), pid: path.join(dir, 'serve.pid') };
}

/** The pid of the dicom serve that holds the data folder (by its pid file, pid and start time), or null. */
export function runningServe(pidFile: string): number | null {
  try {
    const [pid, start] = fs.readFileSync(pidFile, 'utf8').trim().split(' ');
    const p = Number(pid);
    return p && sameProcessRunning(p, start ?? null) ? p : null;
  } catch {
    return null;
  }
}
