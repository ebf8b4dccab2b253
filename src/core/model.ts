// The shapes of values.yaml, as read after schema validation. Rules still treat
// them defensively: they run on invalid input too, to report everything at once.
export interface StageSpec {
  image: { repository: string; tag: string };
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  mount: { in: { name: string }; out: { name: string } };
  stageName: string;
  appDir: string;
  inputLock: string;
  inputs: string;
  logName: string;
  outputs: string;
  /** Further named outputs (a pipeline operator with several), each mounted at its path. */
  extraOutputs?: { name: string; path: string }[];
  lockDir: string;
  lockName: string;
  timeout: string;
  /** Engine argo: retries after a failure (retryStrategy.limit). */
  retries?: number;
  publishPath: string;
  command?: string[];
  env?: Record<string, string>;
  resources?: { cpu?: string | number; memory?: string | number; gpu?: number };
  securityContext?: Record<string, unknown>;
  automountServiceAccountToken?: boolean;
  local?: { command: string[] };
  description?: string;
}

export type StageArgs = '' | string[];

/** A pipeline-style input of a stage: the output of an earlier stage, mounted at `path`. */
export interface StageInput {
  /** An earlier stage whose output this is; none: the job's payload (ioFolders[0]). */
  from?: string;
  name?: string;
  path: string;
}

export interface WorkflowSpec {
  name: string;
  description?: string;
  stages: string[];
  waitLocks: string[];
  ioFolders: string[];
  args: StageArgs[];
  /** Optional, per stage: "" or its inputs (fan-in from several earlier stages). */
  inputs?: ('' | StageInput[])[];
}

export interface Values {
  stages?: Record<string, StageSpec> | null;
  workflows?: Record<string, WorkflowSpec> | null;
  [key: string]: unknown;
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function stagesOf(values: unknown): Record<string, Partial<StageSpec>> {
  const s = isRecord(values) ? values.stages : undefined;
  return isRecord(s) ? (s as Record<string, Partial<StageSpec>>) : {};
}

export function workflowsOf(values: unknown): Record<string, Partial<WorkflowSpec>> {
  const w = isRecord(values) ? values.workflows : undefined;
  return isRecord(w) ? (w as Record<string, Partial<WorkflowSpec>>) : {};
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
