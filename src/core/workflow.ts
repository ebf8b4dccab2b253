// Workflows: derived from a stage order, looked up by ID or name, resolved
// into the self-contained form the chart's catalog and `publish` emit.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { UsageError } from './errors.js';
import { UUID_RE, stagesOf, workflowsOf, type StageArgs, type StageInput, type StageSpec, type Values, type WorkflowSpec } from './model.js';

/** waitLocks: each stage waits on the previous stage's lock; ioFolders: <first>/input, then <stage>/output. */
export function deriveWorkflow(name: string, stageNames: string[], values: unknown, args: Map<string, string[]> = new Map()): WorkflowSpec {
  const stages = stagesOf(values);
  const lockOf = (s: string) => stages[s]?.lockName ?? `${s}.lock`;
  return {
    name,
    stages: stageNames,
    waitLocks: stageNames.map((_, i) => (i === 0 ? '' : lockOf(stageNames[i - 1] as string))),
    ioFolders: [`${stageNames[0]}/input`, ...stageNames.map((s) => `${s}/output`)],
    args: stageNames.map((s): StageArgs => args.get(s) ?? ''),
  };
}

export function newWorkflowId(): string {
  return randomUUID();
}

export function normaliseWorkflowId(id: string): string {
  const lower = id.toLowerCase();
  if (!UUID_RE.test(lower)) throw new UsageError(`"${id}" is not a UUID (e.g. 7b413e24-d018-4689-8c41-73272f6649d4); leave --id out to generate one`);
  return lower;
}

/** Find a workflow by UUID or by name. */
export function findWorkflow(values: unknown, ref: string): { id: string; workflow: WorkflowSpec } {
  const all = workflowsOf(values);
  const byId = all[ref.toLowerCase()];
  if (byId) return { id: ref.toLowerCase(), workflow: byId as WorkflowSpec };
  const hit = Object.entries(all).find(([, w]) => w?.name === ref);
  if (hit) return { id: hit[0], workflow: hit[1] as WorkflowSpec };
  const known = Object.entries(all).map(([id, w]) => `${w?.name ?? '?'} (${id})`);
  throw new UsageError(`no workflow "${ref}"${known.length ? `; known: ${known.join(', ')}` : '; create one with `clara-wf workflow create`'}`);
}

export interface ResolvedStage {
  name: string;
  spec: StageSpec;
  waitLock: string;
  input: string;
  output: string;
  args: string[];
  /** Pipeline-style inputs (fan-in), when the workflow lists them for this stage. */
  inputs?: StageInput[];
}

export interface ResolvedWorkflow {
  id: string;
  name: string;
  description?: string;
  inputs?: WorkflowSpec['inputs'];
  stages: ResolvedStage[];
  waitLocks: string[];
  ioFolders: string[];
  args: StageArgs[];
}

/** Where a stage's own input folder is in its container (appDir/inputs). */
export function stageInputPath(spec: Partial<StageSpec> | undefined): string | undefined {
  return spec?.appDir !== undefined && spec.inputs !== undefined ? path.posix.join(spec.appDir, spec.inputs) : undefined;
}

/**
 * The folder (in the job's folder) stage i reads as its input: ioFolders[i],
 * unless its pipeline inputs put another source at its input path (a DAG: an
 * earlier stage that is not the previous one, or the payload when the input
 * names no stage). Keep in step with "clara.stageInput" in the chart.
 */
export function mainInputFolder(workflow: WorkflowSpec, i: number, stages: Record<string, Partial<StageSpec> | undefined>): string {
  const listed = workflow.inputs?.[i];
  const at = stageInputPath(stages[workflow.stages[i] as string]);
  const main = Array.isArray(listed) ? listed.find((x) => x.path === at) : undefined;
  if (!main) return workflow.ioFolders[i] ?? '';
  return inputFolder(workflow, main, stages) ?? workflow.ioFolders[i] ?? '';
}

/**
 * The job folder an input reads: the payload (ioFolders[0]) without "from",
 * else the named output of that stage (see outputFolder). Undefined when
 * "from" names no stage of the workflow.
 */
export function inputFolder(workflow: WorkflowSpec, input: StageInput, stages: Record<string, Partial<StageSpec> | undefined>): string | undefined {
  if (!input.from) return workflow.ioFolders[0] ?? '';
  const j = workflow.stages.indexOf(input.from);
  return j >= 0 ? outputFolder(workflow, j, stages[input.from], input.name) : undefined;
}

/**
 * The job folder of output `name` of stage j: its ioFolders entry for the
 * main output (or no name), `<that entry>-<name>` for one of its extraOutputs.
 * Keep in step with the chart's jobs.yaml and "clara.stageInput".
 */
export function outputFolder(workflow: WorkflowSpec, j: number, spec: Partial<StageSpec> | undefined, name?: string): string {
  const main = workflow.ioFolders[j + 1] ?? '';
  return name && spec?.extraOutputs?.some((o) => o.name === name) ? `${main}-${name}` : main;
}

/** The workflow with each stage's full spec, in order (what the catalog ConfigMap and `publish` hold). */
export function resolveWorkflow(values: Values, id: string, workflow: WorkflowSpec): ResolvedWorkflow {
  const stages = stagesOf(values);
  return {
    id,
    name: workflow.name,
    ...(workflow.description ? { description: workflow.description } : {}),
    ...(workflow.inputs ? { inputs: workflow.inputs } : {}),
    stages: workflow.stages.map((s, i) => ({
      name: s,
      spec: stages[s] as StageSpec,
      waitLock: workflow.waitLocks[i] ?? '',
      input: mainInputFolder(workflow, i, stages),
      output: workflow.ioFolders[i + 1] ?? '',
      args: Array.isArray(workflow.args[i]) ? (workflow.args[i] as string[]) : [],
      ...(Array.isArray(workflow.inputs?.[i]) ? { inputs: workflow.inputs?.[i] as StageInput[] } : {}),
    })),
    waitLocks: workflow.waitLocks,
    ioFolders: workflow.ioFolders,
    args: workflow.args,
  };
}

/** The JSON the chart's catalog ConfigMap holds for a workflow (keep in step with templates/catalog.yaml). */
export function catalogEntry(w: ResolvedWorkflow): Record<string, unknown> {
  return {
    id: w.id,
    name: w.name,
    ...(w.description ? { description: w.description } : {}),
    stages: w.stages.map((s) => ({ name: s.name, spec: s.spec, waitLock: s.waitLock, input: s.input, output: s.output, args: s.args, ...(s.inputs ? { inputs: s.inputs } : {}) })),
    waitLocks: w.waitLocks,
    ioFolders: w.ioFolders,
    args: w.args,
    ...(w.inputs ? { inputs: w.inputs } : {}),
  };
}

/** Workflows that use a stage. */
export function workflowsUsing(values: unknown, stage: string): { id: string; name: string }[] {
  return Object.entries(workflowsOf(values))
    .filter(([, w]) => Array.isArray(w?.stages) && w.stages.includes(stage))
    .map(([id, w]) => ({ id, name: String(w?.name ?? '') }));
}
