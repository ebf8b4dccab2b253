// Entry point: argv + streams in, exit code out. The one place that maps
// failures to exit codes (0 ok, 1 validation, 2 usage, 3 golden drift, 4 helm/cluster).
import { CommanderError } from 'commander';
import { isKnownError, UsageError } from '../core/errors.js';
import { Ctx, type Io } from './context.js';
import { buildProgram } from './program.js';

export const INTERNAL_ERROR = 70;

export async function main(argv: string[], io: Io): Promise<number> {
  let ctx = new Ctx(io, {});
  let exitCode = 0;
  const program = buildProgram(io, {
    setContext: (c) => (ctx = c),
    setExitCode: (c) => (exitCode = c),
  });
  try {
    // `--values` before the command meant "instead of values.yaml" in earlier
    // versions; it is helm's overlay flag now, and given per command.
    const command = argv.findIndex((a) => program.commands.some((c) => c.name() === a));
    const legacy = argv.findIndex((a) => a === '--values' || a.startsWith('--values='));
    if (legacy >= 0 && (command < 0 || legacy < command)) {
      throw new UsageError('--values is helm\'s overlay flag now, given after the command (clara-wf render -f extra.yaml); to read or edit another file instead of <chart>/values.yaml, use --values-file <file>');
    }
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are "errors" under exitOverride; everything else is a usage error.
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    if (isKnownError(e)) {
      const diagnostics = 'diagnostics' in e ? e.diagnostics : [];
      const noChart = command(argv) === 'init' ? undefined : ctx.noChartHint();
      if (ctx.json) {
        ctx.printJson({ ok: false, error: { kind: e.name, message: e.message, ...('detail' in e && e.detail ? { detail: e.detail } : {}), ...(noChart ? { hint: noChart } : {}) }, diagnostics: ctx.diagnosticsJson(diagnostics) });
      } else {
        if (diagnostics.length) ctx.printDiagnostics(diagnostics, sourcesOf(e));
        ctx.err(`clara-wf: ${e.message}`);
        if ('detail' in e && e.detail) ctx.err(e.detail);
        if (noChart) ctx.err(`hint: ${noChart}`);
      }
      if (ctx.debug && e.stack) ctx.err(e.stack);
      return e.exitCode;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    ctx.err(`clara-wf: internal error: ${err.message}`);
    ctx.err(err.stack ?? '');
    ctx.err('This is a bug in clara-wf. Please report it with the command you ran.');
    return INTERNAL_ERROR;
  }
}

/** The command word of argv (the first that is not an option). */
const command = (argv: string[]) => argv.find((a) => !a.startsWith('-'));

/** Errors may carry the text their diagnostics point into, for code frames. */
function sourcesOf(e: unknown): ReadonlyMap<string, string> {
  const s = (e as { sources?: ReadonlyMap<string, string> }).sources;
  return s instanceof Map ? s : new Map();
}
