// helm template output ↔ one text per template file, and golden comparisons.
import { createTwoFilesPatch } from 'diff';

/** Split `helm template` output by its "# Source: <chart>/templates/<file>" comments. */
export function splitManifests(text: string): Map<string, string> {
  const out = new Map<string, string[]>();
  for (const doc of text.split(/^---\s*$/m)) {
    const m = /^# Source: [^/\n]+\/(.+)$/m.exec(doc);
    if (!m) continue;
    const file = (m[1] as string).replace(/^templates\//, '');
    const body = doc.replace(/^\n+/, '').replace(/\s+$/, '') + '\n';
    out.set(file, [...(out.get(file) ?? []), body]);
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)).map(([f, docs]) => [f, docs.map((d) => `---\n${d}`).join('')]));
}

// Assembled at run time so this source does not carry the marker itself.
export const GENERATED_MARKER = ['Generated', 'by clara-wf'].join(' ');

export function goldenHeader(caseName: string): string {
  return `# ${GENERATED_MARKER} (golden/${caseName}). Do not edit: run \`clara-wf golden update\`.\n`;
}

export interface Drift {
  file: string;
  kind: 'changed' | 'missing' | 'stale';
  diff?: string;
}

/** Compare what the chart renders now (`actual`) with golden/ (`expected`). Nothing is normalised: output is deterministic. */
export function compareGolden(expected: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>): Drift[] {
  const drift: Drift[] = [];
  for (const [file, now] of actual) {
    const was = expected.get(file);
    if (was === undefined) drift.push({ file, kind: 'missing' });
    else if (was !== now) drift.push({ file, kind: 'changed', diff: createTwoFilesPatch(`a/${file}`, `b/${file}`, was, now, 'golden', 'rendered now', { context: 3 }) });
  }
  for (const file of expected.keys()) if (!actual.has(file)) drift.push({ file, kind: 'stale' });
  return drift.sort((a, b) => a.file.localeCompare(b.file));
}
