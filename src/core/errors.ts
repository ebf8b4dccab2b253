// Failure classes and the one mapping to exit codes (see README "Exit codes").
import type { Diagnostic } from './diagnostic.js';

export const ExitCode = {
  ok: 0,
  validation: 1,
  usage: 2,
  goldenDrift: 3,
  external: 4,
  stateDamaged: 5,
} as const;

/** Bad arguments, unknown names, unreadable or unparsable input: exit 2. */
export class UsageError extends Error {
  readonly exitCode = ExitCode.usage;
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[] = [],
    /** Text the diagnostics point into (file → text), for code frames. */
    readonly sources: ReadonlyMap<string, string> = new Map(),
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The input (or the result of an edit) does not validate: exit 1. */
export class ValidationFailed extends Error {
  readonly exitCode = ExitCode.validation;
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[] = [],
    readonly sources: ReadonlyMap<string, string> = new Map(),
  ) {
    super(message);
    this.name = 'ValidationFailed';
  }
}

/** Rendered output differs from golden/: exit 3. */
export class GoldenDrift extends Error {
  readonly exitCode = ExitCode.goldenDrift;
  constructor(message: string) {
    super(message);
    this.name = 'GoldenDrift';
  }
}

/** helm, docker or the cluster failed: exit 4. */
export class ExternalToolError extends Error {
  readonly exitCode = ExitCode.external;
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'ExternalToolError';
  }
}

/**
 * The DICOM gateway's state is damaged, lost, or cannot be written at start:
 * exit 5. The message names the file and the next step (free space, or
 * `clara-wf dicom recover`); nothing was deleted.
 */
export class StateDamaged extends Error {
  readonly exitCode = ExitCode.stateDamaged;
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly next = 'stop here; run clara-wf dicom recover --data <folder> (it moves the old state to quarantine/ and rebuilds it from the instance files\' own headers; nothing is deleted)',
  ) {
    super(`${file}: ${problem}; ${next}`);
    this.name = 'StateDamaged';
  }
}

export type KnownError = UsageError | ValidationFailed | GoldenDrift | ExternalToolError | StateDamaged;

export function isKnownError(e: unknown): e is KnownError {
  return e instanceof UsageError || e instanceof ValidationFailed || e instanceof GoldenDrift || e instanceof ExternalToolError || e instanceof StateDamaged;
}
