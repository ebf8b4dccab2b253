// Reading and editing the DICOM adapter configuration, checked against values.yaml.
import fs from 'node:fs';
import { readText } from '../adapters/files.js';
import { UsageError, ValidationFailed } from '../core/errors.js';
import { checkDicomConfig, type DicomCheck, type DicomConfig } from '../core/dicom-config.js';
import type { Values } from '../core/model.js';
import { readValues } from '../core/validate-values.js';
import type { Ctx } from './context.js';
import { guardedEdit, type EditMode } from './values-file.js';

export interface LoadedDicom {
  text: string;
  check: DicomCheck;
  config: DicomConfig;
  file: string;
}

/** values.yaml as data, for reference checks (null when it cannot be read or parsed). */
export function valuesForReferences(ctx: Ctx): Values | null {
  try {
    const text = fs.readFileSync(ctx.valuesFile, 'utf8');
    return readValues(text, ctx.display(ctx.valuesFile)).values;
  } catch {
    return null;
  }
}

export function loadDicomConfig(ctx: Ctx, values: Values | null = valuesForReferences(ctx)): LoadedDicom {
  const file = ctx.display(ctx.dicomConfigFile);
  const text = readText(ctx.dicomConfigFile, 'DICOM configuration');
  const check = checkDicomConfig(text, file, values, ctx.display(ctx.valuesFile));
  if (check.unparsable) throw new UsageError(`${file} is not valid YAML`, check.diagnostics, new Map([[file, text]]));
  return { text, check, config: (check.config ?? {}) as DicomConfig, file };
}

export function editDicomConfig(ctx: Ctx, edit: (loaded: LoadedDicom) => string, mode: EditMode = {}) {
  const values = valuesForReferences(ctx);
  const shown = ctx.display(ctx.dicomConfigFile);
  return guardedEdit(ctx.dicomConfigFile, shown, () => loadDicomConfig(ctx, values), (text) => checkDicomConfig(text, shown, values, ctx.display(ctx.valuesFile)), edit, mode);
}

/** The DICOM configuration, valid against `values` (the merged values where overlays are given), or an error. */
export function requireValidDicomConfig(ctx: Ctx, values: Values, consequence: string): DicomConfig {
  const df = ctx.display(ctx.dicomConfigFile);
  const dtext = readText(ctx.dicomConfigFile, 'DICOM configuration');
  const dicom = checkDicomConfig(dtext, df, values, ctx.display(ctx.valuesFile));
  if (dicom.unparsable) throw new UsageError(`${df} is not valid YAML; ${consequence}`, dicom.diagnostics, new Map([[df, dtext]]));
  if (!dicom.ok) throw new ValidationFailed(`${df} does not validate against the values; ${consequence}`, dicom.diagnostics.filter((d) => d.severity === 'error'), new Map([[df, dtext]]));
  return dicom.config as DicomConfig;
}
