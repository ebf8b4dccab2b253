import fs from 'node:fs';
// Reading and editing the values file: parse once, edit under the lock, write
// only a result that validates, atomically.
import path from 'node:path';
import { readText, withFileLock, writeAtomic } from '../adapters/files.js';
import { pointer, type Diagnostic } from '../core/diagnostic.js';
import { checkDicomConfig, type DicomConfig, type WorkflowMapping } from '../core/dicom-config.js';
import { removeSequenceItems } from '../core/yaml-edit.js';
import { parseYaml } from '../core/yaml-source.js';
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

/** Errors of `after` that `before` did not have (by code, place in the data and message; lines move with an edit). */
export function newErrors(before: readonly Diagnostic[], after: readonly Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic) => `${d.file}\0${d.code}\0${d.path}\0${d.message}`;
  const had = new Set(before.filter((d) => d.severity === 'error').map(key));
  return after.filter((d) => d.severity === 'error' && !had.has(key(d)));
}

export interface EditMode {
  /**
   * A repair (removing a stage, a workflow, a mapping, an AE title) runs on a
   * file that has errors already, as long as its result has no new ones: a
   * user must be able to undo with clara-wf what broke the chart.
   */
  repair?: boolean;
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
  mode: EditMode = {},
): Promise<{ changed: boolean; text: string; before: L; after?: C }> {
  return withFileLock(file, () => {
    const before = load();
    const text = edit(before);
    if (text === before.text) return { changed: false, text, before };
    const after = check(text);
    refuseBrokenResult(shown, text, after, () => check(before.text), mode);
    writeAtomic(file, text);
    return { changed: true, text, before, after };
  });
}

/** Throw unless `after` may be written: no errors, or (a repair) none that `before` did not have. */
function refuseBrokenResult(shown: string, text: string, after: Checked, checkBefore: () => Checked, mode: EditMode): void {
  if (after.ok) return;
  // Whether the file was broken before this edit is only worth checking now.
  const before = checkBefore();
  const added = mode.repair ? newErrors(before.diagnostics, after.diagnostics) : after.diagnostics.filter((d) => d.severity === 'error');
  if (!added.length) return;
  const preexisting = !before.ok && !mode.repair;
  throw new ValidationFailed(
    preexisting
      ? `${shown} has errors already; fix them (clara-wf validate) before editing. Nothing was written.`
      : `the edit would leave ${shown} invalid (lines above refer to the edited text). Nothing was written.`,
    added,
    new Map([[shown, text]]),
  );
}

/** Apply `edit` to the values file (see guardedEdit). */
export function editValues(ctx: Ctx, edit: (loaded: LoadedValues) => string, mode: EditMode = {}): Promise<EditOutcome> {
  const shown = ctx.display(ctx.valuesFile);
  return guardedEdit(ctx.valuesFile, shown, () => loadValues(ctx), (text) => checkValues(text, shown), edit, mode);
}

/** What a removal from values.yaml does: the new text, and the workflows it took away. */
export interface Removal {
  text: string;
  workflowIds: string[];
}

/**
 * A removal from values.yaml together with the DICOM mappings that name the
 * workflows it removes, so neither file is left pointing at what is gone.
 * Both files are locked, both results checked (a repair: no new errors), the
 * DICOM configuration written first and put back if values.yaml cannot be.
 * `mappings` sees the mappings that would go, to refuse or list them.
 */
export async function removeWithMappings(ctx: Ctx, edit: (loaded: LoadedValues) => Removal, mappings: (names: WorkflowMapping[]) => void): Promise<EditOutcome & { mappingsRemoved: WorkflowMapping[] }> {
  const shown = ctx.display(ctx.valuesFile);
  const dicomShown = ctx.display(ctx.dicomConfigFile);
  const hasDicom = fs.existsSync(ctx.dicomConfigFile);
  const underDicomLock = <T>(fn: () => T) => (hasDicom ? withFileLock(ctx.dicomConfigFile, fn) : fn());
  return withFileLock(ctx.valuesFile, () =>
    underDicomLock(() => {
      const before = loadValues(ctx);
      const removal = edit(before);
      if (removal.text === before.text) return { changed: false, text: removal.text, before, mappingsRemoved: [] };
      const after = checkValues(removal.text, shown);
      refuseBrokenResult(shown, removal.text, after, () => checkValues(before.text, shown), { repair: true });

      let dicomBefore: string | undefined;
      let dicomAfter: string | undefined;
      let gone: WorkflowMapping[] = [];
      if (hasDicom) {
        dicomBefore = readText(ctx.dicomConfigFile, 'DICOM configuration');
        const parsed = parseYaml(dicomBefore, dicomShown);
        if (parsed.ok) {
          const config = parsed.yaml.data as DicomConfig;
          const all = Array.isArray(config?.workflows) ? config.workflows : [];
          const doomed = all.map((m, i) => ({ m, i })).filter(({ m }) => removal.workflowIds.includes(String(m?.workflow ?? '')));
          gone = doomed.map((d) => d.m);
          mappings(gone);
          const out = removeSequenceItems(dicomBefore, dicomShown, pointer('workflows'), doomed.map((d) => d.i));
          if (out !== dicomBefore) {
            const newValues = after.values as Values | null;
            const checkDicom = (t: string, v: Values | null) => checkDicomConfig(t, dicomShown, v, shown);
            refuseBrokenResult(dicomShown, out, checkDicom(out, newValues), () => checkDicom(dicomBefore as string, before.check.values as Values | null), { repair: true });
            dicomAfter = out;
          }
        } else mappings([]);
      } else mappings([]);

      if (dicomAfter !== undefined) writeAtomic(ctx.dicomConfigFile, dicomAfter);
      try {
        writeAtomic(ctx.valuesFile, removal.text);
      } catch (e) {
        if (dicomAfter !== undefined) writeAtomic(ctx.dicomConfigFile, dicomBefore as string);
        throw e;
      }
      return { changed: true, text: removal.text, before, after, mappingsRemoved: gone };
    }),
  );
}
