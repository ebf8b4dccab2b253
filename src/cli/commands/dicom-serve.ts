// dicom serve / route / echo: the local DICOM loop of seed 000 (§12.5–12.10).
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import fs from 'node:fs';
import { ExternalToolError, StateDamaged, UsageError } from '../../core/errors.js';
import { route } from '../../core/dicom-route.js';
import type { ServiceEvent } from '../../gateway/service.js';
import type { Ctx } from '../context.js';
import { byteSize, duration, wholeNumber } from '../numbers.js';
import { requireValidValues, type Overlays } from '../values-file.js';
import { checkClusterFlags, clusterRuntime, type ClusterFlags } from '../cluster.js';
import type { Runtime } from '../../runner/runtime.js';
import { requireValidDicomConfig } from '../dicom-file.js';
import { currentUser, dockerAvailable, dockerRuntime } from '../../runner/docker.js';
import { processRuntime } from '../../runner/process.js';

/** values.yaml and the DICOM configuration, both valid. */
function loadBoth(ctx: Ctx, overlays: Overlays = {}, helm = false) {
  const values = requireValidValues(ctx, 'nothing was started', overlays, { helm });
  return { values: values.values, config: requireValidDicomConfig(ctx, values.values, 'nothing was started') };
}

/** 0 asks the system for a free port. */
const PORT = { min: 0, max: 65535 };

interface ServeFlags extends ClusterFlags {
  jobs?: string;
  host?: string;
  port?: string;
  data?: string;
  dashboard?: string;
  dashboardHost?: string;
  dashboardToken?: string;
  rerunInterrupted?: boolean;
  maxJobs?: string;
  runtime?: 'process' | 'docker' | 'argo' | 'cluster';
  jobTimeout?: string;
  exportRetries?: string;
  exportBackoff?: string;
  exportRetryFor?: string;
  exportRetryMaxInterval?: string;
  minFree?: string;
  grace?: string;
}

