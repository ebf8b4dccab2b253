// clara-wf test <workflow> [job-ID] [timeout]: run a workflow locally, as the
// seed's script did, with locks, logs, timeouts and clean kills.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ExternalToolError, UsageError } from '../../core/errors.js';
import { findWorkflow } from '../../core/workflow.js';
import { planRun, stagesWithoutLocalCommand, type RunPlan, type Runtime } from '../../runner/plan.js';
import { lineReporter, summaryJson, ttyReporter, type Reporter } from '../../runner/progress.js';
import { Runner, type RunResult, type StageState } from '../../runner/runner.js';
import type { Ctx } from '../context.js';
import { JOB_ID_RE } from '../render-chart.js';
import { checkClusterFlags, connect, helmClusterArgs, preflight, type ClusterFlags } from '../cluster.js';
import { helmFailed, locateHelm, startHelm, checkHelmVersion } from '../../adapters/helm.js';
import { ClusterRun } from '../../runner/cluster.js';
import { ArgoRun } from '../../runner/argo.js';
import type { Cluster } from '../../adapters/kube.js';
import { createHash } from 'node:crypto';
import { overlayHelmArgs, requireValidValues } from '../values-file.js';
import { wholeNumber } from '../numbers.js';

interface Flags extends ClusterFlags {
  runtime?: Runtime | 'cluster' | 'argo';
  data?: string;
  force?: boolean;
  grace?: string;
  keep?: boolean;
}

/** A Docker engine answers `docker info` (the client alone is not enough). */
export function dockerAvailable(env: Record<string, string | undefined>, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', env: env as NodeJS.ProcessEnv });
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(false);
    }, timeoutMs);
    child.on('error', () => {
      clearTimeout(t);
      resolve(false);
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve(code === 0);
    });
  });
}

/** Live table on a terminal, one line per event otherwise, nothing with --json or --quiet. */
function progressReporter(ctx: Ctx): Reporter | null {
  if (ctx.json || ctx.quiet) return null;
  const write = (s: string) => ctx.io.stderr.write(s);
  return ctx.io.stderr.isTTY ? ttyReporter(write, ctx.color) : lineReporter(write);
}

/** Run to the end; Ctrl-C (SIGINT) or SIGTERM aborts the run, which then ends cleanly. */
async function followRun(run: { run(): Promise<RunResult>; abort(reason: string): void }, reporter: Reporter | null): Promise<{ result: RunResult; interrupted: NodeJS.Signals | null }> {
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = sig;
    run.abort(`interrupted (${sig})`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return { result: await run.run(), interrupted };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    reporter?.end();
  }
}

/** Outputs or locks left by an earlier run of this job. */
function leftovers(plan: RunPlan): string[] {
  const found: string[] = [];
  for (const s of plan.stages) {
    for (const out of [s.output, ...s.extraOutputs.map((o) => o.host)]) {
      try {
        if (fs.readdirSync(out).length) found.push(out);
      } catch {
        /* absent */
      }
    }
    if (fs.existsSync(s.lock)) found.push(s.lock);
  }
  return [...new Set(found)];
}

