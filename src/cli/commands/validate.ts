import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import { hasErrors, type Diagnostic } from '../../core/diagnostic.js';
import { checkDicomConfig } from '../../core/dicom-config.js';
import { checkValues } from '../../core/validate-values.js';
import { checkMergedValues, type ValuesLayer } from '../../core/validate-merged.js';
import type { Values } from '../../core/model.js';
import { setFileReader, valuesLayers, type Overlays } from '../values-file.js';
import { readText } from '../../adapters/files.js';
import type { Ctx } from '../context.js';

/** values.yaml, then the DICOM adapter configuration (which refers to it). */
export function validate(ctx: Ctx, opts: { strict?: boolean; format?: string } & Overlays): number {
  const format = ctx.reportFormat(opts.format);
  const sources = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  let unreadable = false;
  const read = (file: string, what: string): string | null => {
    try {
      const text = readText(file, what);
      sources.set(ctx.display(file), text);
      return text;
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      const hint = ctx.noChartHint();
      diagnostics.push({ severity: 'error', code: 'FILE_UNREADABLE', message: e.message, ...(hint ? { hint } : {}), file: ctx.display(file), line: 0, column: 0, path: '' });
      unreadable = true;
      return null;
    }
  };

  const valuesText = read(ctx.valuesFile, 'values file');
  const values = valuesText === null ? null : checkValues(valuesText, ctx.display(ctx.valuesFile));
  if (values) {
    diagnostics.push(...values.diagnostics);
    if (values.unparsable) unreadable = true;
  }
  // With -f / --set: also the values helm would install, as install and render check them.
  let effective = values?.values ?? null;
  let layers: ValuesLayer[] = [];
  try {
    layers = valuesLayers(ctx, opts);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    diagnostics.push({ severity: 'error', code: 'FILE_UNREADABLE', message: e.message, file: '', line: 0, column: 0, path: '' });
    unreadable = true;
  }
  if (values && !values.unparsable && values.yaml && layers.length) {
    const merged = checkMergedValues({ values: values.values as Values, yaml: values.yaml, file: ctx.display(ctx.valuesFile), text: valuesText as string }, layers, setFileReader(ctx));
    for (const [f, t] of merged.sources) sources.set(f, t);
    const seen = new Set(diagnostics.map(key));
    diagnostics.push(...merged.diagnostics.filter((d) => !seen.has(key(d))));
    if (merged.unparsable) unreadable = true;
    effective = merged.values ?? effective;
  }

  // The file the chart renders its DICOM ConfigMap from: dicomConfigFile in the values (templates/dicom-config.yaml), unless --dicom-config says.
  const configured = (effective as { dicomConfigFile?: unknown } | null)?.dicomConfigFile;
  const dicomFile = ctx.dicomConfigExplicit || typeof configured !== 'string' || !configured ? ctx.dicomConfigFile : path.resolve(ctx.chartDir, configured);
  const runMode = !!(effective as { job?: { workflow?: unknown } } | null)?.job?.workflow;
  if (ctx.dicomConfigExplicit || (fs.existsSync(dicomFile) && fs.statSync(dicomFile).size > 0)) {
    const dicomText = read(dicomFile, 'DICOM configuration');
    if (dicomText !== null) {
      const dicom = checkDicomConfig(dicomText, ctx.display(dicomFile), effective, ctx.display(ctx.valuesFile));
      diagnostics.push(...dicom.diagnostics);
      if (dicom.unparsable) unreadable = true;
    }
  } else if (fs.existsSync(ctx.chartDir) && !runMode) {
    // Only a chart that lacks the file (not a values file checked on its own); helm's guard fails on it in catalog mode.
    diagnostics.push({ severity: 'error', code: 'DICOM_CONFIG_MISSING', message: `${ctx.display(dicomFile)} ${fs.existsSync(dicomFile) ? 'is empty' : 'does not exist'}; the chart renders its DICOM ConfigMap from it (dicomConfigFile), so helm fails`, hint: 'restore it (clara-wf init writes one in a new folder), or point dicomConfigFile at the chart file that holds it', file: ctx.display(dicomFile), line: 0, column: 0, path: '' });
  }

  const shown = opts.strict ? diagnostics.map((d) => ({ ...d, severity: 'error' as const })) : diagnostics;
  const ok = !hasErrors(shown);
  const files = [...sources.keys()].join(', ');
  const warnings = shown.length;
  ctx.printReport(format, shown, sources, { ok, okLine: `${files}: ok${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}` });
  if (unreadable) return 2;
  return ok ? 0 : 1;
}

const key = (d: Diagnostic) => `${d.file}:${d.line}:${d.column}:${d.code}:${d.message}`;
