// The DICOM adapter configuration: one-defect corpus, edit round trips, rules.
import fs from 'node:fs';
import path from 'node:path';
import { diffArrays } from 'diff';
import { describe, expect, it } from 'vitest';
import { checkDicomConfig } from '../src/core/dicom-config.js';
import { checkValues } from '../src/core/validate-values.js';
import { changedRegion, chartCopy, cli, expectation, fixture, referenceValues, tempDir } from './helpers.js';

const values = checkValues(referenceValues, 'values.yaml').values;
const corpus = fs.readdirSync(fixture('dicom-invalid')).filter((f) => f.endsWith('.yaml')).sort();

describe('bad DICOM configurations', () => {
  it('there are at least 25, one defect each', () => expect(corpus.length).toBeGreaterThanOrEqual(25));
  it.each(corpus)('%s', (name) => {
    const text = fs.readFileSync(fixture('dicom-invalid', name), 'utf8');
    const want = expectation(text);
    const check = checkDicomConfig(text, name, values);
    expect(check.ok).toBe(false);
    expect(check.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}@${d.line}`)).toContain(`${want.code}@${want.line}`);
    expect(check.unparsable ? 2 : 1).toBe(want.exit);
  });
  it('the chart\'s own configuration passes with no warning', () => {
    const text = fs.readFileSync(fixture('dicom-roundtrip', 'seed.yaml'), 'utf8');
    expect(checkDicomConfig(text, 'c', values).diagnostics).toEqual([]);
  });
  it('warns when every sender would be rejected, and when a mapping name disagrees', () => {
    const text = fs.readFileSync(fixture('dicom-roundtrip', 'seed.yaml'), 'utf8');
    const noSources = text.replace(/    sources:\n      - host-ip: 127.0.0.1\n        ae-title: DCM4CHEE\n/, '');
    expect(checkDicomConfig(noSources, 'c', values).diagnostics.map((d) => `${d.severity}:${d.code}`)).toEqual(['warning:NO_SOURCES']);
    const renamed = text.replace('  - name: liver-seg', '  - name: liver');
    expect(checkDicomConfig(renamed, 'c', values).diagnostics.map((d) => `${d.severity}:${d.code}`)).toEqual(['warning:MAPPING_NAME_MISMATCH']);
  });
  it('validate covers both files in one JSON report', async () => {
    const c = chartCopy();
    fs.writeFileSync(path.join(c.chart, 'files', 'dicom-server-config.yaml'), fs.readFileSync(fixture('dicom-invalid', 'port-zero.yaml'), 'utf8'));
    const r = await cli(['--chart', c.chart, 'validate', '--json']);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout).diagnostics;
    expect(d.map((x: any) => `${path.basename(x.file)}:${x.code}`)).toEqual(['dicom-server-config.yaml:PORT_INVALID']);
  });
});

describe.each(['seed.yaml', 'commented.yaml'].flatMap((f) => [{ f, eol: 'LF' }, { f, eol: 'CRLF' }]))('dicom edits on $f ($eol)', ({ f, eol }) => {
  const setup = () => {
    let text = fs.readFileSync(fixture('dicom-roundtrip', f), 'utf8');
    if (eol === 'CRLF') text = text.replace(/\n/g, '\r\n');
    const c = chartCopy();
    const file = path.join(c.chart, 'files', 'dicom-server-config.yaml');
    fs.writeFileSync(file, text);
    const run = async (...args: string[]) => {
      const r = await cli(['--chart', c.chart, ...args]);
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    return { text, file, run, read: () => fs.readFileSync(file, 'utf8') };
  };
  const eolKept = (t: string) => (eol === 'CRLF' ? expect(t.replace(/\r\n/g, '')).not.toContain('\n') : expect(t).not.toContain('\r'));

  it('each edit changes only its own lines; undoing them restores every byte', async () => {
    const t = setup();
    const steps: [string[], RegExp][] = [
      [['dicom', 'ae', 'add', 'my-ae-title'], /ae-title: my-ae-title/],
      [['dicom', 'dest', 'add', 'MYPACS2', '--host', '192.168.1.20', '--port', '1004', '--ae', 'MYPACS2'], /name: MYPACS2/],
      [['dicom', 'source', 'add', 'DCM4CHEE2', '--host', 'pacs.example.org'], /host-ip: pacs\.example\.org/],
      [['dicom', 'map', 'my-ae-title', '--workflow', 'liver-seg', '--destination', 'MYPACS2'], /workflow: fd3ee8bf/],
      [['dicom', 'map', 'my-ae-title', '--pipeline', '0f6e1d3a9b2c4d5e8f7a6b5c4d3e2f1a'], /pipeline-id: 0f6e1d3a/],
    ];
    let prev = t.text;
    for (const [args, added] of steps) {
      await t.run(...args);
      const now = t.read();
      const r = changedRegion(prev, now);
      // Only insertions, plus turning an empty "key: []" (or a bare "key:") into "key:".
      expect(r.removed.every((l) => /^\s*[\w-]+:\s*(\[\])?\s*\r?$/.test(l)), `${args.join(' ')} removed ${JSON.stringify(r.removed)}`).toBe(true);
      expect(r.added.join('\n')).toMatch(added);
      eolKept(now);
      expect(checkDicomConfig(now, 'c', values).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      prev = now;
    }
    for (const args of [['dicom', 'unmap', 'my-ae-title'], ['dicom', 'ae', 'remove', 'my-ae-title'], ['dicom', 'dest', 'remove', 'MYPACS2'], ['dicom', 'source', 'remove', 'DCM4CHEE2']]) await t.run(...args);
    const back = t.read();
    // What remains different is only how empty lists are written ("key: []" for a key the edits created).
    const changed = diffArrays(t.text.split('\n'), back.split('\n')).filter((p) => p.added || p.removed).flatMap((p) => p.value);
    expect(changed.length).toBeLessThanOrEqual(3);
    for (const l of changed) expect(l).toMatch(/^\s*[\w-]+:\s*(\[\])?\s*\r?$/);
  });

  it('refusals change nothing', async () => {
    const t = setup();
    const bad = [
      ['dicom', 'ae', 'add', 'THIS_IS_TOO_LONG_X'],
      ['dicom', 'dest', 'add', 'X', '--host', '999.1.1.1', '--port', '104', '--ae', 'X'],
      ['dicom', 'dest', 'add', 'X', '--host', '10.0.0.1', '--port', '0', '--ae', 'X'],
      ['dicom', 'map', 'NOPE', '--workflow', 'liver-seg', '--destination', 'MYPACS'],
      ['dicom', 'map', 'CT_AI', '--workflow', 'no-such-workflow', '--destination', 'MYPACS'],
      ['dicom', 'unmap', 'NOPE'],
    ];
    for (const args of bad) {
      const r = await cli(['--chart', path.dirname(path.dirname(t.file)), ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(t.read()).toBe(t.text);
  });
});

describe('dicom dest set', () => {
  it('changes one destination in place; the other lines keep their bytes', async () => {
    const c = chartCopy();
    const file = path.join(c.chart, 'files', 'dicom-server-config.yaml');
    const before = fs.readFileSync(file, 'utf8');
    const r = await cli(['--chart', c.chart, 'dicom', 'dest', 'set', 'MYPACS', '--host', '192.168.1.20']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/destination MYPACS is now MYPACS@192\.168\.1\.20:1004/);
    const region = changedRegion(before, fs.readFileSync(file, 'utf8'));
    expect(region.removed).toEqual(['        host-ip: 127.0.0.1']);
    expect(region.added).toEqual(['        host-ip: 192.168.1.20']);
    expect((await cli(['--chart', c.chart, 'dicom', 'dest', 'set', 'NOPE', '--host', '1.2.3.4'])).code).toBe(2);
  });
});

describe('workflow remove', () => {
  it('refuses while a DICOM mapping uses the workflow, and works once unmapped', async () => {
    const c = chartCopy();
    const before = fs.readFileSync(c.values, 'utf8');
    const r = await cli(['--chart', c.chart, 'workflow', 'remove', 'liver-seg']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/mapped in .*dicom-server-config\.yaml to AE title LIVER_AI; pass --force to remove the mapping with it, or first: clara-wf dicom unmap LIVER_AI --workflow liver-seg/);
    expect(fs.readFileSync(c.values, 'utf8')).toBe(before);
    expect((await cli(['--chart', c.chart, 'dicom', 'unmap', 'LIVER_AI', '--workflow', 'liver-seg'])).code).toBe(0);
    expect((await cli(['--chart', c.chart, 'workflow', 'remove', 'liver-seg'])).code).toBe(0);
  });

  it('dicom show, human and JSON', async () => {
    const c = chartCopy();
    const r = await cli(['--chart', c.chart, 'dicom', 'show']);
    expect(r.stdout).toMatch(/^LIVER_AI\s+workflow liver-seg \(fd3ee8bf-b9f3-4808-bd60-243f870ff9bd\)\s+MYPACS$/m);
    const j = await cli(['--chart', c.chart, '--json', 'dicom', 'show']);
    expect(JSON.parse(j.stdout).dicom.scu.destinations[0]).toEqual({ name: 'MYPACS', 'host-ip': '127.0.0.1', port: 1004, 'ae-title': 'MYPACS' });
    void tempDir;
  });
});
