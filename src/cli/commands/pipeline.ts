// clara-wf pipeline ...: Clara pipeline definitions (seed 000).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readPackageText } from '../../adapters/package-files.js';
import { readText, writeAtomic } from '../../adapters/files.js';
import { hasErrors } from '../../core/diagnostic.js';
import { ExternalToolError, UsageError, ValidationFailed } from '../../core/errors.js';
import { stagesOf, workflowsOf } from '../../core/model.js';
import { pipelineGraph } from '../../core/graph.js';
import { checkPipeline, exportPipeline, fitStage, type LinkReader, importPipeline, pipelineDag, pipelineText, renameMap, type PipelineDoc, type StageFit } from '../../core/pipeline.js';
import type { StageSpec } from '../../core/model.js';
import { stageTemplateData } from '../../core/stage.js';
import { renderTemplate } from '../../core/text-templates.js';
import { readValues } from '../../core/validate-values.js';
import { insertWorkflowEntry, upsertStageBlock } from '../../core/values-edit.js';
import { findWorkflow, newWorkflowId } from '../../core/workflow.js';
import type { Ctx } from '../context.js';
import { checkClusterFlags, connect, type ClusterFlags } from '../cluster.js';
import { editValues, requireValidValues, type Overlays } from '../values-file.js';
import { table } from './stage.js';

const GROUP = 'clara.nvidia.com';
const VERSION = 'v1alpha1';
const PLURAL = 'pipelines';
const ID_RE = /^[0-9a-f]{32}$/;

/** Linked documents (operator import.path) are read relative to the pipeline file. */
function linkReader(pipelineFile: string): LinkReader {
  return (rel) => {
    try {
      return fs.readFileSync(path.resolve(path.dirname(pipelineFile), rel), 'utf8');
    } catch {
      return null;
    }
  };
}

/** Read and validate a pipeline file; invalid → exit 1 with diagnostics, unreadable → exit 2. */
function loadPipeline(ctx: Ctx, file: string): { doc: PipelineDoc; text: string; shown: string } {
  const abs = path.resolve(ctx.io.cwd, file);
  const shown = ctx.display(abs);
  const text = readText(abs, 'pipeline file');
  const check = checkPipeline(text, shown, linkReader(abs));
  if (check.unparsable) throw new UsageError(`${shown} is not valid YAML`, check.diagnostics, new Map([[shown, check.text]]));
  if (!check.ok) throw new ValidationFailed(`${shown} is not a valid pipeline`, check.diagnostics.filter((d) => d.severity === 'error'), new Map([[shown, check.text]]));
  return { doc: check.doc as PipelineDoc, text, shown };
}

export function validate(ctx: Ctx, file: string, f: { format?: string } = {}): number {
  const format = ctx.reportFormat(f.format);
  const abs = path.resolve(ctx.io.cwd, file);
  const shown = ctx.display(abs);
  let text: string;
  try {
    text = readText(abs, 'pipeline file');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const d = { severity: 'error' as const, code: 'FILE_UNREADABLE', message: e.message, file: shown, line: 0, column: 0, path: '' };
    ctx.printReport(format, [d], new Map(), { ok: false });
    return 2;
  }
  const check = checkPipeline(text, shown, linkReader(abs));
  const ok = !hasErrors(check.diagnostics);
  ctx.printReport(format, check.diagnostics, new Map([[shown, check.text]]), { ok, okLine: `${shown}: ok (${check.doc?.operators?.length} operators, api-version ${check.doc?.['api-version']})` });
  if (check.unparsable) return 2;
  return ok ? 0 : 1;
}

/** pipeline graph <file>: the operator DAG of a valid pipeline file (Mermaid or DOT). */
export function graph(ctx: Ctx, file: string, f: { format: 'mermaid' | 'dot' }): number {
  const { doc } = loadPipeline(ctx, file);
  ctx.io.stdout.write(pipelineGraph(doc, f.format));
  return 0;
}