export async function test(ctx: Ctx, ref: string, jobArg: string | undefined, timeoutArg: string | undefined, flags: Flags): Promise<number> {
  // -f/--set apply to local runs too; on a cluster they reach helm, which
  // also reads the chart's values.yaml under a --values-file.
  const onCluster = flags.runtime === 'cluster' || flags.runtime === 'argo';
  const check = requireValidValues(ctx, 'nothing was run', flags, { helm: onCluster });
  const { id, workflow } = findWorkflow(check.values, ref);
  const jobId = jobArg ?? randomUUID();
  if (!JOB_ID_RE.test(jobId)) throw new UsageError(`job ID "${jobId}" must be a lowercase UUID or DNS label of at most 40 characters`);
  const runTimeout = wholeNumber(timeoutArg, 'the timeout', 300, { min: 1, max: 9_999_999, unit: 'of seconds' });
  const grace = wholeNumber(flags.grace, '--grace', 5, { min: 0, max: 3600, unit: 'of seconds' });
  const dataDir = ctx.dataDir(flags.data);
  const plan = planRun({ values: check.values, workflowId: id, workflow, jobId, dataDir, valuesDir: path.dirname(ctx.valuesFile) });

  if (flags.runtime === 'cluster' || flags.runtime === 'argo') return testOnCluster(ctx, plan, { id, name: workflow.name }, runTimeout, flags, !jobArg, flags.runtime === 'argo' ? 'argo' : 'jobs');
  const runtime: Runtime = flags.runtime ?? ((await dockerAvailable(ctx.io.env)) ? 'docker' : 'process');
  if (runtime === 'process') {
    const missing = stagesWithoutLocalCommand(plan);
    if (missing.length) {
      throw new UsageError(
        `stage${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ha${missing.length > 1 ? 've' : 's'} no local.command, so the process runtime cannot start ${missing.length > 1 ? 'them' : 'it'}; add one (clara-wf cs ${missing[0]} --local-command <program> --local-command <arg>...) or use --runtime docker`,
      );
    }
  }
  if (!fs.existsSync(plan.payload) || !fs.statSync(plan.payload).isDirectory()) {
    throw new UsageError(`no input for job ${jobId}: put the workflow's input data in ${ctx.display(plan.payload)}`);
  }
  const old = leftovers(plan);
  if (old.length) {
    if (!flags.force) {
      throw new UsageError(
        `job folder ${ctx.display(plan.jobDir)} holds results of an earlier run (${old.map((p) => ctx.display(p)).join(', ')}); choose another job ID, or pass --force to run again over them (only the old lock files are removed)`,
      );
    }
    for (const s of plan.stages) fs.rmSync(s.lock, { force: true });
  }

  if (!jobArg && !ctx.json) ctx.err(`job ${jobId}`);
  ctx.info(`running ${workflow.name} (${id}) as job ${jobId} in ${ctx.display(plan.jobDir)} [runtime ${runtime}]`);
  const reporter = progressReporter(ctx);
  const runner = new Runner(plan, {
    runtime,
    env: ctx.io.env,
    runTimeoutMs: runTimeout * 1000,
    graceMs: grace * 1000,
    dockerUser: runtime === 'docker' && process.getuid ? `${process.getuid()}:${process.getgid?.() ?? 0}` : undefined,
    onChange: (st, all) => reporter?.change(st, all),
  });
  const { result, interrupted } = await followRun(runner, reporter);
  if (ctx.json) ctx.printJson(summaryJson({ id, name: workflow.name }, jobId, result));
  if (interrupted) return 130;
  if (result.ok) {
    if (!ctx.json && !ctx.quiet) ctx.out(`${workflow.name} job ${jobId}: ok; results in ${ctx.display(plan.stages[plan.stages.length - 1]!.output)}`);
    return 0;
  }
  if (!ctx.json) {
    const bad = result.stages.filter((s) => s.status === 'failed' || s.status === 'timeout' || s.status === 'killed');
    for (const s of bad) {
      ctx.err(`stage ${s.name} ${s.status}${s.reason ? ` (${s.reason})` : ''}; log: ${ctx.display(s.log)}`);
      try {
        const tail = fs.readFileSync(s.log, 'utf8').trimEnd().split('\n').slice(-10);
        for (const l of tail) ctx.err(`  | ${l}`);
      } catch {
        /* no log */
      }
    }
    ctx.err(`clara-wf: ${workflow.name} job ${jobId} failed${result.aborted ? `: ${result.aborted}` : ''}`);
  }
  return 1;
}

/** Release name for one job: <release>-<job>, kept within helm's 53 characters. */
export function jobReleaseName(release: string, job: string): string {
  const name = `${release}-${job}`;
  if (name.length <= 53) return name;
  return `${name.slice(0, 42).replace(/-+$/, '')}-${createHash('sha256').update(name).digest('hex').slice(0, 10)}`;
}

