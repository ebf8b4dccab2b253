// A stage's mounts, computed once: what its container sees at which path, and
// which folder of the job's folder that is. Every view uses this (the local
// runner's folders and environment, docker's --mount flags, `workflow show`,
// the MONAI export, validation); the chart's _stage.tpl computes the same set
// for Jobs and Argo templates, and test/mounts.test.ts holds the two equal.
//
// The rules (README, "Mounts"):
// - a stage that lists its inputs (a DAG, an imported pipeline) gets exactly
//   those, read-only, each at its path; its main input folder is mounted only
//   when one of them sits there;
// - a stage that lists none gets the seed's chain: ioFolders[i] at
//   <appDir>/<inputs>, writable;
// - its outputs: ioFolders[i+1] at <appDir>/<outputs>, each extra output at
//   its path in <ioFolders[i+1]>-<name>, except one at the stage's publish or
//   log folder, which *is* that folder (a pipeline output at /publish, as
//   NVIDIA's lung and COVID-19 pipelines have, reads as the publish folder);
// - the chart's own folders: locks at lockDir, logs at dirname(logName), the
//   publish folder at publishPath.
import path from 'node:path';
import { pointer } from './diagnostic.js';
import type { StageInput, StageSpec, WorkflowSpec } from './model.js';

export type MountRole = 'input' | 'output' | 'locks' | 'logs' | 'publish';

export interface StageMount {
  /** Path in the container, as written (a trailing "/" dropped). */
  path: string;
  /** Folder relative to the job's folder. */
  folder: string;
  readOnly: boolean;
  role: MountRole;
  /** What put it there, in words, for messages. */
  source: string;
  /** JSON pointer (into values.yaml) of the field that put it there. */
  field: string;
  /** Inputs: the stage read from ('' for the job's payload) and its output name. */
  from?: string;
  name?: string;
  /** Outputs (and the publish/log folders an output maps onto): the output names it carries. */
  outputs?: string[];
}

