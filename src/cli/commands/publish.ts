// clara-wf publish <workflow> "<display name>" <dir>: the resolved workflow
// (as in the chart's catalog ConfigMap) plus its display name, as <dir>/<id>.json.
import fs from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../../adapters/files.js';
import { UsageError } from '../../core/errors.js';
import { GENERATED_MARKER } from '../../core/manifests.js';
import { catalogEntry, findWorkflow, resolveWorkflow } from '../../core/workflow.js';
import type { Ctx } from '../context.js';
import { requireValidValues, type Overlays } from '../values-file.js';

export function publish(ctx: Ctx, ref: string, displayName: string, dir: string, flags: { force?: boolean } & Overlays): number {
  const check = requireValidValues(ctx, 'nothing was published', flags);
  if (!displayName.trim()) throw new UsageError('the display name is empty');
  const { id, workflow } = findWorkflow(check.values, ref);
  const entry = catalogEntry(resolveWorkflow(check.values, id, workflow));
  const doc = sortKeys({ ...entry, displayName, generatedBy: `${GENERATED_MARKER} publish; do not edit` });
  const body = JSON.stringify(doc, null, 2) + '\n';
  const target = path.resolve(ctx.io.cwd, dir, `${id}.json`);
  let existing: string | undefined;
  try {
    existing = fs.readFileSync(target, 'utf8');
  } catch {
    existing = undefined;
  }
  let result: 'published' | 'unchanged' | 'updated' = 'published';
  if (existing === body) result = 'unchanged';
  else if (existing !== undefined) {
    let same = false;
    try {
      const { displayName: _d, generatedBy: _g, ...was } = JSON.parse(existing) as Record<string, unknown>;
      same = JSON.stringify(sortKeys(was)) === JSON.stringify(sortKeys(entry));
    } catch {
      same = false;
    }
    if (!same && !flags.force) {
      throw new UsageError(`${ctx.display(target)} already holds a different workflow under ID ${id}; pass --force to replace it`);
    }
    result = 'updated';
  }
  if (result !== 'unchanged') {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    writeAtomic(target, body);
  }
  if (ctx.json) ctx.printJson({ ok: true, id, file: ctx.display(target), result });
  else if (!ctx.quiet) ctx.out(`${workflow.name} (${id}) ${result}: ${ctx.display(target)}`);
  return 0;
}

/** Keys sorted at every level, as helm's toJson writes them. */
export function sortKeys(v: unknown): any {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}
