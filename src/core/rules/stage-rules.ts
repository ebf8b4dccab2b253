import path from 'node:path';
import { pointer, type Finding } from '../diagnostic.js';
import { stagesOf, workflowsOf } from '../model.js';

/** stageName/lockName agree with the key; `latest` tags; stages no workflow uses. */
export function stageRules(values: unknown): Finding[] {
  const out: Finding[] = [];
  const stages = stagesOf(values);
  const used = new Set<string>();
  for (const wf of Object.values(workflowsOf(values))) {
    if (Array.isArray(wf?.stages)) for (const s of wf.stages) used.add(String(s));
  }
  for (const [name, stage] of Object.entries(stages)) {
    if (!stage || typeof stage !== 'object') continue;
    if (typeof stage.stageName === 'string' && stage.stageName !== name) {
      out.push({ severity: 'error', code: 'STAGE_NAME_MISMATCH', path: pointer('stages', name, 'stageName'), message: `stageName "${stage.stageName}" does not match the stage key "${name}"`, hint: `set stageName: "${name}"` });
    }
    if (typeof stage.lockName === 'string' && stage.lockName !== `${name}.lock`) {
      out.push({ severity: 'error', code: 'LOCK_NAME_MISMATCH', path: pointer('stages', name, 'lockName'), message: `lockName "${stage.lockName}" does not match the stage key "${name}"`, hint: `set lockName: "${name}.lock" (workflows wait on it by that name)` });
    }
    if (stage.image && typeof stage.image === 'object' && stage.image.tag === 'latest') {
      out.push({ severity: 'warning', code: 'IMAGE_TAG_LATEST', path: pointer('stages', name, 'image', 'tag'), message: `stage "${name}" uses the tag "latest", so what runs can change without a change here`, hint: `pin a version: clara-wf cs ${name} --tag <version>` });
    }
    if (Array.isArray(stage.extraOutputs)) {
      // Each output its own name and folder: a clash would mount two outputs on one path.
      const inApp = (sub: unknown) => path.posix.join(String(stage.appDir), String(sub));
      const taken = new Map<string, string>([[String(stage.mount?.out?.name), 'the main output'], [inApp(stage.outputs), 'the main output folder'], [inApp(stage.inputs), 'the input folder']]);
      stage.extraOutputs.forEach((o, k) => {
        if (!o || typeof o !== 'object') return;
        for (const [key, what] of [[o.name, 'name'], [o.path, 'path']] as const) {
          if (typeof key !== 'string') continue;
          const other = taken.get(key);
          if (other) out.push({ severity: 'error', code: 'OUTPUT_CLASH', path: pointer('stages', name, 'extraOutputs', k, what), message: `extraOutputs ${what} "${key}" is already ${other}'s`, hint: 'give each output its own name and path' });
          else taken.set(key, `extraOutputs ${k + 1}`);
        }
      });
    }
    if (!used.has(name)) {
      out.push({ severity: 'warning', code: 'STAGE_UNUSED', path: pointer('stages', name), at: 'key', message: `stage "${name}" is used by no workflow`, hint: `add it to a workflow (clara-wf workflow create) or remove it (clara-wf stage remove ${name})` });
    }
  }
  return out;
}
