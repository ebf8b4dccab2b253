// A workflow's stage/lock graph: an edge from the stage that writes a lock to
// each stage that waits on it; stages without a wait lock start from "start".
// A stage that lists its pipeline inputs (a DAG) gets one edge per input.
import type { WorkflowSpec, Values } from './model.js';
import { stagesOf } from './model.js';

interface Edge {
  /** null: the job's start (its payload), never a stage, even one named "start". */
  from: string | null;
  to: string;
  label: string;
}

function edges(values: Values, wf: WorkflowSpec): Edge[] {
  const stages = stagesOf(values);
  const owner = new Map<string, string>();
  for (const s of wf.stages) owner.set(stages[s]?.lockName ?? `${s}.lock`, s);
  return wf.stages.flatMap((s, i): Edge[] => {
    const lock = wf.waitLocks[i] ?? '';
    const byLock: Edge = lock ? { from: owner.get(lock) ?? lock, to: s, label: lock } : { from: null, to: s, label: wf.ioFolders[i] ?? '' };
    const listed = wf.inputs?.[i];
    if (!Array.isArray(listed)) return [byLock];
    // A DAG stage: one edge per input it reads (the payload from "start"), and its wait lock if no input covers it.
    const reads = listed.map((x): Edge => ({ from: x.from ?? null, to: s, label: x.path }));
    return reads.some((e) => e.from === byLock.from) ? reads : [byLock, ...reads];
  });
}

const id = (s: string) => 'n_' + s.replace(/[^A-Za-z0-9_]/g, '_');

export function mermaidGraph(values: Values, wfId: string, wf: WorkflowSpec): string {
  const out = [`flowchart LR`, `  %% workflow ${wf.name} (${wfId})`, `  start((start))`];
  wf.stages.forEach((s, i) => out.push(`  ${id(s)}["${s}<br/>→ ${wf.ioFolders[i + 1] ?? ''}"]`));
  for (const e of edges(values, wf)) out.push(`  ${e.from === null ? 'start' : id(e.from)} -->|${e.label}| ${id(e.to)}`);
  return out.join('\n') + '\n';
}

export function dotGraph(values: Values, wfId: string, wf: WorkflowSpec): string {
  const q = (s: string) => JSON.stringify(s);
  const out = [`digraph ${q(wf.name)} {`, `  // workflow ${wfId}`, `  rankdir=LR;`, `  "(start)" [shape=circle, label="start"];`];
  wf.stages.forEach((s, i) => out.push(`  ${q(s)} [shape=box, label=${q(`${s}\n→ ${wf.ioFolders[i + 1] ?? ''}`)}];`));
  for (const e of edges(values, wf)) out.push(`  ${e.from === null ? '"(start)"' : q(e.from)} -> ${q(e.to)} [label=${q(e.label)}];`);
  out.push('}');
  return out.join('\n') + '\n';
}
