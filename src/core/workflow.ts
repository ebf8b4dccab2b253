// Workflows: derived from a stage order, looked up by ID or name, resolved
// into the self-contained form the chart's catalog and `publish` emit.
import { randomUUID } from 'node:crypto';
import { UsageError } from './errors.js';
import { UUID_RE, stagesOf, workflowsOf, type StageArgs, type StageInput, type StageSpec, type Values, type WorkflowSpec } from './model.js';
import { inputFolder, listedInputs, mainInputPath, outputFolder, stageMounts, type StageMount } from './mounts.js';

export { inputFolder, outputFolder };

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
  return spec?.appDir !== undefined && spec.inputs !== undefined ? mainInputPath(spec as StageSpec) : undefined;
}

/**
 * The input stage i reads first (its NVIDIA_CLARA_INPUT): the one at its main
 * input path, else the first it lists; null when it lists none at all.
 */
export function primaryInput(mounts: StageMount[]): StageMount | null {
  const inputs = mounts.filter((m) => m.role === 'input');
  return inputs[0] ?? null;
}

/**
 * The folder (in the job's folder) stage i reads as its input: the seed's
 * ioFolders[i], or the folder of the input it reads first (see primaryInput);
 * '' when it reads nothing. Keep in step with "clara.stageInput" in the chart.
 */
export function mainInputFolder(workflow: WorkflowSpec, i: number, stages: Record<string, Partial<StageSpec> | undefined>): string {
  if (!listedInputs(workflow, i)) return workflow.ioFolders[i] ?? '';
  return primaryInput(stageMounts(workflow, i, stages))?.folder ?? '';
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

/**
 * The bytes the API server counts for a workflow's catalog key: key + value +
 * the block scalar's final newline (templates/catalog.yaml). Key order does
 * not change the length of indented JSON, so this is the length of what Go's
 * json.MarshalIndent(v, "", "  ") writes (sprig's toPrettyJson: keys sorted,
 * <, >, & escaped as \u003c, U+2028/U+2029 as \u2028; encoding/json
 * encodeState.string) without sorting: JSON.stringify's, plus 5 bytes for each
 * <, > and & (6 bytes for 1) and 3 for each U+2028/U+2029 (6 for 3).
 */
export function catalogEntryBytes(id: string, entry: Record<string, unknown>): number {
  const json = JSON.stringify(entry, null, 2);
  const extra = 5 * (json.match(/[<>&]/g)?.length ?? 0) + 3 * (json.match(/[\u2028\u2029]/g)?.length ?? 0);
  return Buffer.byteLength(id) + 5 + Buffer.byteLength(json) + extra + 1;
}
