// Each rule's passing case (the reference chart and targeted variants) and
// the warnings, which the one-defect corpus does not cover.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pointer } from '../src/core/diagnostic.js';
import { checkValues } from '../src/core/validate-values.js';
import { ioFolderProblem } from '../src/core/rules/workflow-rules.js';
import { parseYaml } from '../src/core/yaml-source.js';
import { fixture, lineOf, referenceValues, repoRoot } from './helpers.js';

const codes = (text: string) => checkValues(text, 'values.yaml').diagnostics.map((d) => `${d.severity}:${d.code}@${d.line}`);

describe('reference values', () => {
  it('pass every rule with no warning', () => {
    const r = checkValues(referenceValues, 'values.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.fences.map((f) => f.name)).toEqual(['dicom-reader', 'user-ai', 'ai-livertumor', 'dicom-writer', 'threshold']);
  });

  it('hold the seed workflows', () => {
    const v = checkValues(referenceValues, 'values.yaml').values as any;
    expect(v.workflows['7b413e24-d018-4689-8c41-73272f6649d4'].name).toBe('user-workflow');
    expect(v.workflows['fd3ee8bf-b9f3-4808-bd60-243f870ff9bd'].name).toBe('liver-seg');
    expect(v.workflows['7b413e24-d018-4689-8c41-73272f6649d4'].ioFolders).toContain('user-ai/output');
  });
});

describe('warnings', () => {
  it('latest tag', () => {
    const t = referenceValues.replace('tag: "0.1.0"', 'tag: latest');
    expect(codes(t)).toEqual([`warning:IMAGE_TAG_LATEST@${lineOf(t, 'tag: latest')}`]);
    expect(checkValues(t, 'v').ok).toBe(true);
  });
  it('stage used by no workflow', () => {
    const t = referenceValues.replace(/  7b413e24[\s\S]*?  # Reference/, '  # Reference');
    expect(codes(t)).toEqual([`warning:STAGE_UNUSED@${lineOf(t, '  user-ai:')}`]);
  });
  it('stage without markers', () => {
    const t = referenceValues.replace('  ##BEGIN_user-ai##\n', '').replace('  ##END_user-ai##\n', '');
    expect(codes(t)).toEqual([`warning:STAGE_UNFENCED@${lineOf(t, '  user-ai:')}`]);
  });
});

describe('YAML 1.1 as Helm reads it', () => {
  it('quoted "no" and "1.10" are strings and pass', () => {
    const t = referenceValues.replace('tag: "0.1.0"', 'tag: "1.10"').replace('tag: "0.2.0"', 'tag: "no"');
    expect(checkValues(t, 'v').ok).toBe(true);
  });
  it('plain 1.2.0 is a string and passes', () => {
    expect(checkValues(referenceValues.replace('tag: "0.1.0"', 'tag: 1.2.0'), 'v').ok).toBe(true);
  });
  it('yes/off/y are booleans to Helm', () => {
    for (const b of ['yes', 'off', 'y', 'NO']) {
      const t = referenceValues.replace('tag: "0.1.0"', `tag: ${b}`);
      expect(codes(t)).toContain(`error:YAML11_BOOLEAN@${lineOf(t, `tag: ${b}`)}`);
    }
  });
});

describe('ioFolders', () => {
  it.each([
    ['user-ai/output', null],
    ['a/b/c', null],
    ['user-ai/ output', 'contains whitespace'],
    ['/abs', 'is absolute'],
    ['a/../b', 'leaves the job folder'],
    ['a//b', 'empty path segment'],
    ['a/', 'empty path segment'],
    ['./a', 'not normalised'],
    ['a\\b', 'backslash'],
    ['', 'is empty'],
  ])('%j', (f, problem) => {
    const p = ioFolderProblem(f);
    if (problem === null) expect(p).toBeNull();
    else expect(p?.message).toContain(problem);
  });
});

describe('unknown keys', () => {
  it('suggest the nearest known key', () => {
    const t = referenceValues.replace('    publishPath: "/publish"\n  ##END_user-ai##', '    publishPath: "/publish"\n    imagePullPolicyy: Always\n  ##END_user-ai##');
    const d = checkValues(t, 'v').diagnostics.find((x) => x.code === 'UNKNOWN_KEY');
    expect(d?.hint).toBe('did you mean "imagePullPolicy"?');
  });
  it('list allowed keys when nothing is near', () => {
    const t = referenceValues.replace('    publishPath: "/publish"\n  ##END_user-ai##', '    publishPath: "/publish"\n    zzzzzzzzzz: 1\n  ##END_user-ai##');
    const d = checkValues(t, 'v').diagnostics.find((x) => x.code === 'UNKNOWN_KEY');
    expect(d?.hint).toMatch(/^allowed keys: image, imagePullPolicy/);
  });
});

describe('empty and minimal files', () => {
  it('an empty file is valid YAML with nothing defined', () => {
    expect(checkValues('', 'v').ok).toBe(true);
    expect(checkValues('stages: {}\nworkflows: {}\n', 'v').ok).toBe(true);
    expect(checkValues('stages:\nworkflows:\n', 'v').ok).toBe(true);
  });
});

describe('positions: the shallow index agrees with the full one', () => {
  // Commands read top-level positions from a cheap pass that skips nested
  // events; it must place every top-level node exactly where the full pass does.
  const files = [
    ...fs.readdirSync(fixture('roundtrip')).map((f) => fixture('roundtrip', f)),
    ...fs.readdirSync(fixture('invalid')).map((f) => fixture('invalid', f)),
    path.join(repoRoot, 'charts', 'clara-workflow', 'values.yaml'),
    path.join(repoRoot, 'charts', 'clara-workflow', 'files', 'dicom-server-config.yaml'),
  ];
  const complexKeys = 'stages:\n  ? [a, b]\n  : {x: 1}\n  ? {k: [1, 2]}\n  : 2\n  s: {a: [1, {b: 2}]}\nworkflows: {}\n';
  it.each([...files.map((f) => [path.relative(repoRoot, f), fs.readFileSync(f, 'utf8')]), ['complex keys', complexKeys]])('%s', (_, text) => {
    const shallow = parseYaml(text, 'x.yaml');
    const full = parseYaml(text, 'x.yaml');
    if (!shallow.ok || !full.ok) return;
    const top = ['', ...Object.keys((shallow.yaml.data as object | null) ?? {}).map((k) => pointer(k))];
    const fromShallow = top.map((p) => shallow.yaml.node(p));
    full.yaml.node('/force/the/full/index');
    expect(fromShallow).toEqual(top.map((p) => full.yaml.node(p)));
    expect(fromShallow[0]).toBeDefined();
  });
});
