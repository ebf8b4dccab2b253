// Render the chart with the real helm. Validation runs while helm works
// (neither waits for the other); an invalid values file stops helm and nothing is printed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkHelmVersion, helmFailed, locateHelm, startHelm, type HelmLocation } from '../adapters/helm.js';
import { readPackageText } from '../adapters/package-files.js';
import { UsageError } from '../core/errors.js';
import type { Ctx } from './context.js';
import { overlayHelmArgs, type Overlays } from './values-file.js';

export interface RenderRequest {
  workflow?: string;
  job?: string;
  /** -f files and --set values on top of the values file. */
  overlays?: Overlays;
  showOnly?: string[];
  release?: string;
  namespace?: string;
}

/**
 * Nice 19 for every thread of this process. Linux sets a nice value per
 * thread, and V8's GC and compiler threads exist before any of our code runs;
 * threads started later inherit it from the main thread.
 */
function lowerPriority(): void {
  let threads: number[] = [0];
  try {
    threads = fs.readdirSync('/proc/self/task').map(Number);
  } catch {
    /* no /proc: the main thread only */
  }
  for (const tid of threads) {
    try {
      os.setPriority(tid, 19);
    } catch {
      /* not permitted, or the thread has ended: fine */
    }
  }
}

/**
 * The chart as helm should read it for render. helm checks the values against
 * the chart's values.schema.json, the very schema clara-wf checks the merged
 * values against before anything is printed (generated/values.schema.json,
 * which `schema --check` keeps equal to the chart's): on 2,000 workflows that
 * second pass is a quarter of helm template's time. When the chart's file is
 * exactly ours, helm renders a copy of the chart without it (the manifests are
 * byte for byte the same); a chart with any other schema keeps helm's pass.
 */
function chartForHelm(chartDir: string): { dir: string; cleanup(): void } {
  const same = { dir: chartDir, cleanup: () => {} };
  const schemaFile = path.join(chartDir, 'values.schema.json');
  let have: string;
  try {
    have = fs.readFileSync(schemaFile, 'utf8');
  } catch {
    return same;
  }
  if (have !== readPackageText('generated', 'values.schema.json')) return same;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clara-wf-render-'));
  const dir = path.join(tmp, path.basename(chartDir));
  try {
    fs.cpSync(chartDir, dir, { recursive: true, filter: (src) => src !== schemaFile });
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true });
    return same;
  }
  return { dir, cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }) };
}

export const JOB_ID_RE = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/;

export function helmTemplateArgs(ctx: Ctx, req: RenderRequest, chartDir = ctx.chartDir): string[] {
  const args = ['template', req.release ?? 'clara-workflow', chartDir];
  if (req.namespace) args.push('--namespace', req.namespace);
  args.push(...overlayHelmArgs(ctx, req.overlays ?? {}));
  if (req.workflow) args.push('--set-string', `job.workflow=${req.workflow}`, '--set-string', `job.id=${req.job}`);
  for (const t of req.showOnly ?? []) args.push('--show-only', t.includes('/') ? t : `templates/${t}`);
  return args;
}

export function checkRunRequest(req: RenderRequest): void {
  if (!!req.workflow !== !!req.job) throw new UsageError('--workflow and --job go together: run mode renders one job of one workflow');
  if (req.job && !JOB_ID_RE.test(req.job)) throw new UsageError(`--job "${req.job}" must be a lowercase UUID or DNS label of at most 40 characters`);
}

/**
 * helm template, with clara-wf validation alongside. Returns the manifests, or
 * with `stream`, sends them there once validation has passed and helm has
 * finished (and returns ""). helm writes to a temp file, never waiting on us.
 */
export async function renderChart(ctx: Ctx, req: RenderRequest, stream?: (chunk: Buffer) => void): Promise<string> {
  checkRunRequest(req);
  const env = ctx.io.env;
  const loc = locateHelm(env);
  const version = checkHelmVersion(loc, env);
  const chart = chartForHelm(ctx.chartDir);
  try {
    return await renderWith(ctx, req, chart.dir, loc, version, stream);
  } finally {
    chart.cleanup();
  }
}

async function renderWith(ctx: Ctx, req: RenderRequest, chartDir: string, loc: HelmLocation, version: Promise<string>, stream?: (chunk: Buffer) => void): Promise<string> {
  const run = startHelm(loc.bin, helmTemplateArgs(ctx, req, chartDir), { env: ctx.io.env, cwd: ctx.io.cwd, stdoutFile: true });
  // helm is the long pole and keeps both cores busy on a big chart: validating
  // at normal priority slowed it by ~0.2 s (2,000 workflows: validation ~0.3 s,
  // helm ~1.5 s). At the lowest priority validation fills helm's idle gaps.
  lowerPriority();
  try {
    // Loaded after helm has started: the parser and rules are not on helm's path.
    const [{ requireValidValues }, { findWorkflow }] = await Promise.all([import('./values-file.js'), import('../core/workflow.js')]);
    const { values } = requireValidValues(ctx, 'nothing was rendered', req.overlays, { helm: true });
    if (req.workflow) findWorkflow(values, req.workflow);
  } catch (e) {
    run.child.kill('SIGTERM');
    await Promise.allSettled([version, run.done]);
    run.discard();
    throw e;
  }
  await version.catch((e) => {
    run.discard();
    throw e;
  });
  const r = await run.done;
  if (r.code !== 0) {
    run.discard();
    helmFailed('helm template', r);
  }
  return run.readOutput(stream);
}
