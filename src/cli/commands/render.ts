import fs from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../../adapters/files.js';
import { splitManifests } from '../../core/manifests.js';
import type { Ctx } from '../context.js';
import { renderChart, type RenderRequest } from '../render-chart.js';
import type { Overlays } from '../values-file.js';

interface Flags extends Overlays {
  workflow?: string;
  job?: string;
  outputDir?: string;
  showOnly?: string[];
  release?: string;
  namespace?: string;
}

export async function render(ctx: Ctx, flags: Flags): Promise<number> {
  const req: RenderRequest = { workflow: flags.workflow, job: flags.job, overlays: flags, showOnly: flags.showOnly, release: flags.release, namespace: flags.namespace };
  if (!flags.outputDir) {
    await renderChart(ctx, req, (chunk) => ctx.io.stdout.write(chunk));
    return 0;
  }
  const manifests = await renderChart(ctx, req);
  const dir = path.resolve(ctx.io.cwd, flags.outputDir);
  const files = splitManifests(manifests);
  for (const [file, text] of files) {
    const target = path.join(dir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    writeAtomic(target, text);
  }
  if (ctx.json) ctx.printJson({ ok: true, outputDir: ctx.display(dir), files: [...files.keys()] });
  else ctx.info(`wrote ${files.size} file${files.size === 1 ? '' : 's'} to ${ctx.display(dir)}: ${[...files.keys()].join(', ')}`);
  return 0;
}
