// Random byte and line mutations of the reference values: validation and
// editing must never throw anything but a known error, and every diagnostic
// must point inside the file.
import { describe, expect, it } from 'vitest';
import { isKnownError } from '../src/core/errors.js';
import { stageSpec, stageTemplateData } from '../src/core/stage.js';
import { renderTemplate } from '../src/core/text-templates.js';
import { checkValues } from '../src/core/validate-values.js';
import { upsertStageBlock } from '../src/core/values-edit.js';
import { readPackageText } from '../src/adapters/package-files.js';
import { prng, referenceValues } from './helpers.js';

const ITERATIONS = 2000;
const noise = [':', '[', ']', '{', '}', '"', "'", '#', '-', '\t', '\n', ' ', '&a', '*a', '!!str', '? ', '|', '>', '%', '@', '`', '\0', '\r', '##END_user-ai##', '\u00e9', '\ud83d'];

function mutate(text: string, rnd: () => number): string {
  const lines = text.split('\n');
  const pick = (n: number) => Math.floor(rnd() * n);
  const ops = 1 + pick(3);
  let t = text;
  for (let k = 0; k < ops; k++) {
    const op = pick(7);
    const ls = t.split('\n');
    if (op === 0) ls.splice(pick(ls.length), 1);
    else if (op === 1) ls.splice(pick(ls.length), 0, ls[pick(ls.length)] as string);
    else if (op === 2) {
      const a = pick(ls.length);
      const b = pick(ls.length);
      [ls[a], ls[b]] = [ls[b] as string, ls[a] as string];
    } else if (op === 3) {
      const i = pick(t.length);
      t = t.slice(0, i) + noise[pick(noise.length)] + t.slice(i);
      continue;
    } else if (op === 4) {
      const i = pick(t.length);
      t = t.slice(0, i) + t.slice(i + 1 + pick(5));
      continue;
    } else if (op === 5) {
      const i = pick(ls.length);
      ls[i] = ' '.repeat(pick(6)) + (ls[i] as string).trimStart();
    } else {
      t = t.slice(0, pick(t.length));
      continue;
    }
    t = ls.join('\n');
  }
  return lines.length ? t : text;
}

describe('fuzz', () => {
  it(`${ITERATIONS} mutations: no uncaught exception, positions inside the file`, () => {
    const rnd = prng(20261121);
    const template = readPackageText('templates', 'stage-block.hbs');
    let parsedOk = 0;
    let edited = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const text = mutate(referenceValues, rnd);
      const lineCount = text.split('\n').length;
      let check;
      try {
        check = checkValues(text, 'fuzz.yaml');
      } catch (e) {
        throw new Error(`iteration ${i} threw ${(e as Error).stack}\n--- input ---\n${text}`);
      }
      for (const d of check.diagnostics) {
        expect(d.line, `iteration ${i}: ${d.code} ${d.message}`).toBeGreaterThanOrEqual(1);
        expect(d.line, `iteration ${i}: ${d.code}`).toBeLessThanOrEqual(lineCount);
        expect(d.column).toBeGreaterThanOrEqual(1);
      }
      if (!check.unparsable) parsedOk++;
      if (check.ok) {
        // Editing a (still valid) mutated file works or fails with a known error.
        try {
          const spec = stageSpec('fuzz-stage', { tag: '1' });
          const out = upsertStageBlock(text, check, 'fuzz-stage', renderTemplate(template, stageTemplateData('fuzz-stage', spec)));
          expect(checkValues(out, 'fuzz.yaml').values).toBeTruthy();
          edited++;
        } catch (e) {
          if (!isKnownError(e)) throw new Error(`iteration ${i}: edit threw ${(e as Error).stack}\n--- input ---\n${text}`);
        }
      }
    }
    // The mutations must exercise both paths.
    expect(parsedOk).toBeGreaterThan(ITERATIONS / 10);
    expect(parsedOk).toBeLessThan(ITERATIONS);
    expect(edited).toBeGreaterThan(0);
  });
});