export function exportCmd(ctx: Ctx, ref: string, f: { output?: string } & Overlays): number {
  const { values } = requireValidValues(ctx, 'nothing was exported', f);
  const { workflow } = findWorkflow(values, ref);
  const out = pipelineText(exportPipeline(values, workflow), `workflow ${workflow.name}`);
  const sanity = checkPipeline(out, 'export');
  if (!sanity.ok) throw new Error(`exported pipeline does not validate: ${sanity.diagnostics.map((d) => d.message).join('; ')}`);
  if (!f.output) {
    ctx.io.stdout.write(out);
    return 0;
  }
  const target = path.resolve(ctx.io.cwd, f.output);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  writeAtomic(target, out);
  ctx.info(`wrote ${ctx.display(target)} (${workflow.name}, ${workflow.stages.length} operators)`);
  return 0;
}

export async function importCmd(ctx: Ctx, file: string, f: { name?: string; id?: string; prefix?: string; rename?: string[] }): Promise<number> {
  const { doc } = loadPipeline(ctx, file);
  const plan = importPipeline(doc, { name: f.name, prefix: f.prefix, rename: renameMap(f.rename) });
  const id = f.id ?? newWorkflowId();
  const stageTpl = readPackageText('templates', 'stage-block.hbs');
  const wfTpl = readPackageText('templates', 'workflow-entry.hbs');
  const created: string[] = [];
  await editValues(ctx, ({ text, check }) => {
    const values = check.values;
    const existing = stagesOf(values);
    const wfs = workflowsOf(values);
    if (id in wfs) throw new UsageError(`workflow ID ${id} is already in use`);
    const clash = Object.entries(wfs).find(([, w]) => w?.name === plan.workflow.name);
    if (clash) throw new UsageError(`a workflow named "${plan.workflow.name}" exists already (${clash[0]}); pass --name to import under another name`);
    // Every stage is fitted first, so all conflicts are said at once.
    const fits = plan.stages.map((s) => fitStage(existing[s.name] as StageSpec | undefined, s.spec));
    const conflicts = plan.stages.flatMap((s, i) => {
      const fit = fits[i] as StageFit;
      return fit.kind === 'conflict' ? [`stage ${s.name} (operator ${s.operator}) exists already and differs:${fit.fields.map((d) => `\n      ${d.field}: ${d.have} here, ${d.incoming} in the pipeline`).join('')}`] : [];
    });
    if (conflicts.length) {
      throw new UsageError(`${conflicts.length} stage${conflicts.length > 1 ? 's' : ''} of ${doc.name} clash with stages of this chart:\n  ${conflicts.join('\n  ')}\nimport them under other names: --prefix <prefix>- (every stage) or --rename <operator>=<stage> (one); an identical stage is reused as it is`);
    }
    let out = text;
    for (const [i, s] of plan.stages.entries()) {
      const fit = fits[i] as StageFit;
      if (fit.kind === 'reuse') {
        if (fit.args) plan.workflow.args[i] = fit.args;
        continue;
      }
      out = upsertStageBlock(out, readValues(out, 'values'), s.name, renderTemplate(stageTpl, stageTemplateData(s.name, s.spec)));
      created.push(s.name);
    }
    return insertWorkflowEntry(out, readValues(out, 'values'), renderTemplate(wfTpl, { id, workflow: plan.workflow }));
  });
  if (ctx.json) ctx.printJson({ ok: true, id, name: plan.workflow.name, stagesCreated: created, stagesReused: plan.stages.map((s) => s.name).filter((n) => !created.includes(n)), dropped: plan.dropped, notes: plan.notes });
  else {
    for (const d of plan.dropped) ctx.err(`warning: ${d}`);
    for (const n of plan.notes) ctx.info(`note: ${n}`);
    ctx.info(`imported ${doc.name}: workflow ${plan.workflow.name}, ${plan.stages.length} stages (${created.length} new)`);
    ctx.out(id);
  }
  return 0;
}

interface PipelineCr {
  metadata?: { name?: string; creationTimestamp?: string };
  spec?: { name?: string; apiVersion?: string; operatorCount?: number; definition?: string; dag?: unknown };
}

async function customApi(ctx: Ctx, f: ClusterFlags) {
  checkClusterFlags(f);
  const cluster = await connect(ctx, f);
  return { cluster, api: cluster.kc.makeApiClient(cluster.k8s.CustomObjectsApi) };
}

