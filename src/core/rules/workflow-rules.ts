import { closest, distance } from 'fastest-levenshtein';
import { findCycle } from '../check-document.js';
import { pointer, type Finding } from '../diagnostic.js';
import { stagesOf, workflowsOf, type StageSpec, type WorkflowSpec } from '../model.js';
import { duplicateMounts, stageMounts } from '../mounts.js';

export function workflowRules(values: unknown): Finding[] {
  const out: Finding[] = [];
  const stages = stagesOf(values);
  const stageNames = Object.keys(stages);
  const names = new Map<string, string>();
  const reportedMounts = new Set<string>();

  for (const [id, wf] of Object.entries(workflowsOf(values))) {
    if (!wf || typeof wf !== 'object') continue;
    const at = (...p: (string | number)[]) => pointer('workflows', id, ...p);

    if (typeof wf.name === 'string') {
      const prev = names.get(wf.name);
      if (prev !== undefined) {
        out.push({ severity: 'error', code: 'WORKFLOW_NAME_DUPLICATE', path: at('name'), message: `workflow name "${wf.name}" is already used by workflow ${prev}`, hint: 'workflow names are unique: rename one of them' });
      } else names.set(wf.name, id);
    }

    const list = Array.isArray(wf.stages) ? wf.stages : null;
    if (!list) continue;
    const n = list.length;
    const lengths: [string, unknown, number][] = [
      ['waitLocks', wf.waitLocks, n],
      ['args', wf.args, n],
      ['ioFolders', wf.ioFolders, n + 1],
    ];
    for (const [key, arr, want] of lengths) {
      if (Array.isArray(arr) && arr.length !== want) {
        const what = key === 'ioFolders' ? `one more than the ${n} stages (each stage's input, then the last stage's output)` : `one per stage (${n})`;
        out.push({ severity: 'error', code: 'WORKFLOW_LENGTH_MISMATCH', path: at(key), at: 'key', message: `${key} has ${arr.length} entr${arr.length === 1 ? 'y' : 'ies'}; it needs ${want}: ${what}` });
      }
    }

    // Stage references.
    const position = new Map<string, number>();
    list.forEach((s, i) => {
      if (typeof s !== 'string') return;
      if (!(s in stages)) {
        const guess = stageNames.length ? closest(s, stageNames) : undefined;
        const near = guess !== undefined && distance(s, guess) <= Math.max(2, Math.floor(guess.length / 3));
        out.push({ severity: 'error', code: 'WORKFLOW_STAGE_UNKNOWN', path: at('stages', i), message: `stage "${s}" is not defined under stages:`, hint: near ? `did you mean "${guess}"?` : `create it with \`clara-wf cs ${s}\`` });
      }
      if (position.has(s)) {
        out.push({ severity: 'error', code: 'WORKFLOW_STAGE_REPEATED', path: at('stages', i), message: `stage "${s}" appears twice in this workflow (also at position ${(position.get(s) as number) + 1}); its lock and folders would collide` });
      } else position.set(s, i);
    });

    // Wait locks: "" or the lockName of a stage that runs earlier in this workflow.
    const lockOwner = new Map<string, number>();
    list.forEach((s, i) => {
      const spec = typeof s === 'string' ? stages[s] : undefined;
      const lock = spec && typeof spec.lockName === 'string' ? spec.lockName : typeof s === 'string' ? `${s}.lock` : undefined;
      if (lock && !lockOwner.has(lock)) lockOwner.set(lock, i);
    });
    const edges: [number, number][] = [];
    if (Array.isArray(wf.waitLocks)) {
      wf.waitLocks.forEach((lock, i) => {
        if (typeof lock !== 'string' || lock === '' || i >= n) return;
        const owner = lockOwner.get(lock);
        if (owner === undefined) {
          const other = Object.entries(stages).find(([, st]) => st && st.lockName === lock)?.[0];
          out.push({
            severity: 'error',
            code: 'WAITLOCK_UNKNOWN',
            path: at('waitLocks', i),
            message: other
              ? `"${lock}" is the lock of stage "${other}", which is not part of this workflow`
              : `"${lock}" is not the lockName of any stage in this workflow`,
            hint: i > 0 ? `the stage before it writes "${lockOfIndex(list, stages, i - 1)}"` : 'the first stage waits on nothing: use ""',
          });
          return;
        }
        edges.push([owner, i]);
        if (owner >= i) {
          out.push({ severity: 'error', code: 'WAITLOCK_ORDER', path: at('waitLocks', i), message: `stage "${String(list[i])}" waits on "${lock}", written by "${String(list[owner])}" which runs ${owner === i ? 'as this very stage' : 'later'}`, hint: 'a stage can only wait on the lock of a stage listed before it' });
        }
      });
    }
    const cycle = findCycle(n, edges);
    if (cycle) {
      out.push({ severity: 'error', code: 'WAITLOCK_CYCLE', path: at('waitLocks'), at: 'key', message: `the wait locks form a cycle: ${cycle.map((i) => String(list[i])).join(' → ')}; no stage in it can ever start` });
    }

    // Pipeline-style inputs: one entry per stage, each naming an earlier stage.
    if (Array.isArray(wf.inputs)) {
      if (wf.inputs.length !== n) {
        out.push({ severity: 'error', code: 'WORKFLOW_LENGTH_MISMATCH', path: at('inputs'), at: 'key', message: `inputs has ${wf.inputs.length} entries; it needs one per stage (${n})` });
      }
      wf.inputs.forEach((entry, i) => {
        if (!Array.isArray(entry)) return;
        entry.forEach((inp, k) => {
          const from = (inp as { from?: unknown })?.from;
          if (typeof from !== 'string') return;
          const j = list.indexOf(from);
          if (j < 0 || j >= i) {
            out.push({ severity: 'error', code: 'INPUTS_FROM_INVALID', path: at('inputs', i, k, 'from'), message: `input from "${from}" must name a stage that runs before ${String(list[i])} in this workflow` });
            return;
          }
          // A name must be one of that stage's outputs: a typo would otherwise read its main output silently.
          const name = (inp as { name?: unknown })?.name;
          const src = stages[from];
          if (src?.mount?.out?.name !== undefined) {
            const names = [src.mount.out.name, ...(src.extraOutputs ?? []).map((o) => o.name)];
            if (typeof name === 'string' && !names.includes(name)) out.push({ severity: 'error', code: 'INPUTS_NAME_UNKNOWN', path: at('inputs', i, k, 'name'), message: `input "${name}" is not an output of ${from} (its outputs: ${names.join(', ')})` });
            // CPDL: with several outputs an input must say which; the chart would take the first, which is a guess.
            if (name === undefined && names.length > 1) out.push({ severity: 'error', code: 'INPUTS_NAME_AMBIGUOUS', path: at('inputs', i, k, 'from'), message: `input from ${from} does not say which of its ${names.length} outputs it reads`, hint: `add name: one of ${names.join(', ')}` });
          }
        });
      });
    }

    out.push(...mountRules(wf as WorkflowSpec, id, stages, reportedMounts));

    if (Array.isArray(wf.ioFolders)) {
      wf.ioFolders.forEach((f, i) => {
        if (typeof f !== 'string') return;
        const problem = ioFolderProblem(f);
        if (problem) out.push({ severity: 'error', code: 'IOFOLDER_INVALID', path: at('ioFolders', i), message: `ioFolders entry ${JSON.stringify(f)} ${problem.message}`, hint: problem.fix });
      });
    }
  }
  return out;
}

