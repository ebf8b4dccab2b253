// golden/ holds what the chart renders: the catalog, and a run of every
// workflow with a fixed job ID, for both engines (Jobs, and engine: argo). `check` compares and never creates; `update` rewrites.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeAtomic } from '../../adapters/files.js';
import { GoldenDrift } from '../../core/errors.js';
import type { Diagnostic } from '../../core/diagnostic.js';
import { compareGolden, type Drift } from '../../core/golden.js';
import { goldenHeader, splitManifests } from '../../core/manifests.js';
import { workflowsOf } from '../../core/model.js';
import type { Ctx } from '../context.js';
import { renderChart } from '../render-chart.js';
import { loadValues } from '../values-file.js';

/** The job ID golden runs use (the seed's example job ID). */
export const GOLDEN_JOB_ID = '11111111-1111-1111-1111-111111111111';
/** The dashboard token golden gateway renderings use. */
export const GOLDEN_TOKEN = 'golden-dashboard-token-0123456789';

interface Flags {
  goldenDir?: string;
  format?: string;
}

async function pool<T, R>(items: T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

/** Everything golden/ should hold: relative path → text. */
async function produce(ctx: Ctx): Promise<Map<string, string>> {
  const { values } = loadValues(ctx);
  // Both engines: the Jobs rendering (the default) and engine: argo.
  const runs = Object.entries(workflowsOf(values)).map(([id, w]) => ({ name: String(w?.name ?? id), workflow: id }));
  const ARGO = ['engine=argo', 'volume.nodeSelector.kubernetes\\.io/hostname=clara-node'];
  // The gateway on a shared claim, for each engine (a fixed token: a generated one differs every render).
  const GATEWAY = ['gateway.enabled=true', 'volume.type=persistentVolumeClaim', `gateway.dashboard.token=${GOLDEN_TOKEN}`];
  type Case = { name: string; workflow?: string; set: string[]; only?: string };
  const cases: Case[] = [
    { name: 'catalog', set: [] },
    ...runs.map((r) => ({ name: `run-${r.name}`, workflow: r.workflow, set: [] })),
    { name: 'argo-catalog', set: ARGO },
    ...runs.map((r) => ({ name: `argo-run-${r.name}`, workflow: r.workflow, set: ARGO })),
    { name: 'gateway', set: GATEWAY, only: 'gateway.yaml' },
    { name: 'argo-gateway', set: ['engine=argo', ...GATEWAY], only: 'gateway.yaml' },
  ];
  const rendered = await pool(cases, Math.max(2, os.availableParallelism?.() ?? 2), (c) => renderChart(ctx, { workflow: c.workflow, job: c.workflow ? GOLDEN_JOB_ID : undefined, ...(c.set.length ? { overlays: { set: c.set } } : {}) }));
  const files = new Map<string, string>();
  cases.forEach((c, i) => {
    for (const [file, text] of splitManifests(rendered[i] as string)) if (!c.only || file === c.only) files.set(`${c.name}/${file}`, goldenHeader(c.name) + text);
  });
  return files;
}

function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(path.relative(dir, p).split(path.sep).join('/'), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

export async function check(ctx: Ctx, flags: Flags): Promise<number> {
  const format = ctx.reportFormat(flags.format);
  const dir = path.resolve(ctx.io.cwd, flags.goldenDir ?? 'golden');
  const actual = await produce(ctx);
  const drift = compareGolden(readTree(dir), actual);
  const shown = ctx.display(dir);
  if (format === 'github' || format === 'sarif') {
    // Each drifted file as a diagnostic at its first changed line, for annotations and code scanning.
    const diagnostics = drift.map((d) => driftDiagnostic(d, shown));
    ctx.printReport(format, diagnostics, new Map(), { ok: !drift.length, okLine: `${shown}: ${actual.size} files match` });
    // In a CI log, the whole diff too (the annotations name only the first changed line).
    if (format === 'github') for (const d of drift) if (d.diff) ctx.err(shownDiff(d.diff, shown));
    if (drift.length) throw new GoldenDrift(driftMessage(drift.length, shown));
    return 0;
  }
  if (format === 'json') ctx.printJson({ ok: drift.length === 0, files: actual.size, drift });
  if (!drift.length) {
    if (!ctx.json) ctx.info(`${shown}: ${actual.size} files match`);
    return 0;
  }
  if (!ctx.json) {
    for (const d of drift) {
      if (d.kind === 'changed') ctx.out(shownDiff(d.diff as string, shown));
      else if (d.kind === 'missing') ctx.out(`${shown}/${d.file}: missing (the chart renders it; golden/ does not have it)`);
      else ctx.out(`${shown}/${d.file}: stale (nothing renders it any more)`);
    }
  }
  throw new GoldenDrift(driftMessage(drift.length, shown));
}

/** A drift's unified diff with the golden folder's name in its headers. */
const shownDiff = (diff: string, shown: string) => diff.replace(/^(---|\+\+\+) [ab]\//gm, `$1 ${shown}/`).trimEnd();

const driftMessage = (n: number, shown: string) =>
  `${n} golden file${n === 1 ? '' : 's'} differ${n === 1 ? 's' : ''} from what the chart renders; if the change is intended, run \`clara-wf golden update\` and commit ${shown}/`;

function driftDiagnostic(d: Drift, shown: string): Diagnostic {
  const file = `${shown}/${d.file}`;
  if (d.kind === 'missing') return { severity: 'error', code: 'GOLDEN_MISSING', message: `the chart renders ${d.file}; ${shown}/ does not have it (clara-wf golden update writes it)`, file, line: 0, column: 0, path: '' };
  if (d.kind === 'stale') return { severity: 'error', code: 'GOLDEN_STALE', message: `nothing renders ${d.file} any more (clara-wf golden update removes it)`, file, line: 1, column: 1, path: '' };
  // The first line the rendering changes: the hunk's start plus its leading context lines.
  const lines = (d.diff as string).split('\n');
  const hunk = lines.findIndex((l) => l.startsWith('@@'));
  const start = Number(/^@@ -(\d+)/.exec(lines[hunk] ?? '')?.[1] ?? 1);
  let line = Math.max(1, start);
  for (const l of lines.slice(hunk + 1)) {
    if (l.startsWith(' ')) line++;
    else break;
  }
  const removed = lines.slice(hunk + 1).find((l) => l.startsWith('-'));
  const added = lines.slice(hunk + 1).find((l) => l.startsWith('+'));
  const what = removed !== undefined && added !== undefined ? ` (${removed.slice(1).trim()} → ${added.slice(1).trim()})` : '';
  return { severity: 'error', code: 'GOLDEN_CHANGED', message: `what the chart renders differs from ${file}${what}; if intended, run clara-wf golden update and commit ${shown}/`, file, line, column: 1, path: '' };
}

export async function update(ctx: Ctx, flags: Flags): Promise<number> {
  const dir = path.resolve(ctx.io.cwd, flags.goldenDir ?? 'golden');
  const actual = await produce(ctx);
  const drift = compareGolden(readTree(dir), actual);
  for (const d of drift) {
    const target = path.join(dir, d.file);
    if (d.kind === 'stale') fs.rmSync(target);
    else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      writeAtomic(target, actual.get(d.file) as string);
    }
  }
  if (ctx.json) ctx.printJson({ ok: true, files: actual.size, written: drift.filter((d) => d.kind !== 'stale').map((d) => d.file), removed: drift.filter((d) => d.kind === 'stale').map((d) => d.file) });
  else ctx.info(`${ctx.display(dir)}: ${actual.size} files, ${drift.filter((d) => d.kind !== 'stale').length} written, ${drift.filter((d) => d.kind === 'stale').length} removed`);
  return 0;
}
