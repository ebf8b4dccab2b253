// Build step: bundle src/bin.ts into dist/ as ESM with code splitting, so
// `clara-wf validate` loads one small graph (startup is most of its time on
// small charts) and each command's heavy dependencies stay in lazy chunks.
// Type checking is tsc's job (`npm run typecheck`).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist');
fs.rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'src', 'bin.ts')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  // Bundled CommonJS dependencies call require(); ESM has none of its own.
  banner: { js: "import { createRequire as __clara_cr } from 'node:module'; const require = __clara_cr(import.meta.url);" },
});
fs.chmodSync(path.join(outdir, 'bin.js'), 0o755);