/** --runtime cluster: install a run-mode release, follow its Jobs, uninstall. */
async function testOnCluster(ctx: Ctx, plan: RunPlan, wf: { id: string; name: string }, runTimeout: number, flags: Flags, printJob: boolean, engine: 'jobs' | 'argo'): Promise<number> {
  checkClusterFlags(flags);
  const catalogRelease = flags.release ?? 'clara-workflow';
  const release = jobReleaseName(catalogRelease, plan.jobId);
  const helm = locateHelm(ctx.io.env);
  const helmVersion = checkHelmVersion(helm, ctx.io.env);
  const cluster = await connect(ctx, flags);
  await preflight(ctx, cluster, release, flags);
  await helmVersion;
  if (printJob && !ctx.json) ctx.err(`job ${plan.jobId}`);
  ctx.info(`running ${wf.name} (${wf.id}) as job ${plan.jobId}: release ${release} in ${cluster.namespace} on ${cluster.server}`);
  const base = helmClusterArgs(cluster, flags);
  // Jobs: a run-mode release of the chart. Argo: a Workflow from the catalog's
  // WorkflowTemplate, submitted through the API (no release per run).
  let argoWorkflow = '';
  if (engine === 'argo') {
    const template = await ensureArgoCatalog(ctx, cluster, helm.bin, catalogRelease, wf, [...base, ...overlayHelmArgs(ctx, flags), '--set-string', 'engine=argo', ...(flags.createNamespace ? ['--create-namespace'] : [])]);
    argoWorkflow = await submitArgoWorkflow(cluster, catalogRelease, template, wf, plan.jobId, runTimeout);
    ctx.info(`submitted Argo Workflow ${argoWorkflow} from WorkflowTemplate ${template}`);
  } else {
    const install = ['upgrade', '--install', release, ctx.chartDir, ...base, ...overlayHelmArgs(ctx, flags), '--set-string', `job.workflow=${wf.id}`, '--set-string', `job.id=${plan.jobId}`];
    if (flags.createNamespace) install.push('--create-namespace');
    const installed = await startHelm(helm.bin, install, { env: ctx.io.env, cwd: ctx.io.cwd }).done;
    if (installed.code !== 0) helmFailed(`helm upgrade --install ${release}`, installed);
  }

  const reporter = progressReporter(ctx);
  let latest: readonly StageState[] = [];
  const follow = {
    cluster,
    release: engine === 'argo' ? catalogRelease : release,
    runTimeoutMs: runTimeout * 1000,
    onChange: (st: StageState, all: readonly StageState[]) => {
      latest = all;
      reporter?.change(st, all);
    },
  };
  const run = engine === 'argo' ? new ArgoRun(plan, follow) : new ClusterRun(plan, follow);
  // A cluster can leave Jobs pending for ever (no node, no image): say what
  // the run waits for, and for how long, instead of going quiet.
  const t0 = Date.now();
  const waiting = setInterval(() => {
    // Before the first change every stage is waiting.
    const open = latest.length ? latest.filter((st) => st.status === 'waiting' || st.status === 'running') : plan.stages.map((st) => ({ name: st.name, status: 'waiting' as const }));
    if (!open.length || ctx.json) return;
    const running = open.filter((st) => st.status === 'running').map((st) => st.name);
    const secs = Math.round((Date.now() - t0) / 1000);
    ctx.info(
      running.length
        ? `waited ${secs} s of ${runTimeout} s: stage ${engine === 'argo' ? 'node' : 'Job'}${running.length === 1 ? '' : 's'} ${running.join(', ')} running; ${open.length - running.length} stage${open.length - running.length === 1 ? '' : 's'} after ${running.length === 1 ? 'it' : 'them'}`
        : engine === 'argo'
          ? `waited ${secs} s of ${runTimeout} s: no stage of the Workflow runs yet (kubectl get workflows,pods -n ${cluster.namespace} -l clara.nvidia.com/job=${plan.jobId} shows why: no Argo controller, no node, an image that cannot be pulled)`
          : `waited ${secs} s of ${runTimeout} s: no stage Job has a running pod yet (kubectl get pods -n ${cluster.namespace} -l app.kubernetes.io/instance=${release} shows why: no node, an image that cannot be pulled, a claim that is not bound)`,
    );
  }, 10_000);
  const { result, interrupted } = await followRun(run, reporter).finally(() => clearInterval(waiting));
  const failed = result.stages.filter((s) => s.status === 'failed' || s.status === 'timeout');
  const logs = new Map<string, string>();
  for (const s of failed) logs.set(s.name, await run.logs(s.name));
  const what = engine === 'argo' ? `workflow ${argoWorkflow}` : `release ${release}`;
  if (!flags.keep) {
    if (engine === 'argo') {
      const api = cluster.kc.makeApiClient(cluster.k8s.CustomObjectsApi);
      await cluster.call(`deleting workflow ${argoWorkflow}`, () => api.deleteNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: cluster.namespace, plural: 'workflows', name: argoWorkflow })).catch((e: Error) => ctx.err(`clara-wf: could not delete ${what}: ${e.message}`));
    } else {
      const un = await startHelm(helm.bin, ['uninstall', release, ...base], { env: ctx.io.env, cwd: ctx.io.cwd }).done;
      if (un.code !== 0) ctx.err(`clara-wf: could not uninstall ${release}: ${un.stderr.trim()}`);
    }
  } else if (engine === 'argo') ctx.info(`kept ${what} (--keep); remove it with kubectl delete workflow ${argoWorkflow} -n ${cluster.namespace}`);
  else ctx.info(`kept release ${release} (--keep); remove it with clara-wf uninstall --release ${release} -n ${cluster.namespace}`);
  if (ctx.json) ctx.printJson({ ...summaryJson(wf, plan.jobId, result), ...(engine === 'argo' ? { workflow: argoWorkflow, release: catalogRelease } : { release }), namespace: cluster.namespace, logs: Object.fromEntries(logs) });
  if (interrupted) return 130;
  if (result.ok) {
    if (!ctx.json && !ctx.quiet) ctx.out(`${wf.name} job ${plan.jobId}: ok on ${cluster.server} (${what}${flags.keep ? ', kept' : engine === 'argo' ? ', deleted' : ', uninstalled'})`);
    return 0;
  }
  if (!ctx.json) {
    for (const s of failed) {
      ctx.err(`stage ${s.name} ${s.status}${s.reason ? ` (${s.reason})` : ''}: ${s.log}`);
      for (const l of (logs.get(s.name) ?? '').trimEnd().split('\n')) ctx.err(`  | ${l}`);
    }
    ctx.err(`clara-wf: ${wf.name} job ${plan.jobId} failed${result.aborted ? `: ${result.aborted}` : ''}`);
  }
  return 1;
}

