// Shared set-up for the DICOM loop tests: a project (chart copy + examples),
// dcmtk peers, and `clara-wf dicom serve` as a real process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chartCopy, cli, repoRoot, spawnCli } from './helpers.js';

export const hasDcmtk = spawnSync('storescu', ['--version']).status === 0;

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - t0 > ms) throw new Error(`port ${port} never opened`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Poll `fn` until it gives something truthy; fail after `ms`, naming what was awaited. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A chart copy whose examples resolve to the repository's, with AE titles mapped for the tests. */
export async function dicomProject(opts: { pacsPort: number; downPort: number }) {
  const c = chartCopy();
  fs.symlinkSync(path.join(repoRoot, 'examples'), path.join(c.dir, 'examples'));
  const run = async (...args: string[]) => {
    const r = await cli(['--chart', c.chart, ...args]);
    if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  };
  await run('dicom', 'dest', 'set', 'MYPACS', '--port', String(opts.pacsPort));
  await run('dicom', 'dest', 'add', 'DOWNPACS', '--host', '127.0.0.1', '--port', String(opts.downPort), '--ae', 'DOWNPACS');
  await run('workflow', 'create', '--name', 'broken-threshold', '--stages', 'dicom-reader,threshold,dicom-writer', '--arg', 'threshold=--min', '--arg', 'threshold=not-a-number');
  for (const [ae, wf, dest] of [['THRESH_AI', 'threshold-example', 'MYPACS'], ['BROKEN_AI', 'broken-threshold', 'MYPACS'], ['DOWN_AI', 'threshold-example', 'DOWNPACS']]) {
    // `release`: these tests want the job as soon as the sender releases.
    await run('dicom', 'ae', 'add', ae as string, '--trigger', 'release', '--timeout', '1');
    await run('dicom', 'map', ae as string, '--workflow', wf as string, '--destination', dest as string);
  }
  const series = path.join(c.dir, 'series');
  spawnSync(process.execPath, [path.join(repoRoot, 'examples', 'make-test-series.mjs'), series, '--slices', '12', '--size', '48']);
  return { ...c, series, data: path.join(c.dir, 'data'), pacs: path.join(c.dir, 'pacs') };
}

export interface Serve {
  child: ChildProcess;
  events: Record<string, any>[];
  port: number;
  dashboard: string | null;
  /** The address with the access token, as serve printed it. */
  dashboardUrl: string | null;
  token: string | null;
  exited: Promise<number | null>;
  waitFor(pred: (e: Record<string, any>) => boolean, ms?: number): Promise<Record<string, any>>;
  jobs(): Promise<any[]>;
}

export async function startServe(chart: string, data: string, extra: string[] = [], withDashboard = true, fixedPort?: number, env?: Record<string, string>, globals: string[] = []): Promise<Serve> {
  const port = fixedPort ?? (await freePort());
  const dport = withDashboard ? await freePort() : null;
  const args = ['--chart', chart, ...globals, '--json', 'dicom', 'serve', '--port', String(port), '--data', data, '--runtime', 'process', '--export-retries', '2', '--export-backoff', '50', ...(dport ? ['--dashboard', String(dport)] : []), ...extra];
  const child = spawnCli(args, { env });
  const events: Record<string, any>[] = [];
  let buf = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        events.push(JSON.parse(line));
      } catch {
        events.push({ type: 'raw', message: line });
      }
    }
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const waitFor = async (pred: (e: Record<string, any>) => boolean, ms = 20_000) => {
    const t0 = Date.now();
    for (;;) {
      const hit = events.find(pred);
      if (hit) return hit;
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting; events:\n${events.map((e) => e.message).join('\n')}\nstderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await waitFor((e) => /listening on/.test(e.message));
  const dashboardUrl = dport ? ((await waitFor((e) => /dashboard on/.test(e.message))).url as string) : null;
  const dashboard = dport ? `http://127.0.0.1:${dport}` : null;
  const token = dashboardUrl ? new URL(dashboardUrl).searchParams.get('token') : null;
  return {
    child,
    events,
    port,
    dashboard,
    dashboardUrl,
    token,
    exited,
    waitFor,
    jobs: async () => (await fetch(`${dashboard}/api/jobs`, { headers: { Authorization: `Bearer ${token}` } })).json() as Promise<any[]>,
  };
}

export function storescu(port: number, calledAe: string, what: string, opts: { callingAe?: string; nodelay?: boolean } = {}): ChildProcess {
  return spawn('storescu', ['+sd', '+r', '-aet', opts.callingAe ?? 'DCM4CHEE', '-aec', calledAe, '127.0.0.1', String(port), what], {
    env: { ...process.env, ...(opts.nodelay === false ? {} : { TCP_NODELAY: '1' }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function finished(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return new Promise((r) => child.on('close', (code) => r({ code, output })));
}

export function startStorescp(dir: string, port: number): ChildProcess {
  fs.mkdirSync(dir, { recursive: true });
  return spawn('storescp', ['-od', dir, '-aet', 'MYPACS', String(port)], { env: { ...process.env, TCP_NODELAY: '1' }, stdio: 'ignore' });
}

/** Fetch options carrying a serve's dashboard token. */
export const auth = (s: Serve): RequestInit => ({ headers: { Authorization: `Bearer ${s.token}` } });