/** A container path compared as the runtime does: normalised, no trailing "/". */
export function mountKey(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

const join = (dir: string, sub: string) => path.posix.join(dir, sub);

/** Where a stage's own input folder is in its container (appDir/inputs). */
export function mainInputPath(spec: Pick<StageSpec, 'appDir' | 'inputs'>): string {
  return join(spec.appDir, spec.inputs);
}

export const logFolderPath = (spec: Pick<StageSpec, 'logName'>) => path.posix.dirname(spec.logName);

/**
 * The job folder of output `name` of stage j: its ioFolders entry for the main
 * output (or no name), the publish or log folder for an extra output mapped
 * onto one of them, else `<entry>-<name>`.
 */
export function outputFolder(workflow: Pick<WorkflowSpec, 'stages' | 'ioFolders'>, j: number, spec: Partial<StageSpec> | undefined, name?: string): string {
  const main = workflow.ioFolders[j + 1] ?? '';
  const extra = name ? spec?.extraOutputs?.find((o) => o.name === name) : undefined;
  if (!extra) return main;
  if (spec?.publishPath !== undefined && mountKey(extra.path) === mountKey(spec.publishPath)) return `publish/${workflow.stages[j]}`;
  if (spec?.logName !== undefined && mountKey(extra.path) === mountKey(logFolderPath(spec as StageSpec))) return 'logs';
  return `${main}-${name}`;
}

/** The job folder an input reads: the payload (ioFolders[0]) without "from", else that stage's output. Undefined when "from" names no stage of the workflow. */
export function inputFolder(workflow: Pick<WorkflowSpec, 'stages' | 'ioFolders'>, input: StageInput, stages: Record<string, Partial<StageSpec> | undefined>): string | undefined {
  if (!input.from) return workflow.ioFolders[0] ?? '';
  const j = workflow.stages.indexOf(input.from);
  return j >= 0 ? outputFolder(workflow, j, stages[input.from], input.name) : undefined;
}

/** The inputs stage i lists, or null when it lists none (the seed's chain). */
export function listedInputs(workflow: Pick<WorkflowSpec, 'inputs'>, i: number): StageInput[] | null {
  const entry = workflow.inputs?.[i];
  return Array.isArray(entry) ? entry : null;
}

/**
 * Every mount of stage i of a workflow, in the order the chart renders them:
 * the input at the main input path (if any), the outputs, locks, logs,
 * publish, then the other inputs. `workflowId` only locates its fields.
 */
export function stageMounts(workflow: Pick<WorkflowSpec, 'stages' | 'ioFolders' | 'inputs'>, i: number, stages: Record<string, Partial<StageSpec> | undefined>, workflowId = ''): StageMount[] {
  const stage = workflow.stages[i] as string;
  const sp = stages[stage] as StageSpec;
  const at = (...p: (string | number)[]) => pointer('stages', stage, ...p);
  const mainIn = mainInputPath(sp);
  const listed = listedInputs(workflow, i);
  // One trailing "/" dropped, as the chart's trimSuffix does; an input at the main input path is mounted at that path as the stage writes it.
  const inputMount = (inp: StageInput, k: number, atMainPath: boolean): StageMount => ({
    path: atMainPath ? mainIn : inp.path.length > 1 && inp.path.endsWith('/') ? inp.path.slice(0, -1) : inp.path,
    folder: inputFolder(workflow, inp, stages) ?? '',
    readOnly: true,
    role: 'input',
    source: inp.from ? `input from ${inp.from}${inp.name ? ` (output ${inp.name})` : ''}` : 'input: the job payload',
    field: pointer('workflows', workflowId, 'inputs', i, k, 'path'),
    from: inp.from ?? '',
    ...(inp.name ? { name: inp.name } : {}),
  });
  const atMain = listed ? listed.map((inp, k) => [inp, k] as const).filter(([inp]) => mountKey(inp.path) === mountKey(mainIn)) : [];
  const others = listed ? listed.map((inp, k) => [inp, k] as const).filter(([inp]) => mountKey(inp.path) !== mountKey(mainIn)) : [];
  const out: StageMount[] = [];
  if (!listed) out.push({ path: mainIn, folder: workflow.ioFolders[i] ?? '', readOnly: false, role: 'input', source: 'its input folder (appDir/inputs)', field: at('inputs') });
  for (const [inp, k] of atMain) out.push(inputMount(inp, k, true));
  const publish = mountKey(sp.publishPath);
  const logs = mountKey(logFolderPath(sp));
  const mapped = { publish: [] as string[], logs: [] as string[] };
  out.push({ path: join(sp.appDir, sp.outputs), folder: workflow.ioFolders[i + 1] ?? '', readOnly: false, role: 'output', source: `output ${sp.mount?.out?.name ?? 'output'} (appDir/outputs)`, field: at('outputs'), outputs: [sp.mount?.out?.name ?? 'output'] });
  (sp.extraOutputs ?? []).forEach((o, k) => {
    const key = mountKey(o.path);
    if (key === publish) mapped.publish.push(o.name);
    else if (key === logs) mapped.logs.push(o.name);
    else out.push({ path: o.path, folder: `${workflow.ioFolders[i + 1] ?? ''}-${o.name}`, readOnly: false, role: 'output', source: `output ${o.name} (extraOutputs)`, field: at('extraOutputs', k, 'path'), outputs: [o.name] });
  });
  out.push({ path: sp.lockDir, folder: 'locks', readOnly: false, role: 'locks', source: 'the lock folder (lockDir)', field: at('lockDir') });
  out.push({ path: logFolderPath(sp), folder: 'logs', readOnly: false, role: 'logs', source: 'the log folder (dirname of logName)', field: at('logName'), ...(mapped.logs.length ? { outputs: mapped.logs } : {}) });
  out.push({ path: sp.publishPath, folder: `publish/${stage}`, readOnly: false, role: 'publish', source: 'the publish folder (publishPath)', field: at('publishPath'), ...(mapped.publish.length ? { outputs: mapped.publish } : {}) });
  for (const [inp, k] of others) out.push(inputMount(inp, k, false));
  return out;
}

/** Pairs of mounts of one container at the same path (the API server and Docker refuse such a container). */
export function duplicateMounts(mounts: StageMount[]): [StageMount, StageMount][] {
  const seen = new Map<string, StageMount>();
  const out: [StageMount, StageMount][] = [];
  for (const m of mounts) {
    const key = mountKey(m.path);
    const first = seen.get(key);
    if (first) out.push([first, m]);
    else seen.set(key, m);
  }
  return out;
}
