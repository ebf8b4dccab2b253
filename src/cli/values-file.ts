import fs from 'node:fs';
// Reading and editing the values file: parse once, edit under the lock, write
// only a result that validates, atomically.
import path from 'node:path';
import { readText, withFileLock, writeAtomic } from '../adapters/files.js';
import type { Diagnostic } from '../core/diagnostic.js';
import { UsageError, ValidationFailed } from '../core/errors.js';
import type { Values } from '../core/model.js';
import { checkValues, readValues, type ValuesCheck } from '../core/validate-values.js';
import { checkMergedValues, type ValuesLayer } from '../core/validate-merged.js';
import type { Ctx } from './context.js';

export interface LoadedValues {
  text: string;
  check: ValuesCheck;
  values: Values;
  file: string;
}

/**
 * Read and fully check the values file before a command acts on it: a file
 * that is not YAML is a usage error (exit 2), one with errors a validation
 * failure (exit 1). `consequence` says what did not happen ("nothing was run").
 */
export function requireValidValues(ctx: Ctx, consequence: string, overlays: Overlays = {}, use: { helm?: boolean } = {}): ValuesCheck & { values: Values; text: string; file: string } {
  const file = ctx.display(ctx.valuesFile);
  const text = readText(ctx.valuesFile, 'values file');
  const check = checkValues(text, file);
  refuseInvalid(check, `${file} does not validate; ${consequence}`, new Map([[file, text]]));
  const overlayLayers = valuesLayers(ctx, overlays);
  const count = (n: number) => `${n} overlay${n === 1 ? '' : 's'}`;
  // What helm will install: a base file with the -f files and --set values on top.
  let base = { check, file, text };
  let layers = overlayLayers;
  let what = `${file} with ${count(layers.length)}`;
  const chartValues = path.resolve(ctx.chartDir, 'values.yaml');
  if (use.helm && path.resolve(ctx.valuesFile) !== chartValues && fs.existsSync(chartValues)) {
    // helm reads the chart's own values.yaml whatever we say: a --values-file
    // is one more layer on top of it (overlayHelmArgs), so check that merge.
    const chartFile = ctx.display(chartValues);
    const chartText = readText(chartValues, 'values file');
    const chartCheck = checkValues(chartText, chartFile);
    refuseInvalid(chartCheck, `${chartFile} (which helm reads under --values-file ${file}) does not validate; ${consequence}`, new Map([[chartFile, chartText]]));
    base = { check: chartCheck, file: chartFile, text: chartText };
    layers = [{ kind: 'file', file, text }, ...overlayLayers];
    what = `${chartFile} with ${file}${overlayLayers.length ? ` and ${count(overlayLayers.length)}` : ''}`;
  }
  if (!layers.length) return { ...check, values: check.values as Values, text, file };
  const merged = checkMergedValues({ values: base.check.values as Values, yaml: base.check.yaml!, file: base.file, text: base.text }, layers, setFileReader(ctx));
  refuseInvalid(merged, `the values helm would install (${what}) do not validate; ${consequence}`, merged.sources);
  return { ...base.check, values: merged.values as Values, diagnostics: merged.diagnostics, text, file };
}

/** Unparsable: a usage error (exit 2); with errors: a validation failure (exit 1). */
function refuseInvalid(check: { ok: boolean; unparsable: boolean; diagnostics: Diagnostic[] }, message: string, sources: Map<string, string>): void {
  if (check.ok) return;
  const E = check.unparsable ? UsageError : ValidationFailed;
  throw new E(message, check.diagnostics.filter((d) => d.severity === 'error'), sources);
}

/** -f files and --set / --set-string values, as helm takes them. */
export interface Overlays {
  /** -f/--values files (and --file, the earlier name). */
  values?: string[];
  file?: string[];
  set?: string[];
  setString?: string[];
  setJson?: string[];
  setFile?: string[];
}

const overlayFiles = (o: Overlays) => [...(o.values ?? []), ...(o.file ?? [])];

