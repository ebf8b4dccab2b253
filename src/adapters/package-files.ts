// Files that ship with clara-wf itself (templates, generated schemas), found
// relative to this module so they work from src/ (tests) and dist/ alike.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function packageFile(...parts: string[]): string {
  return path.join(packageRoot, ...parts);
}

const cache = new Map<string, string>();
export function readPackageText(...parts: string[]): string {
  const p = packageFile(...parts);
  let t = cache.get(p);
  if (t === undefined) {
    t = fs.readFileSync(p, 'utf8');
    cache.set(p, t);
  }
  return t;
}
