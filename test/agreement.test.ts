// clara-wf validate and helm template agree: the invalid corpus is rejected by
// both (the schema and the template guards), valid files are accepted by both.
// Helm cannot see comment markers, duplicate keys (last wins) or a second YAML
// document (ignored): those only clara-wf rejects, and the test pins that too.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkValues } from '../src/core/validate-values.js';
import { chartCopy, expectation, fixture, helmBin, referenceValues } from './helpers.js';

const helmTemplate = (values: string) => {
  const c = chartCopy({ values });
  // These cases are about values.yaml: the DICOM mappings (which name the
  // reference workflows, and which the chart guards) are left out.
  const dicom = path.join(c.chart, 'files', 'dicom-server-config.yaml');
  fs.writeFileSync(dicom, fs.readFileSync(dicom, 'utf8').replace(/^workflows:[\s\S]*?(?=^pipeline-mappings:)/m, 'workflows: []\n'));
  const r = spawnSync(helmBin, ['template', 'agree', c.chart], { encoding: 'utf8' });
  fs.rmSync(c.dir, { recursive: true, force: true });
  return r;
};
const onlyClaraWf = (code: string) => code.startsWith('MARKER_') || code === 'DUPLICATE_KEY' || code === 'YAML_MULTI_DOCUMENT';

describe('agreement with helm template', () => {
  it('invalid corpus: rejected by both (markers, duplicates, multi-document: by clara-wf only)', () => {
    const files = fs.readdirSync(fixture('invalid')).filter((f) => f.endsWith('.yaml')).sort();
    let both = 0;
    let onlyUs = 0;
    for (const f of files) {
      const text = fs.readFileSync(fixture('invalid', f), 'utf8');
      const { code } = expectation(text);
      expect(checkValues(text, f).ok, f).toBe(false);
      const r = helmTemplate(text);
      if (onlyClaraWf(code)) {
        expect(r.status, `${f}: helm was expected to miss this`).toBe(0);
        onlyUs++;
      } else {
        expect(r.status, `${f}: helm accepted it`).not.toBe(0);
        both++;
      }
    }
    console.log(`agreement: ${both} invalid files rejected by clara-wf and helm; ${onlyUs} only clara-wf can see (markers, duplicate keys, multi-document)`);
    expect(both).toBeGreaterThanOrEqual(20);
  });

  it('valid files: accepted by both', () => {
    const valid = [referenceValues, ...fs.readdirSync(fixture('roundtrip')).map((f) => fs.readFileSync(fixture('roundtrip', f), 'utf8'))];
    for (const text of valid) {
      expect(checkValues(text, 'v').ok).toBe(true);
      const r = helmTemplate(text);
      expect(r.status, r.stderr).toBe(0);
    }
    console.log(`agreement: ${valid.length} valid files accepted by clara-wf and helm`);
  });
});
