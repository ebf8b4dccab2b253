// Whole-number flags and arguments (timeouts, ports, counts): one parser, so
// every command accepts and refuses the same way (exit 2, saying the range).
import { UsageError } from '../core/errors.js';

export interface Range {
  min: number;
  max: number;
  /** Printed after the number in messages, e.g. "seconds". */
  unit?: string;
}

/** `v` as a whole number in [min, max]; `fallback` when the flag was not given. */
export function wholeNumber(v: string | undefined, what: string, fallback: number, range: Range): number {
  if (v === undefined) return fallback;
  const n = /^[0-9]{1,9}$/.test(v) ? Number(v) : NaN;
  if (!(n >= range.min && n <= range.max)) {
    const unit = range.unit ? ` ${range.unit}` : '';
    throw new UsageError(`${what} must be a whole number${unit} from ${range.min} to ${range.max}, not "${v}"`);
  }
  return n;
}