const MOUNT_FIELDS = ['appDir', 'inputs', 'outputs', 'lockDir', 'logName', 'publishPath'] as const;

/**
 * Each path mounted once per container. The API server refuses a pod whose
 * container mounts one path twice: kubernetes/kubernetes
 * pkg/apis/core/validation/validation.go, ValidateVolumeMounts
 * (`mountpoints.Has(mnt.MountPath)` → field.Invalid(…, "must be unique")),
 * and Docker refuses `--mount` twice at one target ("Duplicate mount point").
 * Checked only where the workflow and its stages are well-formed enough to
 * compute the mounts; the other rules report the rest.
 */
function mountRules(wf: WorkflowSpec, id: string, stages: Record<string, Partial<StageSpec>>, reported: Set<string>): Finding[] {
  const out: Finding[] = [];
  const list = wf.stages;
  if (!Array.isArray(wf.ioFolders) || wf.ioFolders.length !== list.length + 1 || wf.ioFolders.some((f) => typeof f !== 'string')) return out;
  if (wf.inputs !== undefined && (!Array.isArray(wf.inputs) || wf.inputs.length !== list.length)) return out;
  list.forEach((s, i) => {
    const sp = typeof s === 'string' ? stages[s] : undefined;
    if (!sp || MOUNT_FIELDS.some((f) => typeof (sp as Record<string, unknown>)[f] !== 'string') || !Array.isArray(sp.extraOutputs ?? [])) return;
    if ((sp.extraOutputs ?? []).some((o) => typeof o?.path !== 'string' || typeof o?.name !== 'string')) return;
    const entry = wf.inputs?.[i];
    if (Array.isArray(entry) && entry.some((x) => typeof x?.path !== 'string')) return;
    for (const [first, second] of duplicateMounts(stageMounts(wf, i, stages, id))) {
      // Reported at the field that adds the second mount; a stage's own field once, not once per workflow that uses it.
      if (reported.has(second.field)) continue;
      reported.add(second.field);
      out.push({ severity: 'error', code: 'MOUNT_PATH_DUPLICATE', path: second.field, message: `stage ${s} in workflow ${wf.name}: ${second.source} is mounted at ${second.path}, where ${first.source} is mounted already (Kubernetes refuses a container with two mounts at one path)`, hint: 'give one of them another path' });
    }
  });
  return out;
}

function lockOfIndex(list: unknown[], stages: Record<string, { lockName?: string }>, i: number): string {
  const s = String(list[i]);
  return stages[s]?.lockName ?? `${s}.lock`;
}

/** Relative, normalised, no '..', whitespace or empty segments. */
export function ioFolderProblem(f: string): { message: string; fix: string } | null {
  const message = ioFolderDefect(f);
  if (!message) return null;
  // The fix is worked out only for a bad entry: this runs for every folder of every workflow.
  const suggestion = f
    .replace(/\\/g, '/')
    .split('/')
    .map((s) => s.trim())
    .filter((s) => s && s !== '.' && s !== '..')
    .join('/');
  return { message, fix: suggestion ? `write "${suggestion}"` : 'use a path like "<stage>/output"' };
}

function ioFolderDefect(f: string): string | null {
  if (f === '') return 'is empty';
  if (/\s/.test(f)) return 'contains whitespace';
  if (f.startsWith('/')) return 'is absolute; folders are relative to the job folder';
  if (f.includes('\\')) return 'uses a backslash; use "/" between folders';
  const segs = f.split('/');
  if (segs.includes('..')) return 'leaves the job folder with ".."';
  if (segs.includes('')) return 'has an empty path segment (a doubled or trailing "/")';
  if (segs.includes('.')) return 'is not normalised (contains ".")';
  return null;
}
