// The size and duration flags of dicom serve (--min-free, --export-retry-for):
// what they accept, and the message for what they refuse.
import { describe, expect, it } from 'vitest';
import { byteSize, duration } from '../src/cli/numbers.js';

describe('duration flags', () => {
  it('take a whole number with a unit', () => {
    expect(duration('24h', '--x', 0)).toBe(86_400_000);
    expect(duration('90m', '--x', 0)).toBe(5_400_000);
    expect(duration('0s', '--x', 7)).toBe(0);
    expect(duration('250ms', '--x', 0)).toBe(250);
    expect(duration(undefined, '--x', 7)).toBe(7);
  });
  it('refuse a bare number, a fraction or a year, saying the form', () => {
    for (const bad of ['24', '1.5h', '2w', '-1h', '400d']) expect(() => duration(bad, '--export-retry-for', 0)).toThrow(/--export-retry-for must be a whole number with a unit \(ms, s, m, h or d\)/);
  });
});

describe('size flags', () => {
  it('take bytes with a unit or a percentage of the disk', () => {
    expect(byteSize('500MB', '--x', '0B', 0)).toBe(500e6);
    expect(byteSize('2GiB', '--x', '0B', 0)).toBe(2 * 2 ** 30);
    expect(byteSize('0B', '--x', '1MB', 0)).toBe(0);
    expect(byteSize('5%', '--x', '0B', 1e9)).toBe(5e7);
    expect(byteSize(undefined, '--x', '1KiB', 0)).toBe(1024);
  });
  it('refuse a bare number, an unknown unit or 100 % and more', () => {
    for (const bad of ['500', '5 parsecs', '100%', '12XB', '']) expect(() => byteSize(bad, '--min-free', '0B', 1e9)).toThrow(/--min-free must be a size with a unit/);
  });
});
