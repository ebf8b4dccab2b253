// clara-wf init [dir]: start a project, as `helm create` does: the chart (with
// the reference workflows, or --empty), its DICOM configuration, the example
// stages the reference workflows run locally, .gitignore and a CI file.
// Nothing existing is overwritten; a failure removes what it wrote.
import fs from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../../adapters/files.js';
import { packageFile, readPackageText } from '../../adapters/package-files.js';
import { pointer } from '../../core/diagnostic.js';
import { UsageError } from '../../core/errors.js';
import { stagesOf, workflowsOf, type Values } from '../../core/model.js';
import { removeStageBlock, removeWorkflowEntry } from '../../core/values-edit.js';
import { readValues } from '../../core/validate-values.js';
import { removeSequenceItems } from '../../core/yaml-edit.js';
import { parseYaml } from '../../core/yaml-source.js';
import type { Ctx } from '../context.js';

interface Flags {
  empty?: boolean;
  ci?: 'github' | 'gitlab' | 'none';
}

const CHART = path.join('charts', 'clara-workflow');
const EXAMPLE_JOB = '11111111-1111-1111-1111-111111111111';
const CI_FILES = { github: ['.github/workflows/clara-wf.yml', 'github-workflow.yml'], gitlab: ['.gitlab-ci.yml', 'gitlab-ci.yml'] } as const;

/** Every file below `dir`, relative, in a stable order (lock and temp files left out). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && !/\.(lock|tmp)$/.test(e.name)) out.push(r);
    }
  };
  walk('');
  return out;
}

/** The shipped values with no stages and no workflows: their blocks removed, the sections kept. */
export function emptyValues(text: string): string {
  let out = text;
  for (const id of Object.keys(workflowsOf(readValues(out, 'values.yaml').values as Values))) out = removeWorkflowEntry(out, readValues(out, 'values.yaml'), id);
  for (const name of Object.keys(stagesOf(readValues(out, 'values.yaml').values as Values))) out = removeStageBlock(out, readValues(out, 'values.yaml'), name);
  // An empty section is null to YAML: give each its empty mapping, without the examples' comments.
  return out.replace(/^(stages|workflows):[ \t]*\n(?:[ \t]+#.*\n)*/gm, '$1: {}\n');
}

/** The shipped DICOM configuration without the workflow mappings (they name the reference workflows). */
export function emptyDicomConfig(text: string): string {
  const parsed = parseYaml(text, 'dicom-server-config.yaml');
  const maps = parsed.ok ? (parsed.yaml.data as { workflows?: unknown[] })?.workflows : undefined;
  if (!Array.isArray(maps)) return text;
  return removeSequenceItems(text, 'dicom-server-config.yaml', pointer('workflows'), maps.map((_, i) => i));
}

export function init(ctx: Ctx, dir: string | undefined, flags: Flags): number {
  const root = path.resolve(ctx.io.cwd, dir ?? '.');
  const ci = flags.ci ?? 'github';
  const planned = new Map<string, string>();
  const chartSource = packageFile('charts', 'clara-workflow');
  for (const rel of filesUnder(chartSource)) planned.set(path.join(CHART, rel), fs.readFileSync(path.join(chartSource, rel), 'utf8'));
  if (flags.empty) {
    const values = path.join(CHART, 'values.yaml');
    const dicom = path.join(CHART, 'files', 'dicom-server-config.yaml');
    planned.set(values, emptyValues(planned.get(values) as string));
    planned.set(dicom, emptyDicomConfig(planned.get(dicom) as string));
  } else {
    // The reference workflows' local.command runs these (../../examples/stages/*.mjs from the chart).
    const examples = packageFile('examples');
    for (const rel of filesUnder(examples)) if (rel.endsWith('.mjs')) planned.set(path.join('examples', rel), fs.readFileSync(path.join(examples, rel), 'utf8'));
  }
  planned.set('.gitignore', readPackageText('templates', 'init', 'gitignore'));
  if (ci !== 'none') planned.set(CI_FILES[ci][0], readPackageText('templates', 'init', CI_FILES[ci][1]));

  const existing = [...planned.keys()].filter((rel) => fs.existsSync(path.join(root, rel)));
  if (existing.length) {
    const shown = existing.slice(0, 5).map((rel) => ctx.display(path.join(root, rel)));
    throw new UsageError(
      `${shown.join(', ')}${existing.length > 5 ? ` and ${existing.length - 5} more` : ''} exist${existing.length === 1 ? 's' : ''} already; init writes only new files (nothing was written). Use another folder (clara-wf init <dir>)${existing.some((r) => r.startsWith(CHART)) ? ', or work on the chart that is there' : ''}${existing.includes('.gitignore') || existing.some((r) => r.startsWith('.git')) ? '; --ci none leaves CI files out' : ''}`,
    );
  }
  const written: string[] = [];
  try {
    for (const [rel, text] of planned) {
      const target = path.join(root, rel);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      writeAtomic(target, text);
      written.push(target);
    }
  } catch (e) {
    for (const f of written.reverse()) fs.rmSync(f, { force: true });
    throw e;
  }
  const chart = ctx.display(path.join(root, CHART)) || CHART;
  const inDir = path.resolve(root) === path.resolve(ctx.io.cwd) ? '' : `cd ${ctx.display(root)} && `;
  if (ctx.json) {
    ctx.printJson({ ok: true, chart, files: [...planned.keys()], empty: !!flags.empty, ci });
    return 0;
  }
  ctx.out(`created ${chart} (${flags.empty ? 'no stages or workflows yet' : 'the reference stages and workflows'}), .gitignore${ci !== 'none' ? ` and ${CI_FILES[ci][0]}` : ''}: ${planned.size} files`);
  ctx.out('next:');
  if (flags.empty) {
    ctx.out(`  ${inDir}clara-wf stage create my-ai --image my-ai:0.1.0      # a stage block for your container`);
    ctx.out('  clara-wf workflow create --name my-workflow --stages my-ai  # a workflow that runs it');
    ctx.out('  clara-wf validate && clara-wf golden update                 # check it, and record what it renders');
  } else {
    ctx.out(`  ${inDir}clara-wf validate                      # check the chart (file:line:col for anything wrong)`);
    ctx.out('  clara-wf golden update                 # record what it renders in golden/ (commit it; CI runs golden check)');
    ctx.out(`  node examples/make-test-series.mjs test-data/${EXAMPLE_JOB}/dicom-reader/input && clara-wf test threshold-example ${EXAMPLE_JOB} --runtime process   # a study, and a reference workflow run on this machine`);
  }
  return 0;
}
