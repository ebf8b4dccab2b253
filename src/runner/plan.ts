// A run plan: everything the local runner needs for one job of one workflow,
// computed up front (pure) so every problem is reported before anything starts.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { stagesOf, type StageSpec, type Values, type WorkflowSpec } from '../core/model.js';
import { stageMounts, type StageMount } from '../core/mounts.js';
import { resolveWorkflow } from '../core/workflow.js';

export interface StagePlan {
  index: number;
  name: string;
  spec: StageSpec;
  /** Every mount of the stage (core/mounts.ts), each with its host folder. */
  mounts: (StageMount & { host: string })[];
  /** Host folders: the input it reads first (null: it reads none), its main output. */
  input: string | null;
  output: string;
  logsDir: string;
  logFile: string;
  publishDir: string;
  locksDir: string;
  /** Absolute path of the lock this stage waits on, or null. */
  waitLock: string | null;
  /** Every lock that must exist before it starts (waitLock and those of its pipeline inputs). */
  waitLocks: string[];
  /** Every input it lists (or the seed's one): where it comes from, its host folder, its container path. */
  inputs: { from: string; name: string | null; host: string; path: string; readOnly: boolean }[];
  /** Further named outputs: a host folder each, and where it is mounted. */
  extraOutputs: { name: string; host: string; path: string }[];
  /** Absolute path of the lock written when this stage succeeds. */
  lock: string;
  args: string[];
  timeoutMs: number;
}

export interface RunPlan {
  workflowId: string;
  workflowName: string;
  jobId: string;
  jobDir: string;
  /** The job's payload folder (ioFolders[0]): what a received study becomes. */
  payload: string;
  /** Folder local commands run in (the values file's folder). */
  cwd: string;
  stages: StagePlan[];
}

export function planRun(opts: { values: Values; workflowId: string; workflow: WorkflowSpec; jobId: string; dataDir: string; valuesDir: string }): RunPlan {
  const wf = resolveWorkflow(opts.values, opts.workflowId, opts.workflow);
  const specs = stagesOf(opts.values);
  const jobDir = path.join(opts.dataDir, opts.jobId);
  const locksDir = path.join(jobDir, 'locks');
  const logsDir = path.join(jobDir, 'logs');
  const inJob = (rel: string) => {
    const p = path.resolve(jobDir, rel);
    if (p !== jobDir && !p.startsWith(jobDir + path.sep)) throw new UsageError(`ioFolders entry "${rel}" leaves the job folder`);
    return p;
  };
  return {
    workflowId: wf.id,
    workflowName: wf.name,
    jobId: opts.jobId,
    jobDir,
    payload: inJob(wf.ioFolders[0] ?? ''),
    cwd: opts.valuesDir,
    stages: wf.stages.map((s, index) => {
      const waitLock = s.waitLock ? path.join(locksDir, s.waitLock) : null;
      const from = (s.inputs ?? []).filter((inp) => inp.from).map((inp) => wf.stages.find((o) => o.name === inp.from)).filter((o) => o !== undefined);
      const mounts = stageMounts(opts.workflow, index, specs).map((m) => ({ ...m, host: inJob(m.folder) }));
      const inputs = mounts.filter((m) => m.role === 'input');
      return {
        index,
        name: s.name,
        spec: s.spec,
        mounts,
        input: inputs[0]?.host ?? null,
        output: inJob(s.output),
        logsDir,
        logFile: path.join(logsDir, `${s.name}.log`),
        publishDir: path.join(jobDir, 'publish', s.name),
        locksDir,
        waitLock,
        waitLocks: [...new Set([...(waitLock ? [waitLock] : []), ...from.map((o) => path.join(locksDir, o.spec.lockName))])],
        inputs: inputs.map((m) => ({ from: m.from === undefined ? 'previous' : m.from || 'payload', name: m.name ?? (m.from ? (specs[m.from]?.mount?.out?.name ?? 'output') : null), host: m.host, path: m.path, readOnly: m.readOnly })),
        // Further named outputs, each with its own folder (one mapped onto the publish or log folder has that one).
        extraOutputs: (s.spec.extraOutputs ?? []).map((o) => {
          const m = mounts.find((x) => x.outputs?.includes(o.name)) as StageMount & { host: string };
          return { name: o.name, host: m.host, path: o.path };
        }),
        lock: path.join(locksDir, s.spec.lockName),
        args: s.args,
        timeoutMs: Number(s.spec.timeout) * 1000,
      };
    }),
  };
}

/** Stages the process runtime cannot start (no local.command). */
export function stagesWithoutLocalCommand(plan: RunPlan): string[] {
  return plan.stages.filter((s) => !s.spec.local?.command?.length).map((s) => s.name);
}