function crdMissing(e: unknown, server: string): never {
  throw new ExternalToolError(`the Pipeline CRD (pipelines.${GROUP}) is not installed on ${server}; install the chart first: clara-wf install`);
}

const isNotFound = (e: unknown) => (e as { code?: number }).code === 404 || /HTTP 404/.test(String((e as Error)?.message));

export async function create(ctx: Ctx, f: ClusterFlags & { pipeline: string }): Promise<number> {
  const { doc, text } = loadPipeline(ctx, f.pipeline);
  const { cluster, api } = await customApi(ctx, f);
  const id = randomUUID().replace(/-/g, '');
  const body = {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Pipeline',
    metadata: { name: id, labels: { 'app.kubernetes.io/managed-by': 'clara-wf', 'clara.nvidia.com/pipeline-name': doc.name.slice(0, 63).replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'pipeline' } },
    spec: { name: doc.name, apiVersion: doc['api-version'], operatorCount: doc.operators.length, definition: text, dag: pipelineDag(doc) },
  };
  try {
    await cluster.call('creating the pipeline', () => api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.namespace, plural: PLURAL, body }));
  } catch (e) {
    if (isNotFound(e)) crdMissing(e, cluster.server);
    throw e;
  }
  if (ctx.json) ctx.printJson({ ok: true, id, name: doc.name, namespace: cluster.namespace });
  else ctx.out(id);
  return 0;
}

export async function list(ctx: Ctx, f: ClusterFlags): Promise<number> {
  const { cluster, api } = await customApi(ctx, f);
  let res: { items?: PipelineCr[] };
  try {
    res = await cluster.call('listing pipelines', () => api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.namespace, plural: PLURAL }));
  } catch (e) {
    if (isNotFound(e)) crdMissing(e, cluster.server);
    throw e;
  }
  const rows = (res.items ?? []).map((p) => ({ id: p.metadata?.name ?? '', name: p.spec?.name ?? '', operators: p.spec?.operatorCount ?? 0, created: p.metadata?.creationTimestamp ?? '' }));
  if (ctx.json) ctx.printJson(rows);
  else table(ctx, ['ID', 'NAME', 'OPERATORS', 'CREATED'], rows.map((r) => [r.id, r.name, String(r.operators), r.created]));
  return 0;
}

async function get(ctx: Ctx, id: string, f: ClusterFlags): Promise<{ cr: PipelineCr; cluster: Awaited<ReturnType<typeof customApi>>['cluster']; api: Awaited<ReturnType<typeof customApi>>['api'] }> {
  if (!ID_RE.test(id)) throw new UsageError(`"${id}" is not a pipeline ID (32 lowercase hex characters, as pipeline create prints)`);
  const { cluster, api } = await customApi(ctx, f);
  try {
    const cr = (await cluster.call(`reading pipeline ${id}`, () => api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.namespace, plural: PLURAL, name: id }))) as PipelineCr;
    return { cr, cluster, api };
  } catch (e) {
    if (isNotFound(e)) throw new UsageError(`no pipeline ${id} in namespace ${cluster.namespace} (clara-wf pipeline list)`);
    throw e;
  }
}

export async function show(ctx: Ctx, id: string, f: ClusterFlags): Promise<number> {
  const { cr } = await get(ctx, id, f);
  if (ctx.json) ctx.printJson({ id, name: cr.spec?.name, apiVersion: cr.spec?.apiVersion, created: cr.metadata?.creationTimestamp, dag: cr.spec?.dag, definition: cr.spec?.definition });
  else ctx.io.stdout.write(cr.spec?.definition ?? '');
  return 0;
}

export async function remove(ctx: Ctx, id: string, f: ClusterFlags): Promise<number> {
  const { cluster, api } = await get(ctx, id, f);
  await cluster.call(`deleting pipeline ${id}`, () => api.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: cluster.namespace, plural: PLURAL, name: id }));
  if (ctx.json) ctx.printJson({ ok: true, id, removed: true });
  else ctx.out(`pipeline ${id} removed`);
  return 0;
}