export function valuesLayers(ctx: Ctx, o: Overlays): ValuesLayer[] {
  return [
    ...overlayFiles(o).map((f): ValuesLayer => ({ kind: 'file', file: ctx.display(path.resolve(ctx.io.cwd, f)), text: readText(path.resolve(ctx.io.cwd, f), 'values file') })),
    ...(o.set ?? []).map((arg): ValuesLayer => ({ kind: 'set', arg })),
    ...(o.setString ?? []).map((arg): ValuesLayer => ({ kind: 'set-string', arg })),
    ...(o.setJson ?? []).map((arg): ValuesLayer => ({ kind: 'set-json', arg })),
    ...(o.setFile ?? []).map((arg): ValuesLayer => ({ kind: 'set-file', arg })),
  ];
}

/** How --set-file reads its files: relative to the working folder, unreadable is a usage error. */
export const setFileReader = (ctx: Ctx) => (p: string) => readText(path.resolve(ctx.io.cwd, p), '--set-file file');

/**
 * The values helm gets: a --values-file other than the chart's values.yaml
 * (helm reads that one anyway, so the file is layered on top), then the
 * overlays as helm arguments.
 */
export function overlayHelmArgs(ctx: Ctx, o: Overlays): string[] {
  return [
    ...(path.resolve(ctx.valuesFile) !== path.resolve(ctx.chartDir, 'values.yaml') ? ['--values', ctx.valuesFile] : []),
    ...overlayFiles(o).flatMap((f) => ['--values', path.resolve(ctx.io.cwd, f)]),
    ...(o.setJson ?? []).flatMap((s) => ['--set-json', s]),
    ...(o.set ?? []).flatMap((s) => ['--set', s]),
    ...(o.setString ?? []).flatMap((s) => ['--set-string', s]),
    ...(o.setFile ?? []).flatMap((s) => ['--set-file', s]),
  ];
}

/**
 * Read and parse; a file that is not YAML is a usage error (exit 2) with its
 * diagnostic. Rules are not run (`validate` does that; edits check their result).
 */
export function loadValues(ctx: Ctx): LoadedValues {
  const file = ctx.display(ctx.valuesFile);
  const text = readText(ctx.valuesFile, 'values file');
  const check = readValues(text, file);
  if (check.unparsable) throw new UsageError(`${file} is not valid YAML`, check.diagnostics, new Map([[file, text]]));
  return { text, check, values: (check.values ?? {}) as Values, file };
}

export interface EditOutcome {
  changed: boolean;
  text: string;
  before: LoadedValues;
  /** The full check of the written text (undefined when nothing changed). */
  after?: ValuesCheck;
}

interface Checked {
  ok: boolean;
  diagnostics: import('../core/diagnostic.js').Diagnostic[];
}

/**
 * The one edit path for every file clara-wf writes: under the file's lock,
 * read, edit, check the result (no errors, or nothing is written), write
 * atomically. An unchanged result writes nothing.
 */
export async function guardedEdit<L extends { text: string }, C extends Checked>(
  file: string,
  shown: string,
  load: () => L,
  check: (text: string) => C,
  edit: (loaded: L) => string,
): Promise<{ changed: boolean; text: string; before: L; after?: C }> {
  return withFileLock(file, () => {
    const before = load();
    const text = edit(before);
    if (text === before.text) return { changed: false, text, before };
    const after = check(text);
    if (!after.ok) {
      const errors = after.diagnostics.filter((d) => d.severity === 'error');
      // Say whether the file was broken before this edit (only worth checking now).
      const preexisting = !check(before.text).ok;
      throw new ValidationFailed(
        preexisting
          ? `${shown} has errors already; fix them (clara-wf validate) before editing. Nothing was written.`
          : `the edit would leave ${shown} invalid (lines above refer to the edited text). Nothing was written.`,
        errors,
        new Map([[shown, text]]),
      );
    }
    writeAtomic(file, text);
    return { changed: true, text, before, after };
  });
}

/** Apply `edit` to the values file (see guardedEdit). */
export function editValues(ctx: Ctx, edit: (loaded: LoadedValues) => string): Promise<EditOutcome> {
  const shown = ctx.display(ctx.valuesFile);
  return guardedEdit(ctx.valuesFile, shown, () => loadValues(ctx), (text) => checkValues(text, shown), edit);
}
