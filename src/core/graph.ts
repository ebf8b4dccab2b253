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

/** Each stage's dependencies: the stages whose lock it waits on or whose output it reads. */
export function stageDependencies(values: Values, wf: WorkflowSpec): Map<string, string[]> {
  const deps = new Map<string, string[]>(wf.stages.map((s) => [s, []]));
  for (const e of edges(values, wf)) if (e.from !== null && wf.stages.includes(e.from)) deps.get(e.to)?.push(e.from);
  return deps;
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

/**
 * A pipeline file's operator DAG: one edge per input, from the operator it
 * names (labelled with the output it reads, if named) or from the payload.
 */
export function pipelineGraph(doc: { name: string; operators: { name: string; input?: { from?: string; name?: string; path?: string }[]; output?: { name?: string; path: string }[] }[] }, format: 'mermaid' | 'dot'): string {
  const edges = doc.operators.flatMap((op) => (op.input?.length ? op.input : [{ path: '' }]).map((x) => ({ from: x.from ?? null, to: op.name, label: [x.name, x.path].filter(Boolean).join(' → ') })));
  const outs = (op: (typeof doc.operators)[number]) => (op.output ?? []).map((o) => o.name ?? o.path).join(', ');
  if (format === 'dot') {
    const q = (s: string) => JSON.stringify(s);
    const out = [`digraph ${q(doc.name)} {`, `  // pipeline ${doc.name}`, `  rankdir=LR;`, `  "(payload)" [shape=circle, label="payload"];`];
    for (const op of doc.operators) out.push(`  ${q(op.name)} [shape=box, label=${q(`${op.name}\n→ ${outs(op)}`)}];`);
    for (const e of edges) out.push(`  ${e.from === null ? '"(payload)"' : q(e.from)} -> ${q(e.to)}${e.label ? ` [label=${q(e.label)}]` : ''};`);
    out.push('}');
    return out.join('\n') + '\n';
  }
  const out = [`flowchart LR`, `  %% pipeline ${doc.name}`, `  payload((payload))`];
  for (const op of doc.operators) out.push(`  ${id(op.name)}["${op.name}<br/>→ ${outs(op)}"]`);
  for (const e of edges) out.push(`  ${e.from === null ? 'payload' : id(e.from)} -->${e.label ? `|${e.label}|` : ''} ${id(e.to)}`);
  return out.join('\n') + '\n';
}
