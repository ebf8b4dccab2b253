// Reading and editing the values file: parse once, edit under the lock, write
// only a result that validates, atomically.
import { readText, withFileLock, writeAtomic } from '../adapters/files.js';
import { UsageError, ValidationFailed } from '../core/errors.js';
import type { Values } from '../core/model.js';
import { checkValues, readValues, type ValuesCheck } from '../core/validate-values.js';
import type { Ctx } from './context.js';

export interface LoadedValues {
  text: string;
  check: ValuesCheck;
  values: Values;
  file: string;
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

/**
 * Apply `edit` to the values file under its lock. The new text must validate
 * (no errors) or nothing is written; an unchanged result writes nothing.
 */
export async function editValues(ctx: Ctx, edit: (loaded: LoadedValues) => string): Promise<EditOutcome> {
  return withFileLock(ctx.valuesFile, () => {
    const before = loadValues(ctx);
    const text = edit(before);
    if (text === before.text) return { changed: false, text, before };
    const after = checkValues(text, before.file);
    if (!after.ok) {
      const errors = after.diagnostics.filter((d) => d.severity === 'error');
      // Say whether the file was broken before this edit (only worth checking now).
      const preexisting = !checkValues(before.text, before.file).ok;
      throw new ValidationFailed(
        preexisting
          ? `${before.file} has errors already; fix them (clara-wf validate) before editing. Nothing was written.`
          : `the edit would leave ${before.file} invalid (lines above refer to the edited text). Nothing was written.`,
        errors,
        new Map([[before.file, text]]),
      );
    }
    writeAtomic(ctx.valuesFile, text);
    return { changed: true, text, before, after };
  });
}
