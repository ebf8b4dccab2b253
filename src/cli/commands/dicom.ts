// clara-wf dicom ...: the DICOM adapter configuration (seed 000 §12.7), edited
// surgically like values.yaml: atomic, locked, validated before it is written.
import { UsageError } from '../../core/errors.js';
import { readText } from '../../adapters/files.js';
import { aeTitleProblem, checkDicomConfig, DEFAULT_PROCESSOR, hostProblem, type DicomConfig } from '../../core/dicom-config.js';
import { hasErrors, pointer } from '../../core/diagnostic.js';
import { findWorkflow } from '../../core/workflow.js';
import { appendToSequence, removeSequenceItem, removeSequenceItems, replaceSequenceItem } from '../../core/yaml-edit.js';
import type { Ctx } from '../context.js';
import { editDicomConfig, loadDicomConfig, valuesForReferences } from '../dicom-file.js';
import { wholeNumber } from '../numbers.js';
import { table } from './stage.js';

const list = <T>(v: T[] | null | undefined): T[] => (Array.isArray(v) ? v : []);

function ae(value: string): string {
  const p = aeTitleProblem(value);
  if (p) throw new UsageError(`AE title ${p}`);
  return value;
}

const PORT = { min: 1, max: 65535 };

function host(value: string): string {
  const p = hostProblem(value);
  if (p) throw new UsageError(`--host: ${p}`);
  return value;
}

/** `what` says what changed; `already` what was found when nothing had to change. */
async function report(ctx: Ctx, what: string, changed: boolean, file: string, already?: string): Promise<number> {
  const text = changed ? what : (already ?? `${what}: nothing to change`);
  if (ctx.json) ctx.printJson({ ok: true, result: text, changed, file });
  else if (!ctx.quiet) ctx.out(`${text} (${file})`);
  return 0;
}

export async function aeAdd(ctx: Ctx, title: string, f: { processor?: string; grouping?: string; timeout?: string; trigger?: 'quiet' | 'release' }): Promise<number> {
  ae(title);
  const intake = {
    ...(f.grouping ? { grouping: f.grouping } : {}),
    ...(f.timeout !== undefined ? { timeout: wholeNumber(f.timeout, '--timeout', 5, { min: 0, max: 86400, unit: 'of seconds' }) } : {}),
    ...(f.trigger ? { trigger: f.trigger } : {}),
  };
  const r = await editDicomConfig(ctx, ({ text, check, config }) => {
    const existing = list(config.dicom?.scp?.['ae-titles']).find((a) => a['ae-title'] === title);
    if (existing) {
      if ((!f.processor || existing.processor === f.processor) && !Object.keys(intake).length) return text;
      throw new UsageError(`AE title ${title} exists already (processor ${existing.processor}); remove it first to change its processor`);
    }
    return appendToSequence(text, check.yaml!, pointer('dicom', 'scp', 'ae-titles'), { 'ae-title': title, processor: f.processor ?? DEFAULT_PROCESSOR, ...intake });
  });
  return report(ctx, `AE title ${title} added`, r.changed, ctx.display(ctx.dicomConfigFile), `AE title ${title} is already configured`);
}

export async function aeRemove(ctx: Ctx, title: string): Promise<number> {
  const r = await editDicomConfig(ctx, ({ text, check, config }) => {
    const i = list(config.dicom?.scp?.['ae-titles']).findIndex((a) => a['ae-title'] === title);
    if (i < 0) throw new UsageError(`no AE title ${title} in dicom.scp.ae-titles`);
    const users = mappingsOf(config, title);
    if (users.length) throw new UsageError(`AE title ${title} is used by ${users.join(', ')}; remove the mapping${users.length > 1 ? 's' : ''} first (clara-wf dicom unmap ${title})`);
    return removeSequenceItem(text, check.yaml!, pointer('dicom', 'scp', 'ae-titles'), i);
  }, { repair: true });
  return report(ctx, `AE title ${title} removed`, r.changed, ctx.display(ctx.dicomConfigFile));
}

