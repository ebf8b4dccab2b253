import fs from 'node:fs';
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

  if (ctx.dicomConfigExplicit || fs.existsSync(ctx.dicomConfigFile)) {
    const dicomText = read(ctx.dicomConfigFile, 'DICOM configuration');
    if (dicomText !== null) {
      const dicom = checkDicomConfig(dicomText, ctx.display(ctx.dicomConfigFile), effective, ctx.display(ctx.valuesFile));
      diagnostics.push(...dicom.diagnostics);
      if (dicom.unparsable) unreadable = true;
    }
  } else if (fs.existsSync(ctx.chartDir)) {
    // Only a chart that lacks the file is worth a warning (not a values file checked on its own).
    diagnostics.push({ severity: 'warning', code: 'DICOM_CONFIG_MISSING', message: `${ctx.display(ctx.dicomConfigFile)} does not exist; the chart renders its DICOM ConfigMap from it, so rendering will fail`, file: ctx.display(ctx.dicomConfigFile), line: 0, column: 0, path: '' });
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
