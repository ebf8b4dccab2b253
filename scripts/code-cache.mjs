// Build step after bundle.mjs: dist/clara-wf.code-cache, the V8 code cache that
// bin/clara-wf.cjs compiles the bundle with. V8 caches the functions compiled
// so far, so the cache is made after running the everyday commands in this
// process (on a temporary copy of the reference chart): their code then starts
// as bytecode instead of being parsed and compiled on every run.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { loadBundle, cacheFile } = createRequire(import.meta.url)(path.join(root, 'bin', 'clara-wf.cjs'));
const { exports: cli, script } = loadBundle({ useCache: false });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clara-wf-code-cache-'));
const chart = path.join(dir, 'chart');
fs.cpSync(path.join(root, 'charts', 'clara-workflow'), chart, { recursive: true });
const broken = path.join(dir, 'broken.yaml');
fs.writeFileSync(broken, fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8').replace('stageName: "dicom-reader"', 'stageNmae: "dicom-reader"'));
const sink = { write: () => true };
const io = { stdout: sink, stderr: sink, env: { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: dir }, cwd: dir };
// Each warm-up run with the exit code it should have: validating the broken
// file must fail (1), which exercises the diagnostics code.
const runs = [
  [['validate'], 0],
  [['validate', '--json'], 0],
  [['--values-file', broken, 'validate'], 1],
  [['render'], 0],
  [['cs', 'code-cache', '--tag', '1.0'], 0],
  [['workflow', 'list'], 0],
];
const unexpected = [];
for (const [argv, want] of runs) {
  const code = await cli.main(['--chart', chart, ...argv], io);
  if (code !== want) unexpected.push(`${argv.join(' ')} exited ${code}, expected ${want}`);
}
fs.rmSync(dir, { recursive: true, force: true });
const data = script.createCachedData();
fs.writeFileSync(cacheFile, data);
// render needs helm; without one it fails here (exit 4) and its code is simply not cached.
console.error(`code cache: ${(data.length / 1024).toFixed(0)} KB (${path.relative(root, cacheFile)}); ${unexpected.length ? `warm-up runs not as expected (the cache still works, it covers less): ${unexpected.join('; ')}` : `${runs.length} warm-up runs as expected`}`);
