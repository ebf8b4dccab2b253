import { dotGraph, mermaidGraph } from '../../core/graph.js';
import { findWorkflow } from '../../core/workflow.js';
import type { Ctx } from '../context.js';
import { loadValues } from '../values-file.js';

export function graph(ctx: Ctx, ref: string, opts: { format: 'mermaid' | 'dot' }): number {
  const { values } = loadValues(ctx);
  const { id, workflow } = findWorkflow(values, ref);
  ctx.io.stdout.write(opts.format === 'dot' ? dotGraph(values, id, workflow) : mermaidGraph(values, id, workflow));
  return 0;
}
