// Files that ship with clara-wf itself (templates, generated schemas), found
// from this module's location: src/adapters/ under tests, a dist/ chunk when bundled.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'templates')) && fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('clara-wf: cannot find its package folder (templates/ missing)');
    dir = up;
  }
}

let root: string | undefined;
export function packageFile(...parts: string[]): string {
  return path.join((root ??= findRoot()), ...parts);
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

declare const __CLARA_WF_VERSION__: string | undefined;

/** clara-wf's own version: fixed in the bundle at build time (scripts/bundle.mjs), else from package.json. */
export function packageVersion(): string {
  if (typeof __CLARA_WF_VERSION__ === 'string') return __CLARA_WF_VERSION__;
  return String((JSON.parse(readPackageText('package.json')) as { version?: string }).version ?? '0.0.0');
}
