// export monai: MONAI Deploy Workflow Manager workflows, Informatics Gateway
// configuration and the Argo WorkflowTemplates they run, from values.yaml and
// the DICOM configuration. Everything is checked before anything is written.
import fs from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { writeAtomic } from '../../adapters/files.js';
import { UsageError, ValidationFailed } from '../../core/errors.js';
import { exportMonai, monaiFiles } from '../../core/monai.js';
import type { Ctx } from '../context.js';
import { requireValidDicomConfig } from '../dicom-file.js';
import { renderChart } from '../render-chart.js';
import { requireValidValues, type Overlays } from '../values-file.js';

interface Flags extends Overlays {
  output?: string;
  rename?: string[];
  namespace?: string;
  serverUrl?: string;
  migUrl?: string;
}

export async function monai(ctx: Ctx, refs: string[], f: Flags): Promise<number> {
  const renames = new Map<string, string>();
  for (const r of f.rename ?? []) {
    const m = /^([^=]+)=([^=]+)$/.exec(r);
    if (!m) throw new UsageError(`--rename takes OLD=NEW (an AE title and its MONAI name), not "${r}"`);
    renames.set(m[1] as string, m[2] as string);
  }
  const { values } = requireValidValues(ctx, 'nothing was exported', f, { helm: true });
  const config = requireValidDicomConfig(ctx, values, 'nothing was exported');
  // The WorkflowTemplates the argo tasks run: the chart's engine argo rendering.
  const rendered = await renderChart(ctx, { overlays: { ...f, set: [...(f.set ?? []), 'engine=argo'] } });
  const templates = new Map<string, { name: string; text: string }>();
  for (const doc of rendered.split(/^---\s*$/m)) {
    if (!/^kind: WorkflowTemplate$/m.test(doc)) continue;
    const obj = load(doc) as { kind?: string; metadata?: { name?: string; annotations?: Record<string, string> } } | undefined;
    if (obj?.kind !== 'WorkflowTemplate') continue;
    const wf = obj.metadata?.annotations?.['clara.nvidia.com/workflow-name'] as string;
    templates.set(wf, { name: obj.metadata?.name as string, text: `---${doc.replace(/\n+$/, '')}\n` });
  }
  const x = exportMonai({
    values,
    config,
    only: refs,
    renames,
    namespace: f.namespace ?? 'argo',
    serverUrl: f.serverUrl,
    templateName: (name) => templates.get(name)?.name ?? '',
  });
  if (x.problems.length) {
    throw new ValidationFailed(`the MONAI Deploy export does not pass MWM's and MIG's rules; nothing was written:\n${x.problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  const used = new Map([...x.workflows].map((w) => [w.template, templates.get(w.workflow.name)?.text ?? '']));
  const files = monaiFiles(x, used, f.migUrl ?? 'http://localhost:5000');
  const dir = path.resolve(ctx.io.cwd, f.output ?? 'monai');
  for (const [rel, text] of files) {
    const target = path.join(dir, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    writeAtomic(target, text);
  }
  if (ctx.json) ctx.printJson({ ok: true, dir: ctx.display(dir), files: [...files.keys()], workflows: x.workflows.map((w) => w.workflow.name), report: x.report });
  else {
    ctx.info(`wrote ${files.size} files to ${ctx.display(dir)}: ${x.workflows.length} MWM workflow${x.workflows.length === 1 ? '' : 's'} (${x.workflows.map((w) => w.workflow.name).join(', ')}), the MIG configuration (mig/*.json, mig/apply.sh), ${used.size} Argo WorkflowTemplate${used.size === 1 ? '' : 's'}`);
    for (const r of x.report) ctx.info(`no MONAI equivalent: ${r}`);
  }
  return 0;
}