/** Environment a stage sees: the Clara variables pointing at host folders, then its own env. */
export function processEnv(plan: RunPlan, s: StagePlan, base: Record<string, string | undefined>): Record<string, string | undefined> {
  return {
    ...base,
    NVIDIA_CLARA_INPUT: s.input ?? '',
    NVIDIA_CLARA_OUTPUT: s.output,
    NVIDIA_CLARA_LOGS: s.logsDir,
    NVIDIA_CLARA_PUBLISHING: s.publishDir,
    NVIDIA_CLARA_LOCK: s.lock,
    NVIDIA_CLARA_WAIT_LOCK: s.waitLock ?? '',
    CLARA_JOB_ID: plan.jobId,
    CLARA_WORKFLOW_ID: plan.workflowId,
    CLARA_STAGE: s.name,
    ...inputVariables(s),
    // Each further output's folder, by its name.
    ...Object.fromEntries(s.extraOutputs.map((x) => [`CLARA_OUTPUT_${envName(x.name)}`, x.host])),
    ...(s.spec.env ?? {}),
  };
}

const envName = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/**
 * One variable per input the stage lists: CLARA_INPUT_<STAGE>_<OUTPUT> (the
 * payload: CLARA_INPUT_PAYLOAD), and CLARA_INPUT_<STAGE> for the first input
 * from that stage, as before. Two outputs of one upstream each keep theirs.
 */
function inputVariables(s: StagePlan): Record<string, string> {
  const out: Record<string, string> = {};
  for (const x of s.inputs) {
    if (x.from === 'previous') continue; // the seed's chain: NVIDIA_CLARA_INPUT
    const base = `CLARA_INPUT_${envName(x.from)}`;
    out[base] ??= x.host;
    if (x.name) out[`${base}_${envName(x.name)}`] = x.host;
  }
  return out;
}

export function processArgv(s: StagePlan): string[] {
  return [...(s.spec.local?.command ?? []), ...s.args];
}

/**
 * A container name for a stage of a job, as the chart names its Job
 * (clara.jobObjectName): the whole job ID, so jobs whose IDs share a prefix
 * never share a name; over 63 characters, the ID's first 8 characters, the
 * stage and a hash of the whole name.
 */
export function containerName(plan: RunPlan, s: StagePlan): string {
  const full = `clara-${plan.jobId}-${s.name}`.toLowerCase();
  if (full.length <= 63) return full;
  const readable = `clara-${plan.jobId.slice(0, 8)}-${s.name}`.toLowerCase().slice(0, 52).replace(/-+$/, '');
  return `${readable}-${createHash('sha256').update(full).digest('hex').slice(0, 10)}`;
}

/** `docker run` argv: the job folders mounted where the chart mounts them. */
export function dockerArgv(plan: RunPlan, s: StagePlan, opts: { user?: string } = {}): string[] {
  const sp = s.spec;
  const inContainer = (sub: string) => path.posix.join(sp.appDir, sub);
  const logsInContainer = path.posix.dirname(sp.logName);
  const argv = ['run', '--rm', '--name', containerName(plan, s)];
  if (opts.user) argv.push('--user', opts.user);
  // The same mounts the chart gives the stage's container (core/mounts.ts).
  for (const m of s.mounts) argv.push('--mount', `type=bind,source=${m.host},target=${m.path}${m.readOnly ? ',readonly' : ''}`);
  const env: Record<string, string> = {
    NVIDIA_CLARA_INPUT: s.mounts.find((m) => m.role === 'input')?.path ?? inContainer(sp.inputs),
    NVIDIA_CLARA_OUTPUT: inContainer(sp.outputs),
    NVIDIA_CLARA_LOGS: logsInContainer,
    NVIDIA_CLARA_PUBLISHING: sp.publishPath,
    NVIDIA_CLARA_LOCK: path.posix.join(sp.lockDir, sp.lockName),
    NVIDIA_CLARA_WAIT_LOCK: s.waitLock ? path.posix.join(sp.lockDir, path.basename(s.waitLock)) : '',
    CLARA_JOB_ID: plan.jobId,
    CLARA_WORKFLOW_ID: plan.workflowId,
    CLARA_STAGE: s.name,
    ...(sp.env ?? {}),
  };
  for (const [k, v] of Object.entries(env)) argv.push('--env', `${k}=${v}`);
  if (sp.resources?.gpu) argv.push('--gpus', String(sp.resources.gpu));
  if (sp.resources?.cpu !== undefined) argv.push('--cpus', cpuToDocker(sp.resources.cpu));
  if (sp.resources?.memory !== undefined) argv.push('--memory', memoryToDocker(sp.resources.memory));
  if (sp.imagePullPolicy === 'Always') argv.push('--pull', 'always');
  else if (sp.imagePullPolicy === 'Never') argv.push('--pull', 'never');
  if (sp.command?.length) argv.push('--entrypoint', sp.command[0] as string);
  argv.push(`${sp.image.repository}:${sp.image.tag}`);
  if (sp.command && sp.command.length > 1) argv.push(...sp.command.slice(1));
  argv.push(...s.args);
  return argv;
}

function cpuToDocker(q: string | number): string {
  const s = String(q);
  return s.endsWith('m') ? String(Number(s.slice(0, -1)) / 1000) : s;
}

function memoryToDocker(q: string | number): string {
  const s = String(q);
  const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|K|M|G|T|k)?$/.exec(s);
  if (!m) return s;
  const unit = { Ki: 'k', Mi: 'm', Gi: 'g', Ti: 't', K: 'k', k: 'k', M: 'm', G: 'g', T: 't' }[m[2] ?? ''] ?? 'b';
  return `${m[1]}${unit}`;
}
