// One defect per file under test/fixtures/invalid; the first line says which
// code, line and exit code `clara-wf validate` must report.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkValues } from '../src/core/validate-values.js';
import { cli, expectation, fixture } from './helpers.js';

const dir = fixture('invalid');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

describe('bad-input corpus', () => {
  it('has at least 40 one-defect files', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  it.each(files)('%s', (name) => {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    const want = expectation(text);
    const check = checkValues(text, name);
    expect(check.ok).toBe(false);
    const errors = check.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${d.code}@${d.line}`)).toContain(`${want.code}@${want.line}`);
    expect(check.unparsable ? 2 : 1).toBe(want.exit);
    for (const d of check.diagnostics) {
      expect(d.line).toBeGreaterThan(0);
      expect(d.column).toBeGreaterThan(0);
      expect(d.message.length).toBeGreaterThan(10);
    }
  });

  it('validate --json prints the documented shape and exit code for each', async () => {
    for (const name of files.slice(0, 12)) {
      const file = path.join(dir, name);
      const want = expectation(fs.readFileSync(file, 'utf8'));
      const r = await cli(['--values-file', file, 'validate', '--json']);
      expect(r.code).toBe(want.exit);
      const out = JSON.parse(r.stdout);
      expect(Object.keys(out)).toEqual(['ok', 'diagnostics']);
      expect(out.ok).toBe(false);
      for (const d of out.diagnostics) {
        expect(Object.keys(d)).toEqual(['severity', 'code', 'message', 'file', 'line', 'column', 'path']);
      }
    }
  });
});
