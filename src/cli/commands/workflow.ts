import { readPackageText } from '../../adapters/package-files.js';
import { UsageError } from '../../core/errors.js';
import { stagesOf, workflowsOf } from '../../core/model.js';
import { renderTemplate } from '../../core/text-templates.js';
import { insertWorkflowEntry, removeWorkflowEntry } from '../../core/values-edit.js';
import { stageMounts } from '../../core/mounts.js';
import { deriveWorkflow, findWorkflow, newWorkflowId, normaliseWorkflowId, stageInputPath } from '../../core/workflow.js';
import type { Ctx } from '../context.js';
import { editValues, loadValues, removeWithMappings } from '../values-file.js';
import { table } from './stage.js';

interface CreateFlags {
  name: string;
  stages: string;
  id?: string;
  arg?: string[];
}

export async function create(ctx: Ctx, flags: CreateFlags): Promise<number> {
  const stageNames = flags.stages.split(',').map((s) => s.trim()).filter(Boolean);
  if (!stageNames.length) throw new UsageError('--stages needs at least one stage, e.g. --stages dicom-reader,user-ai,dicom-writer');
  const args = new Map<string, string[]>();
  for (const a of flags.arg ?? []) {
    const eq = a.indexOf('=');
    const stage = eq > 0 ? a.slice(0, eq) : '';
    if (!stage || !stageNames.includes(stage)) {
      throw new UsageError(`--arg takes <stage>=<argument> for a stage of this workflow (${stageNames.join(', ')}), not "${a}"`);
    }
    args.set(stage, [...(args.get(stage) ?? []), a.slice(eq + 1)]);
  }
  const id = flags.id ? normaliseWorkflowId(flags.id) : newWorkflowId();
  const template = readPackageText('templates', 'workflow-entry.hbs');
  await editValues(ctx, ({ text, check }) => {
    const values = check.values;
    const stages = stagesOf(values);
    const missing = stageNames.filter((s) => !(s in stages));
    if (missing.length) {
      throw new UsageError(`stage${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not defined; create ${missing.length > 1 ? 'them' : 'it'} first with \`clara-wf cs ${missing[0]}\``);
    }
    const all = workflowsOf(values);
    if (id in all) throw new UsageError(`workflow ID ${id} is already used by workflow "${all[id]?.name}"; a workflow ID is for one workflow only`);
    const clash = Object.entries(all).find(([, w]) => w?.name === flags.name);
    if (clash) throw new UsageError(`a workflow named "${flags.name}" exists already (${clash[0]}); names are unique`);
    const workflow = deriveWorkflow(flags.name, stageNames, values, args);
    return insertWorkflowEntry(text, check, renderTemplate(template, { id, workflow }));
  });
  if (ctx.json) ctx.printJson({ ok: true, id, name: flags.name });
  else ctx.out(id);
  return 0;
}

export function list(ctx: Ctx): number {
  const { values } = loadValues(ctx);
  const rows = Object.entries(workflowsOf(values)).map(([id, w]) => ({ id, name: String(w?.name ?? ''), stages: Array.isArray(w?.stages) ? w.stages : [] }));
  if (ctx.json) {
    ctx.printJson(rows);
    return 0;
  }
  table(ctx, ['ID', 'NAME', 'STAGES'], rows.map((r) => [r.id, r.name, r.stages.join(' → ')]));
  return 0;
}

export function show(ctx: Ctx, ref: string): number {
  const { values } = loadValues(ctx);
  const { id, workflow } = findWorkflow(values, ref);
  if (ctx.json) {
    ctx.printJson({ id, ...workflow });
    return 0;
  }
  ctx.out(`${workflow.name}  ${id}`);
  table(
    ctx,
    ['#', 'STAGE', 'WAITS ON', 'INPUT', 'OUTPUT', 'ARGS'],
    workflow.stages.map((s, i) => {
      const a = workflow.args[i];
      // What the stage reads is what it mounts (core/mounts.ts): each input's folder, with its path when not the stage's own input folder.
      const listed = workflow.inputs?.[i];
      const spec = stagesOf(values)[s];
      const inputs = stageMounts(workflow, i, stagesOf(values), id).filter((m) => m.role === 'input');
      const read = inputs.map((m) => (m.path === stageInputPath(spec) ? m.folder : `${m.folder} at ${m.path}`));
      const waits = [...new Set([workflow.waitLocks[i], ...(Array.isArray(listed) ? listed.map((x) => (x.from ? stagesOf(values)[x.from]?.lockName : '')) : [])].filter(Boolean))];
      return [String(i + 1), s, waits.join(', ') || '-', read.join('; ') || '-', workflow.ioFolders[i + 1] ?? '?', Array.isArray(a) && a.length ? a.join(' ') : '-'];
    }),
  );
  return 0;
}

export async function remove(ctx: Ctx, ref: string, opts: { force?: boolean } = {}): Promise<number> {
  let removed = { id: '', name: '' };
  const dicomFile = ctx.display(ctx.dicomConfigFile);
  const outcome = await removeWithMappings(
    ctx,
    ({ text, check }) => {
      const { id, workflow } = findWorkflow(check.values, ref);
      removed = { id, name: workflow.name };
      return { text: removeWorkflowEntry(text, check, id), workflowIds: [id] };
    },
    (mappings) => {
      if (!mappings.length || opts.force) return;
      const titles = mappings.map((m) => m['clara-ae-title']).join(', ');
      throw new UsageError(
        `workflow ${removed.name} (${removed.id}) is mapped in ${dicomFile} to AE title${mappings.length > 1 ? 's' : ''} ${titles}; pass --force to remove the mapping${mappings.length > 1 ? 's' : ''} with it, or first: clara-wf dicom unmap ${mappings[0]?.['clara-ae-title']} --workflow ${removed.name}`,
      );
    },
  );
  const unmapped = outcome.mappingsRemoved.map((m) => ({ name: m.name, aeTitle: m['clara-ae-title'] }));
  if (ctx.json) ctx.printJson({ ok: true, ...removed, mappingsRemoved: unmapped });
  else if (!ctx.quiet) {
    ctx.out(`workflow ${removed.name} (${removed.id}) removed`);
    for (const m of unmapped) ctx.out(`mapping ${m.name} (${m.aeTitle}) removed from ${dicomFile} (--force)`);
  }
  return 0;
}
