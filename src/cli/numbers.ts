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

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration flag: a whole number with a unit (ms, s, m, h, d), e.g. "24h", "90m"; milliseconds. */
export function duration(v: string | undefined, what: string, fallbackMs: number, maxMs = 366 * 86_400_000): number {
  if (v === undefined) return fallbackMs;
  const m = /^([0-9]{1,9})(ms|s|m|h|d)$/.exec(v);
  const ms = m ? Number(m[1]) * (DURATION_UNITS[m[2] as string] as number) : NaN;
  if (!(ms >= 0 && ms <= maxMs)) throw new UsageError(`${what} must be a whole number with a unit (ms, s, m, h or d), e.g. 24h or 90m, up to ${Math.round(maxMs / 86_400_000)} days, not "${v}"`);
  return ms;
}

const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };

/** A size flag: bytes with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB) or a percentage of `totalBytes`, e.g. "500MB", "5%". */
export function byteSize(v: string | undefined, what: string, fallback: string, totalBytes: number): number {
  const s = v ?? fallback;
  const pct = /^([0-9]{1,2}(?:\.[0-9]{1,2})?)%$/.exec(s);
  if (pct) return Math.round((Number(pct[1]) / 100) * totalBytes);
  const m = /^([0-9]{1,12})\s*([A-Za-z]{1,3})$/.exec(s);
  const unit = m ? SIZE_UNITS[(m[2] as string).toUpperCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`${what} must be a size with a unit (B, KB, MB, GB, KiB, MiB, GiB) or a percentage of the disk below 100, e.g. 500MB or 5%, not "${s}"`);
  return Number(m[1]) * unit;
}
