// Build step: bundle src/bin.ts into one CommonJS file, dist/clara-wf.cjs, which
// bin/clara-wf.cjs loads (with the code cache scripts/code-cache.mjs makes).
// Startup is most of a small command's time, and CommonJS skips Node's ESM
// loader (~15-20 ms here). Heavy dependencies stay external and load from
// node_modules only in the commands that use them (import() is kept as is).
// Type checking is tsc's job (`npm run typecheck`).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist');
const outfile = path.join(outdir, 'clara-wf.cjs');
fs.rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'src', 'bin.ts')],
  outfile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // CLARA_WF_NO_MINIFY=1 keeps names readable for `node --cpu-prof` profiles.
  minify: process.env.CLARA_WF_NO_MINIFY !== '1',
  legalComments: 'linked',
  logLevel: 'warning',
  external: ['handlebars', 'diff', '@kubernetes/client-node', 'dcmjs', 'dcmjs-dimse', 'playwright-core', 'better-sqlite3'],
  // Modules find package files relative to themselves.
  // The version is fixed at build time: --version reads no file.
  define: { 'import.meta.url': '__clara_module_url', __CLARA_WF_VERSION__: JSON.stringify(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version) },
  banner: { js: "const __clara_module_url = require('node:url').pathToFileURL(__filename).href;" },
});