/**
 * engine argo: the run's Workflow refers to the catalog release's
 * WorkflowTemplate. If that template is not on the cluster, install (or
 * upgrade) the catalog release with engine argo first, and say so.
 */
async function ensureArgoCatalog(ctx: Ctx, cluster: Cluster, helmBin: string, catalogRelease: string, wf: { id: string; name: string }, args: string[]): Promise<string> {
  const api = cluster.kc.makeApiClient(cluster.k8s.CustomObjectsApi);
  const find = async () => {
    const list = await cluster
      .call('listing Argo WorkflowTemplates', () => api.listNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: cluster.namespace, plural: 'workflowtemplates', labelSelector: `app.kubernetes.io/instance=${catalogRelease},clara.nvidia.com/workflow=${wf.id}` }))
      .catch((e: Error) => {
        if (/404|not found/i.test(e.message)) throw new UsageError(`the cluster at ${cluster.server} has no Argo Workflows (no workflowtemplates.argoproj.io); install Argo, or run with --runtime cluster (Jobs)`);
        throw e;
      });
    return ((list as { items?: { metadata?: { name?: string } }[] }).items ?? [])[0]?.metadata?.name;
  };
  const found = await find();
  if (found) return found;
  ctx.info(`no WorkflowTemplate for ${wf.name} in release ${catalogRelease}: installing the catalog with engine argo (helm upgrade --install ${catalogRelease})`);
  const r = await startHelm(helmBin, ['upgrade', '--install', catalogRelease, ctx.chartDir, ...args], { env: ctx.io.env, cwd: ctx.io.cwd }).done;
  if (r.code !== 0) helmFailed(`helm upgrade --install ${catalogRelease}`, r);
  const installed = await find();
  if (!installed) throw new ExternalToolError(`release ${catalogRelease} was installed with engine argo but has no WorkflowTemplate for ${wf.name}`);
  return installed;
}

/** A Workflow running the template for one job, created through the API; returns its name. */
async function submitArgoWorkflow(cluster: Cluster, catalogRelease: string, template: string, wf: { id: string; name: string }, job: string, runTimeout: number): Promise<string> {
  const api = cluster.kc.makeApiClient(cluster.k8s.CustomObjectsApi);
  const body = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      generateName: `${template.slice(0, 50)}-`,
      labels: { 'app.kubernetes.io/instance': catalogRelease, 'app.kubernetes.io/managed-by': 'clara-wf', 'app.kubernetes.io/component': 'workflow-run', 'clara.nvidia.com/workflow': wf.id, 'clara.nvidia.com/job': job },
      annotations: { 'clara.nvidia.com/workflow-name': wf.name },
    },
    spec: { workflowTemplateRef: { name: template }, arguments: { parameters: [{ name: 'job', value: job }] }, activeDeadlineSeconds: runTimeout },
  };
  const created = (await cluster.call('submitting the Argo Workflow', () => api.createNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: cluster.namespace, plural: 'workflows', body }))) as { metadata?: { name?: string } };
  return created.metadata?.name ?? '';
}
