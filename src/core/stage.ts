// A stage's spec derived from its name (as the seed's `clara-wf cs` did), and
// regeneration that keeps a user's overrides while following changed bases.
import path from 'node:path';
import { UsageError } from './errors.js';
import { DNS1123_LABEL, type StageSpec } from './model.js';

export interface StageOptions {
  repository?: string;
  tag?: string;
  imagePullPolicy?: StageSpec['imagePullPolicy'];
  timeout?: string;
  appDir?: string;
  inputs?: string;
  outputs?: string;
  lockDir?: string;
  publishPath?: string;
  command?: string[];
  env?: Record<string, string>;
  cpu?: string;
  memory?: string;
  gpu?: number;
  localCommand?: string[];
  description?: string;
}

export function assertStageName(name: string): void {
  if (!DNS1123_LABEL.test(name)) {
    throw new UsageError(
      `"${name}" is not a valid stage name: use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit (it becomes a Kubernetes name)`,
    );
  }
}

interface Base {
  appDir: string;
  inputs: string;
  outputs: string;
  lockDir: string;
}

const join = (...p: string[]) => path.posix.join(...p);

/** Fields that follow from the name and the base fields. */
function derived(name: string, b: Base) {
  return {
    inputLock: join(b.lockDir, 'input.lock'),
    logName: join(b.appDir, 'logs', `${name}.log`),
    mountIn: b.inputs,
    mountOut: b.outputs,
  };
}

/** The spec `cs <name>` writes: the existing stage (if any) with the given options applied. */
export function stageSpec(name: string, opts: StageOptions, existing?: Partial<StageSpec>): StageSpec {
  assertStageName(name);
  const e = existing ?? {};
  const oldAppDir = e.appDir ?? '/app';
  const oldBase: Base = {
    appDir: oldAppDir,
    inputs: e.inputs ?? 'input',
    outputs: e.outputs ?? 'output',
    lockDir: e.lockDir ?? join(oldAppDir, 'locks'),
  };
  const appDir = trimSlash(opts.appDir ?? oldBase.appDir);
  // lockDir follows appDir unless it was customised.
  const lockDirFollows = oldBase.lockDir === join(oldAppDir, 'locks');
  const base: Base = {
    appDir,
    inputs: opts.inputs ?? oldBase.inputs,
    outputs: opts.outputs ?? oldBase.outputs,
    lockDir: trimSlash(opts.lockDir ?? (lockDirFollows ? join(appDir, 'locks') : oldBase.lockDir)),
  };
  const before = derived(name, oldBase);
  const after = derived(name, base);
  // A derived field keeps its value only if the user had changed it by hand.
  const keep = <T>(current: T | undefined, was: T, now: T): T => (current !== undefined && current !== was ? current : now);

  const spec: StageSpec = {
    image: {
      repository: opts.repository ?? e.image?.repository ?? name,
      tag: opts.tag ?? e.image?.tag ?? 'latest',
    },
    mount: {
      in: { name: keep(e.mount?.in?.name, before.mountIn, after.mountIn) },
      out: { name: keep(e.mount?.out?.name, before.mountOut, after.mountOut) },
    },
    stageName: name,
    appDir: base.appDir,
    inputLock: keep(e.inputLock, before.inputLock, after.inputLock),
    inputs: base.inputs,
    logName: keep(e.logName, before.logName, after.logName),
    outputs: base.outputs,
    lockDir: base.lockDir,
    lockName: `${name}.lock`,
    timeout: opts.timeout ?? e.timeout ?? '300',
    publishPath: trimSlash(opts.publishPath ?? e.publishPath ?? '/publish'),
  };
  const pull = opts.imagePullPolicy ?? e.imagePullPolicy;
  if (pull) spec.imagePullPolicy = pull;
  const command = opts.command ?? e.command;
  if (command?.length) spec.command = command;
  const env = { ...(e.env ?? {}), ...(opts.env ?? {}) };
  if (Object.keys(env).length) spec.env = env;
  const resources = { ...(e.resources ?? {}) };
  if (opts.cpu !== undefined) resources.cpu = opts.cpu;
  if (opts.memory !== undefined) resources.memory = opts.memory;
  if (opts.gpu !== undefined) resources.gpu = opts.gpu;
  if (Object.keys(resources).length) spec.resources = resources;
  const local = opts.localCommand ?? e.local?.command;
  if (local?.length) spec.local = { command: local };
  const description = opts.description ?? e.description;
  if (description) spec.description = description;
  // Kept as they are when the block is regenerated (cs); import sets them.
  if (e.extraOutputs?.length) spec.extraOutputs = e.extraOutputs;
  if (e.retries !== undefined) spec.retries = e.retries;
  if (e.securityContext) spec.securityContext = e.securityContext;
  if (e.automountServiceAccountToken !== undefined) spec.automountServiceAccountToken = e.automountServiceAccountToken;
  return spec;
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** Data for templates/stage-block.hbs. */
export function stageTemplateData(name: string, spec: StageSpec): object {
  return {
    name,
    spec,
    env: spec.env ? Object.entries(spec.env).map(([k, v]) => ({ name: k, value: v })) : null,
    hasGpu: spec.resources?.gpu !== undefined,
    hasRetries: spec.retries !== undefined,
    hasAutomount: spec.automountServiceAccountToken !== undefined,
  };
}
