// Golden comparisons: what the chart renders now against golden/. Apart from
// manifests.ts so that `render` does not load the diff library.
import { createTwoFilesPatch } from 'diff';

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
