import fs from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../../adapters/files.js';
import { readPackageText } from '../../adapters/package-files.js';
import { ValidationFailed } from '../../core/errors.js';
import type { Ctx } from '../context.js';

/** The chart's values.schema.json is generated from schemas/ (bundled at build time). */
export function schema(ctx: Ctx, opts: { check?: boolean }): number {
  const target = path.join(ctx.chartDir, 'values.schema.json');
  const want = readPackageText('generated', 'values.schema.json');
  let have: string | undefined;
  try {
    have = fs.readFileSync(target, 'utf8');
  } catch {
    have = undefined;
  }
  if (opts.check) {
    if (have === want) {
      ctx.info(`${ctx.display(target)} is up to date`);
      return 0;
    }
    throw new ValidationFailed(`${ctx.display(target)} is ${have === undefined ? 'missing' : 'stale'}; run \`clara-wf schema\` and commit the result`);
  }
  if (have === want) {
    ctx.info(`${ctx.display(target)} unchanged`);
    return 0;
  }
  writeAtomic(target, want);
  ctx.info(`wrote ${ctx.display(target)}`);
  return 0;
}