export async function serve(ctx: Ctx, f: ServeFlags): Promise<number> {
  // A long-running server: V8's young generation stays the size it has now.
  // Left to grow, it reaches 32 MB while instances stream through and keeps
  // it (peak RSS for the 263 MB bench study 131 → ~90 MB, no slower). V8
  // reads the factor whenever it would grow the space, so setting it at run
  // time works; an engine that ignored it would only use more memory.
  setFlagsFromString('--semi-space-growth-factor=1');
  const onCluster = f.runtime === 'argo' || f.runtime === 'cluster';
  if (onCluster) checkClusterFlags(f);
  const { values, config } = loadBoth(ctx, f, onCluster);
  const port = wholeNumber(f.port, '--port', config.dicom.scp.port, PORT);
  if (port < 1 || port > 65535) throw new UsageError(`--port must be 1-65535, not ${port}`);
  const host = f.host ?? '127.0.0.1';
  const dataDir = ctx.dataDir(f.data);
  const jobsDir = f.jobs ? path.resolve(ctx.io.cwd, f.jobs) : undefined;
  const runtime = onCluster ? await submitToCluster(ctx, f) : (f.runtime ?? ((await dockerAvailable(ctx.io.env)) ? 'docker' : 'process')) === 'docker' ? dockerRuntime({ user: currentUser() }) : processRuntime;
  // A percentage of --min-free is of the disk the data folder is on (its nearest existing folder).
  let probe = dataDir;
  while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  const disk = fs.statfsSync(probe);
  const minFreeBytes = byteSize(f.minFree, '--min-free', '500MB', disk.blocks * disk.bsize);
  const { DicomService } = await import('../../gateway/service.js');
  const service = new DicomService({
    config,
    values,
    valuesDir: path.dirname(ctx.valuesFile),
    dataDir,
    jobsDir,
    host,
    port,
    maxJobs: wholeNumber(f.maxJobs, '--max-jobs', 2, { min: 1, max: 64 }),
    runtime,
    env: ctx.io.env,
    graceMs: wholeNumber(f.grace, '--grace', 5, { min: 0, max: 3600, unit: 'of seconds' }) * 1000,
    jobTimeoutMs: wholeNumber(f.jobTimeout, '--job-timeout', 3600, { min: 1, max: 9_999_999, unit: 'of seconds' }) * 1000,
    exportRetries: wholeNumber(f.exportRetries, '--export-retries', 3, { min: 0, max: 100 }),
    exportBackoffMs: wholeNumber(f.exportBackoff, '--export-backoff', 500, { min: 0, max: 600_000, unit: 'of milliseconds' }),
    exportRetryForMs: duration(f.exportRetryFor, '--export-retry-for', 24 * 3_600_000),
    exportRetryMaxIntervalMs: Math.max(1000, duration(f.exportRetryMaxInterval, '--export-retry-max-interval', 600_000)),
    minFreeBytes,
    rerunInterrupted: f.rerunInterrupted !== false,
  });
  service.on('log', (e: ServiceEvent) => {
    if (ctx.json) ctx.io.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n');
    else ctx.out(`${new Date().toISOString().slice(11, 23)} ${e.message}`);
  });
  try {
    await service.start();
  } catch (e) {
    if (e instanceof UsageError || e instanceof StateDamaged) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' ? `port ${port} needs root (ports below 1024 are privileged); use --port 11112 or similar` : code === 'EADDRINUSE' ? `port ${port} on ${host} is in use` : code === 'EADDRNOTAVAIL' ? `${host} is not an address of this machine` : (e as Error).message;
    throw new UsageError(`cannot listen on ${host}:${port}: ${why}`);
  }
  let dashboard: { url: string; close(): Promise<void> } | null = null;
  if (f.dashboard !== undefined) {
    const { startDashboard } = await import('../../gateway/dashboard.js');
    const dport = wholeNumber(f.dashboard, '--dashboard', 8000, PORT);
    const dhost = f.dashboardHost ?? '127.0.0.1';
    const token = f.dashboardToken ?? ctx.io.env.CLARA_WF_DASHBOARD_TOKEN;
    if (token !== undefined && !/^[A-Za-z0-9._~-]{16,256}$/.test(token)) {
      await service.stop();
      throw new UsageError('the dashboard token must be 16-256 characters of A-Z a-z 0-9 . _ ~ - (it travels in a URL and a cookie)');
    }
    try {
      dashboard = await startDashboard(service, { host: dhost, port: dport, token });
    } catch (e) {
      await service.stop();
      throw new UsageError(`cannot serve the dashboard on ${dhost}:${dport}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const warn = dhost === '127.0.0.1' || dhost === '::1' || dhost === 'localhost' ? '' : ` (listening on ${dhost}: reachable from the network; stage logs may hold patient data)`;
    if (ctx.json) ctx.io.stdout.write(JSON.stringify({ time: new Date().toISOString(), type: 'server', message: `dashboard on ${dashboard.url}${warn}`, url: dashboard.url }) + '\n');
    else ctx.out(`${new Date().toISOString().slice(11, 23)} dashboard on ${dashboard.url}${warn}`);
  }
  // Runs until SIGINT/SIGTERM: stop accepting, let stores in flight finish, exit 0.
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await service.stop();
  await dashboard?.close();
  return 0;
}

/**
 * --runtime argo|cluster: a released study's job is submitted to the cluster
 * (a Workflow from the catalog release's WorkflowTemplate, or a run-mode
 * release of stage Jobs), checked before anything listens.
 */
async function submitToCluster(ctx: Ctx, f: ServeFlags): Promise<Runtime> {
  const engine = f.runtime === 'argo' ? 'argo' : 'jobs';
  const { runtime, cluster, catalogRelease } = await clusterRuntime(ctx, f, engine, (catalog) => catalog);
  ctx.info(`stages run on ${cluster.describe()} in namespace ${cluster.namespace}: ${engine === 'argo' ? `an Argo Workflow per job from release ${catalogRelease}'s WorkflowTemplates` : `a run-mode release of stage Jobs per job (${catalogRelease}-<job>)`}`);
  return runtime;
}

export function routeCmd(ctx: Ctx, f: { called: string; calling: string; host?: string }): number {
  const { values, config } = loadBoth(ctx);
  const r = route(config, values, { called: f.called, calling: f.calling, host: f.host });
  if (ctx.json) ctx.printJson(r);
  else ctx.out(`${r.accept ? 'accepted' : 'rejected'}: ${r.why}`);
  return r.accept ? 0 : 1;
}

export async function echoCmd(ctx: Ctx, destination: string): Promise<number> {
  const { config } = loadBoth(ctx);
  const d = (config.dicom.scu.destinations ?? []).find((x) => x.name === destination);
  if (!d) throw new UsageError(`no destination ${destination} in dicom.scu.destinations (${(config.dicom.scu.destinations ?? []).map((x) => x.name).join(', ') || 'none'})`);
  const { echo } = await import('../../gateway/wire.js');
  const callingAe = config.dicom.scu['ae-title'];
  try {
    const ms = await echo({ host: d['host-ip'], port: d.port, callingAe, calledAe: d['ae-title'] });
    if (ctx.json) ctx.printJson({ ok: true, destination, ms });
    else ctx.out(`C-ECHO ${callingAe} → ${destination} (${d['ae-title']}@${d['host-ip']}:${d.port}): success in ${ms} ms`);
    return 0;
  } catch (e) {
    throw new ExternalToolError(`C-ECHO ${callingAe} → ${destination} (${d['ae-title']}@${d['host-ip']}:${d.port}) failed: ${(e as Error).message}`);
  }
}
