import { readPackageText } from '../../adapters/package-files.js';
import { UsageError } from '../../core/errors.js';
import { stagesOf } from '../../core/model.js';
import { assertStageName, stageSpec, stageTemplateData, type StageOptions } from '../../core/stage.js';
import { renderTemplate } from '../../core/text-templates.js';
import { removeStageBlock, removeWorkflowEntry, upsertStageBlock } from '../../core/values-edit.js';
import { readValues } from '../../core/validate-values.js';
import { workflowsUsing } from '../../core/workflow.js';
import type { Ctx } from '../context.js';
import { editValues, loadValues, removeWithMappings } from '../values-file.js';

interface CreateFlags {
  image?: string;
  tag?: string;
  imagePullPolicy?: StageOptions['imagePullPolicy'];
  timeout?: string;
  appDir?: string;
  inputs?: string;
  outputs?: string;
  lockDir?: string;
  publishPath?: string;
  command?: string[];
  env?: string[];
  cpu?: string;
  memory?: string;
  gpu?: string;
  localCommand?: string[];
}

/** Command-line flags → stage options; malformed flags are usage errors before anything is read. */
export function stageOptions(f: CreateFlags): StageOptions {
  const o: StageOptions = {};
  if (f.image !== undefined) {
    // "repo[:tag]": a colon after the last "/" starts the tag (a registry port comes before it).
    const slash = f.image.lastIndexOf('/');
    const colon = f.image.lastIndexOf(':');
    if (colon > slash) {
      o.repository = f.image.slice(0, colon);
      o.tag = f.image.slice(colon + 1);
    } else o.repository = f.image;
  }
  if (f.tag !== undefined) o.tag = f.tag;
  if (f.imagePullPolicy) o.imagePullPolicy = f.imagePullPolicy;
  if (f.timeout !== undefined) {
    if (!/^[1-9][0-9]{0,8}$/.test(f.timeout)) throw new UsageError(`--timeout must be a positive whole number of seconds, not "${f.timeout}"`);
    o.timeout = f.timeout;
  }
  for (const k of ['appDir', 'inputs', 'outputs', 'lockDir', 'publishPath', 'cpu', 'memory'] as const) {
    if (f[k] !== undefined) o[k] = f[k];
  }
  if (f.command) o.command = f.command;
  if (f.localCommand) o.localCommand = f.localCommand;
  if (f.env) {
    o.env = {};
    for (const kv of f.env) {
      const eq = kv.indexOf('=');
      if (eq < 1) throw new UsageError(`--env takes NAME=value, not "${kv}"`);
      o.env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  if (f.gpu !== undefined) {
    if (!/^[0-9]+$/.test(f.gpu)) throw new UsageError(`--gpu must be a whole number, not "${f.gpu}"`);
    o.gpu = Number(f.gpu);
  }
  return o;
}

export async function create(ctx: Ctx, name: string, flags: CreateFlags): Promise<number> {
  assertStageName(name);
  const opts = stageOptions(flags);
  const template = readPackageText('templates', 'stage-block.hbs');
  let existed = false;
  const outcome = await editValues(ctx, ({ text, check }) => {
    const existing = stagesOf(check.values)[name];
    existed = existing !== undefined;
    const spec = stageSpec(name, opts, existing);
    return upsertStageBlock(text, check, name, renderTemplate(template, stageTemplateData(name, spec)));
  });
  const verb = !outcome.changed ? 'unchanged' : existed ? 'regenerated' : 'created';
  const fence = (outcome.after ?? outcome.before.check).fences.find((f) => f.name === name);
  const where = fence ? `${outcome.before.file}:${fence.begin + 1}-${fence.end + 1}` : outcome.before.file;
  if (ctx.json) ctx.printJson({ ok: true, stage: name, result: verb, file: outcome.before.file, lines: fence ? [fence.begin + 1, fence.end + 1] : null });
  else if (!ctx.quiet) ctx.out(`stage ${name} ${verb} (${where})`);
  return 0;
}

export function list(ctx: Ctx): number {
  const { values } = loadValues(ctx);
  const rows = Object.entries(stagesOf(values)).map(([name, s]) => ({
    name,
    image: s?.image ? `${s.image.repository}:${s.image.tag}` : '',
    timeout: s?.timeout ?? '',
    workflows: workflowsUsing(values, name).map((w) => w.name),
  }));
  if (ctx.json) {
    ctx.printJson(rows);
    return 0;
  }
  table(ctx, ['STAGE', 'IMAGE', 'TIMEOUT', 'USED BY'], rows.map((r) => [r.name, r.image, r.timeout, r.workflows.join(', ') || '-']));
  return 0;
}

export async function remove(ctx: Ctx, name: string, opts: { force?: boolean }): Promise<number> {
  let cascaded: { id: string; name: string }[] = [];
  const dicomFile = ctx.display(ctx.dicomConfigFile);
  const outcome = await removeWithMappings(
    ctx,
    ({ text, check }) => {
      if (!(name in stagesOf(check.values))) throw new UsageError(`no stage "${name}"; see \`clara-wf stage list\``);
      cascaded = workflowsUsing(check.values, name);
      // Remove workflow entries first (bottom of the file), re-checking so line numbers stay right.
      let out = text;
      for (const u of cascaded) out = removeWorkflowEntry(out, readValues(out, ctx.valuesFile), u.id);
      return { text: removeStageBlock(out, readValues(out, ctx.valuesFile), name), workflowIds: cascaded.map((u) => u.id) };
    },
    (mappings) => {
      if (!cascaded.length || opts.force) return;
      const them = cascaded.length > 1 ? 'them' : 'it';
      const mapped = mappings.length ? ` and mapped in ${dicomFile} by ${mappings.map((m) => `${m.name} (${m['clara-ae-title']})`).join(', ')}` : '';
      throw new UsageError(
        `stage ${name} is used by workflow${cascaded.length > 1 ? 's' : ''} ${cascaded.map((u) => `${u.name} (${u.id})`).join(', ')}${mapped}; remove ${them} first, or pass --force to remove ${them}${mappings.length ? ' and the mappings' : ''} too`,
      );
    },
  );
  const unmapped = outcome.mappingsRemoved.map((m) => ({ name: m.name, aeTitle: m['clara-ae-title'] }));
  if (ctx.json) ctx.printJson({ ok: true, stage: name, removed: outcome.changed, workflowsRemoved: cascaded, mappingsRemoved: unmapped });
  else if (!ctx.quiet) {
    ctx.out(`stage ${name} removed`);
    for (const w of cascaded) ctx.out(`workflow ${w.name} (${w.id}) removed (--force)`);
    for (const m of unmapped) ctx.out(`mapping ${m.name} (${m.aeTitle}) removed from ${dicomFile} (--force)`);
  }
  return 0;
}

export function table(ctx: Ctx, head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ');
  ctx.out(line(head));
  for (const r of rows) ctx.out(line(r));
}

