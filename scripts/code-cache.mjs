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
const runs = [
  ['validate'],
  ['validate', '--json'],
  ['--values', broken, 'validate'],
  ['render'],
  ['cs', 'code-cache', '--tag', '1.0'],
  ['workflow', 'list'],
];
const codes = [];
for (const argv of runs) codes.push(await cli.main(['--chart', chart, ...argv], io));
fs.rmSync(dir, { recursive: true, force: true });
const data = script.createCachedData();
fs.writeFileSync(cacheFile, data);
// render needs helm; without one it fails here (exit 4) and its code is simply not cached.
console.error(`code cache: ${(data.length / 1024).toFixed(0)} KB (${path.relative(root, cacheFile)}; runs exited ${codes.join(' ')})`);
