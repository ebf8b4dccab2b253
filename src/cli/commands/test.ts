// clara-wf test <workflow> [job-ID] [timeout]: run a workflow locally, as the
// seed's script did, with locks, logs, timeouts and clean kills.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import { findWorkflow } from '../../core/workflow.js';
import { planRun, stagesWithoutLocalCommand, type RunPlan } from '../../runner/plan.js';
import { lineReporter, summaryJson, ttyReporter, type Reporter } from '../../runner/progress.js';
import type { RunResult, StageState } from '../../runner/runner.js';
import type { StageRun } from '../../runner/runtime.js';
import { processRuntime } from '../../runner/process.js';
import { currentUser, dockerAvailable, dockerRuntime } from '../../runner/docker.js';
import { jobReleaseName } from '../../runner/jobs.js';
import type { Ctx } from '../context.js';
import { JOB_ID_RE } from '../render-chart.js';
import { checkClusterFlags, clusterRuntime, type ClusterFlags } from '../cluster.js';
import { requireValidValues } from '../values-file.js';
import { wholeNumber } from '../numbers.js';

interface Flags extends ClusterFlags {
  runtime?: 'process' | 'docker' | 'cluster' | 'argo';
  data?: string;
  force?: boolean;
  grace?: string;
  keep?: boolean;
}

/** Live table on a terminal, one line per event otherwise, nothing with --json or --quiet. */
function progressReporter(ctx: Ctx): Reporter | null {
  if (ctx.json || ctx.quiet) return null;
  const write = (s: string) => ctx.io.stderr.write(s);
  return ctx.io.stderr.isTTY ? ttyReporter(write, ctx.color) : lineReporter(write);
}

/** Run to the end; Ctrl-C (SIGINT) or SIGTERM aborts the run, which then ends cleanly. */
async function followRun(run: StageRun, reporter: Reporter | null): Promise<{ result: RunResult; interrupted: NodeJS.Signals | null }> {
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
  const runtime: 'process' | 'docker' = flags.runtime ?? ((await dockerAvailable(ctx.io.env)) ? 'docker' : 'process');
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
  const local = runtime === 'docker' ? dockerRuntime({ user: currentUser() }) : processRuntime;
  const run = await local.start(plan, {
    env: ctx.io.env,
    runTimeoutMs: runTimeout * 1000,
    graceMs: grace * 1000,
    onChange: (st, all) => reporter?.change(st, all),
  });
  const { result, interrupted } = await followRun(run, reporter);
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
      const tail = (await run.logs(s.name)).trimEnd();
      if (tail) for (const l of tail.split('\n').slice(-10)) ctx.err(`  | ${l}`);
    }
    ctx.err(`clara-wf: ${workflow.name} job ${jobId} failed${result.aborted ? `: ${result.aborted}` : ''}`);
  }
  return 1;
}

/** --runtime cluster: install a run-mode release, follow its Jobs, uninstall. */
async function testOnCluster(ctx: Ctx, plan: RunPlan, wf: { id: string; name: string }, runTimeout: number, flags: Flags, printJob: boolean, engine: 'jobs' | 'argo'): Promise<number> {
  checkClusterFlags(flags);
  // Jobs: a run-mode release of the chart. Argo: a Workflow from the catalog's
  // WorkflowTemplate, submitted through the API (no release per run).
  const { runtime, cluster, catalogRelease } = await clusterRuntime(ctx, flags, engine, (catalog) => jobReleaseName(catalog, plan.jobId));
  const release = jobReleaseName(catalogRelease, plan.jobId);
  if (printJob && !ctx.json) ctx.err(`job ${plan.jobId}`);
  ctx.info(`running ${wf.name} (${wf.id}) as job ${plan.jobId}: release ${release} in ${cluster.namespace} on ${cluster.server}`);
  const reporter = progressReporter(ctx);
  let latest: readonly StageState[] = [];
  const follow = {
    env: ctx.io.env,
    graceMs: 0,
    runTimeoutMs: runTimeout * 1000,
    onChange: (st: StageState, all: readonly StageState[]) => {
      latest = all;
      reporter?.change(st, all);
    },
  };
  const run = await runtime.start(plan, follow);
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
  const what = run.where;
  if (!flags.keep) {
    await run.remove().catch((e: Error) => ctx.err(`clara-wf: could not ${engine === 'argo' ? 'delete' : 'uninstall'} ${what}: ${e.message}`));
  } else if (engine === 'argo') ctx.info(`kept ${what} (--keep); remove it with kubectl delete ${what} -n ${cluster.namespace}`);
  else ctx.info(`kept ${what} (--keep); remove it with clara-wf uninstall --release ${release} -n ${cluster.namespace}`);
  if (ctx.json) ctx.printJson({ ...summaryJson(wf, plan.jobId, result), ...(engine === 'argo' ? { workflow: what.replace(/^workflow /, ''), release: catalogRelease } : { release }), namespace: cluster.namespace, logs: Object.fromEntries(logs) });
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