export async function sourceAdd(ctx: Ctx, title: string, f: { host: string }): Promise<number> {
  ae(title);
  host(f.host);
  const r = await editDicomConfig(ctx, ({ text, check, config }) => {
    if (list(config.dicom?.scp?.sources).some((s) => s['ae-title'] === title && s['host-ip'] === f.host)) return text;
    return appendToSequence(text, check.yaml!, pointer('dicom', 'scp', 'sources'), { 'host-ip': f.host, 'ae-title': title });
  });
  return report(ctx, `source ${title}@${f.host} added`, r.changed, ctx.display(ctx.dicomConfigFile), `source ${title}@${f.host} is already allowed`);
}

export async function sourceRemove(ctx: Ctx, title: string, f: { host?: string }): Promise<number> {
  const r = await editDicomConfig(ctx, ({ text, check, config }) => {
    const i = list(config.dicom?.scp?.sources).findIndex((s) => s['ae-title'] === title && (!f.host || s['host-ip'] === f.host));
    if (i < 0) throw new UsageError(`no source ${title}${f.host ? `@${f.host}` : ''} in dicom.scp.sources`);
    return removeSequenceItem(text, check.yaml!, pointer('dicom', 'scp', 'sources'), i);
  });
  return report(ctx, `source ${title} removed`, r.changed, ctx.display(ctx.dicomConfigFile));
}

export async function destAdd(ctx: Ctx, name: string, f: { host: string; port: string; ae: string }): Promise<number> {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new UsageError(`destination name "${name}" must be 1-64 letters, digits, '_', '.' or '-'`);
  const item = { name, 'host-ip': host(f.host), port: wholeNumber(f.port, '--port', 0, PORT), 'ae-title': ae(f.ae) };
  const r = await editDicomConfig(ctx, ({ text, check, config }) => {
    const existing = list(config.dicom?.scu?.destinations).find((d) => d.name === name);
    if (existing) {
      if (existing['host-ip'] === item['host-ip'] && existing.port === item.port && existing['ae-title'] === item['ae-title']) return text;
      throw new UsageError(`destination ${name} exists already (${existing['ae-title']}@${existing['host-ip']}:${existing.port}); remove it first to change it`);
    }
    return appendToSequence(text, check.yaml!, pointer('dicom', 'scu', 'destinations'), item);
  });
  return report(ctx, `destination ${name} (${f.ae}@${f.host}:${f.port}) added`, r.changed, ctx.display(ctx.dicomConfigFile), `destination ${name} (${f.ae}@${f.host}:${f.port}) is already configured`);
}

/** Change fields of an existing destination in place (seed 000: "update the IP address of MYPACS"). */
export async function destSet(ctx: Ctx, name: string, f: { host?: string; port?: string; ae?: string }): Promise<number> {
  if (!f.host && !f.port && !f.ae) throw new UsageError('give at least one of --host, --port, --ae');
  let now = '';
  const r = await editDicomConfig(ctx, ({ text, check, config }) => {
    const dests = list(config.dicom?.scu?.destinations);
    const i = dests.findIndex((d) => d.name === name);
    if (i < 0) throw new UsageError(`no destination ${name}; add it: clara-wf dicom dest add ${name} --host <ip> --port <port> --ae <AE>`);
    const d = dests[i]!;
    const next = { name, 'host-ip': f.host ? host(f.host) : d['host-ip'], port: wholeNumber(f.port, '--port', d.port, PORT), 'ae-title': f.ae ? ae(f.ae) : d['ae-title'] };
    now = `${next['ae-title']}@${next['host-ip']}:${next.port}`;
    if (next['host-ip'] === d['host-ip'] && next.port === d.port && next['ae-title'] === d['ae-title']) return text;
    return replaceSequenceItem(text, check.yaml!, pointer('dicom', 'scu', 'destinations'), i, next);
  });
  return report(ctx, `destination ${name} is now ${now}`, r.changed, ctx.display(ctx.dicomConfigFile), `destination ${name} is already ${now}`);
}

