// Helm's own informational verbs: `version` and `completion`.
import { locateHelm, startHelm } from '../../adapters/helm.js';
import { packageVersion } from '../../adapters/package-files.js';
import { completionScript, SHELLS, type CommandNode, type Shell } from '../../core/completion.js';
import { UsageError } from '../../core/errors.js';
import type { Ctx } from '../context.js';

/** `clara-wf version`: ours, and the helm it drives (as `helm version`); --short: ours alone, as `helm version --short`. */
export async function version(ctx: Ctx, opts: { short?: boolean }): Promise<number> {
  const ours = `v${packageVersion()}`;
  if (opts.short) {
    ctx.out(ours);
    return 0;
  }
  let helm: { version: string | null; bin: string | null; source: string | null; problem?: string } = { version: null, bin: null, source: null };
  try {
    const loc = locateHelm(ctx.io.env);
    const r = await startHelm(loc.bin, ['version', '--short'], { env: ctx.io.env }).done;
    helm = { version: r.code === 0 ? r.stdout.trim() : null, bin: loc.bin, source: loc.source, ...(r.code === 0 ? {} : { problem: r.stderr.trim() }) };
  } catch (e) {
    helm.problem = (e as Error).message;
  }
  if (ctx.json) {
    ctx.printJson({ version: ours, node: process.version, helm });
    return 0;
  }
  ctx.out(`clara-wf ${ours} (node ${process.version})`);
  ctx.out(helm.version ? `helm ${helm.version} (${ctx.display(helm.bin as string)}, from ${helm.source})` : `helm: not usable: ${helm.problem}`);
  return 0;
}

export function completion(ctx: Ctx, shell: string, tree: CommandNode): number {
  if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`completion takes one of ${SHELLS.join(', ')}, not "${shell}"`);
  ctx.io.stdout.write(completionScript(shell as Shell, tree));
  return 0;
}
