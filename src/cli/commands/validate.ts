import { UsageError } from '../../core/errors.js';
import { hasErrors, type Diagnostic } from '../../core/diagnostic.js';
import { checkValues } from '../../core/validate-values.js';
import { readText } from '../../adapters/files.js';
import type { Ctx } from '../context.js';

export function validate(ctx: Ctx, opts: { strict?: boolean }): number {
  const file = ctx.display(ctx.valuesFile);
  let text: string;
  try {
    text = readText(ctx.valuesFile, 'values file');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const d: Diagnostic = { severity: 'error', code: 'FILE_UNREADABLE', message: e.message, file, line: 0, column: 0, path: '' };
    report(ctx, [d], '');
    return 2;
  }
  const check = checkValues(text, file);
  const diagnostics = opts.strict ? check.diagnostics.map((d) => ({ ...d, severity: 'error' as const })) : check.diagnostics;
  report(ctx, diagnostics, text);
  if (check.unparsable) return 2;
  return hasErrors(diagnostics) ? 1 : 0;
}

function report(ctx: Ctx, diagnostics: Diagnostic[], text: string): void {
  const ok = !hasErrors(diagnostics);
  if (ctx.json) {
    ctx.io.stdout.write(JSON.stringify({ ok, diagnostics: ctx.diagnosticsJson(diagnostics) }) + '\n');
    return;
  }
  const file = ctx.display(ctx.valuesFile);
  ctx.printDiagnostics(diagnostics, new Map([[file, text]]));
  if (ok && !ctx.quiet) ctx.err(`${file}: ok${diagnostics.length ? ` (${diagnostics.length} warning${diagnostics.length === 1 ? '' : 's'})` : ''}`);
}