export async function destRemove(ctx: Ctx, name: string): Promise<number> {
  const r = await editDicomConfig(ctx, ({ text, check, config }) => {
    const i = list(config.dicom?.scu?.destinations).findIndex((d) => d.name === name);
    if (i < 0) throw new UsageError(`no destination ${name} in dicom.scu.destinations`);
    const users = [...list(config.workflows), ...list(config['pipeline-mappings'])].filter((m) => m['destination-name'] === name).map((m) => `mapping ${m.name}`);
    if (users.length) throw new UsageError(`destination ${name} is used by ${users.join(', ')}; remove or change the mapping${users.length > 1 ? 's' : ''} first`);
    return removeSequenceItem(text, check.yaml!, pointer('dicom', 'scu', 'destinations'), i);
  });
  return report(ctx, `destination ${name} removed`, r.changed, ctx.display(ctx.dicomConfigFile));
}

function mappingsOf(config: DicomConfig, title: string): string[] {
  return [
    ...list(config.workflows).filter((m) => m['clara-ae-title'] === title).map((m) => `workflow mapping ${m.name}`),
    ...list(config['pipeline-mappings']).filter((m) => m['clara-ae-title'] === title).map((m) => `pipeline mapping ${m.name}`),
  ];
}

export async function map(ctx: Ctx, title: string, f: { workflow?: string; pipeline?: string; destination?: string; name?: string }): Promise<number> {
  if (!!f.workflow === !!f.pipeline) throw new UsageError('give either --workflow <id|name> or --pipeline <id>');
  if (f.workflow && !f.destination) throw new UsageError('--workflow needs --destination <name>: where the results go');
  let what = '';
  const r = await editDicomConfig(ctx, ({ text, check, config }) => {
    if (!list(config.dicom?.scp?.['ae-titles']).some((a) => a['ae-title'] === title)) {
      throw new UsageError(`AE title ${title} is not configured; add it first: clara-wf dicom ae add ${title}`);
    }
    if (f.destination && !list(config.dicom?.scu?.destinations).some((d) => d.name === f.destination)) {
      throw new UsageError(`no destination ${f.destination}; add it first: clara-wf dicom dest add ${f.destination} --host <ip> --port <port> --ae <AE>`);
    }
    if (f.workflow) {
      const values = valuesForReferences(ctx);
      if (!values) throw new UsageError(`cannot read ${ctx.display(ctx.valuesFile)} to find workflow ${f.workflow}`);
      const { id, workflow } = findWorkflow(values, f.workflow);
      what = `${title} → workflow ${workflow.name} (${id}) → ${f.destination}`;
      if (list(config.workflows).some((m) => m['clara-ae-title'] === title && m.workflow === id && m['destination-name'] === f.destination)) return text;
      return appendToSequence(text, check.yaml!, pointer('workflows'), { name: f.name ?? workflow.name, 'clara-ae-title': title, 'destination-name': f.destination, workflow: id });
    }
    const id = (f.pipeline as string).toLowerCase();
    what = `${title} → pipeline ${id}${f.destination ? ` → ${f.destination}` : ''}`;
    if (list(config['pipeline-mappings']).some((m) => m['clara-ae-title'] === title && m['pipeline-id'] === id)) return text;
    return appendToSequence(text, check.yaml!, pointer('pipeline-mappings'), { name: f.name ?? title, 'clara-ae-title': title, ...(f.destination ? { 'destination-name': f.destination } : {}), 'pipeline-id': id });
  });
  return report(ctx, `mapped ${what}`, r.changed, ctx.display(ctx.dicomConfigFile), `already mapped: ${what}`);
}

