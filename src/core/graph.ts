// A workflow's stage/lock graph: an edge from the stage that writes a lock to
// each stage that waits on it; stages without a wait lock start from "start".
import type { WorkflowSpec, Values } from './model.js';
import { stagesOf } from './model.js';

interface Edge {
  from: string;
  to: string;
  label: string;
}

function edges(values: Values, wf: WorkflowSpec): Edge[] {
  const stages = stagesOf(values);
  const owner = new Map<string, string>();
  for (const s of wf.stages) owner.set(stages[s]?.lockName ?? `${s}.lock`, s);
  return wf.stages.map((s, i) => {
    const lock = wf.waitLocks[i] ?? '';
    return lock ? { from: owner.get(lock) ?? lock, to: s, label: lock } : { from: 'start', to: s, label: wf.ioFolders[i] ?? '' };
  });
}

const id = (s: string) => 'n_' + s.replace(/[^A-Za-z0-9_]/g, '_');

export function mermaidGraph(values: Values, wfId: string, wf: WorkflowSpec): string {
  const out = [`flowchart LR`, `  %% workflow ${wf.name} (${wfId})`, `  start((start))`];
  wf.stages.forEach((s, i) => out.push(`  ${id(s)}["${s}<br/>→ ${wf.ioFolders[i + 1] ?? ''}"]`));
  for (const e of edges(values, wf)) out.push(`  ${e.from === 'start' ? 'start' : id(e.from)} -->|${e.label}| ${id(e.to)}`);
  return out.join('\n') + '\n';
}

export function dotGraph(values: Values, wfId: string, wf: WorkflowSpec): string {
  const q = (s: string) => JSON.stringify(s);
  const out = [`digraph ${q(wf.name)} {`, `  // workflow ${wfId}`, `  rankdir=LR;`, `  start [shape=circle];`];
  wf.stages.forEach((s, i) => out.push(`  ${q(s)} [shape=box, label=${q(`${s}\n→ ${wf.ioFolders[i + 1] ?? ''}`)}];`));
  for (const e of edges(values, wf)) out.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(e.label)}];`);
  out.push('}');
  return out.join('\n') + '\n';
}