export async function unmap(ctx: Ctx, title: string, f: { workflow?: string; pipeline?: string }): Promise<number> {
  let removed = 0;
  const r = await editDicomConfig(ctx, ({ text, config }) => {
    let id: string | undefined;
    if (f.workflow) {
      const values = valuesForReferences(ctx);
      // A workflow already gone from values.yaml (the mapping is what is left to repair) is named by its ID.
      try {
        id = values ? findWorkflow(values, f.workflow).id : f.workflow;
      } catch {
        id = f.workflow.toLowerCase();
      }
    }
    const wf = list(config.workflows).map((m, i) => ({ m, i })).filter(({ m }) => !f.pipeline && m['clara-ae-title'] === title && (!id || m.workflow === id));
    const pl = list(config['pipeline-mappings']).map((m, i) => ({ m, i })).filter(({ m }) => !f.workflow && m['clara-ae-title'] === title && (!f.pipeline || m['pipeline-id'] === f.pipeline.toLowerCase()));
    if (!wf.length && !pl.length) throw new UsageError(`no mapping for AE title ${title}${f.workflow ? ` and workflow ${f.workflow}` : ''}${f.pipeline ? ` and pipeline ${f.pipeline}` : ''}`);
    removed = wf.length + pl.length;
    const file = ctx.display(ctx.dicomConfigFile);
    const out = removeSequenceItems(text, file, pointer('pipeline-mappings'), pl.map((x) => x.i));
    return removeSequenceItems(out, file, pointer('workflows'), wf.map((x) => x.i));
  }, { repair: true });
  return report(ctx, `removed ${removed} mapping${removed === 1 ? '' : 's'} of ${title}`, r.changed, ctx.display(ctx.dicomConfigFile));
}

/** dicom validate: the DICOM configuration alone, checked against values.yaml (what validate checks second). */
export function validateCmd(ctx: Ctx, f: { format?: string }): number {
  const format = ctx.reportFormat(f.format);
  const file = ctx.display(ctx.dicomConfigFile);
  let text: string;
  try {
    text = readText(ctx.dicomConfigFile, 'DICOM configuration');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const hint = ctx.noChartHint();
    ctx.printReport(format, [{ severity: 'error', code: 'FILE_UNREADABLE', message: e.message, ...(hint ? { hint } : {}), file, line: 0, column: 0, path: '' }], new Map(), { ok: false });
    return 2;
  }
  const check = checkDicomConfig(text, file, valuesForReferences(ctx), ctx.display(ctx.valuesFile));
  const ok = !hasErrors(check.diagnostics);
  ctx.printReport(format, check.diagnostics, new Map([[file, text]]), { ok, okLine: `${file}: ok` });
  if (check.unparsable) return 2;
  return ok ? 0 : 1;
}

export function show(ctx: Ctx): number {
  const { config, file } = loadDicomConfig(ctx);
  const scp = config.dicom?.scp;
  const scu = config.dicom?.scu;
  if (ctx.json) {
    ctx.printJson(config);
    return 0;
  }
  ctx.out(`${file}`);
  ctx.out(`SCP port ${scp?.port}, max ${scp?.['max-associations'] ?? '-'} associations, reject unknown sources: ${scp?.['reject-unknown-sources'] ? 'yes' : 'no'}`);
  table(
    ctx,
    ['CLARA AE', 'TRIGGERS', 'RESULTS TO'],
    list(scp?.['ae-titles']).map((a) => {
      const maps = [
        ...list(config.workflows).filter((m) => m['clara-ae-title'] === a['ae-title']).map((m) => ({ to: `workflow ${m.name} (${m.workflow})`, dest: m['destination-name'] ?? '-' })),
        ...list(config['pipeline-mappings']).filter((m) => m['clara-ae-title'] === a['ae-title']).map((m) => ({ to: `pipeline ${m['pipeline-id']}`, dest: m['destination-name'] ?? '-' })),
      ];
      return [a['ae-title'], maps.map((m) => m.to).join('; ') || '(nothing)', maps.map((m) => m.dest).join('; ') || '-'];
    }),
  );
  ctx.out(`sources: ${list(scp?.sources).map((s) => `${s['ae-title']}@${s['host-ip']}`).join(', ') || '(none)'}`);
  ctx.out(`SCU ${scu?.['ae-title']}; destinations: ${list(scu?.destinations).map((d) => `${d.name} = ${d['ae-title']}@${d['host-ip']}:${d.port}`).join(', ') || '(none)'}`);
  return 0;
}
