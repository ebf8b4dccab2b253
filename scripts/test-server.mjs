#!/usr/bin/env node
// Runs the Kubernetes API test server (test/kube/server.ts) on its own, for
// trying the cluster commands without a cluster:
//   node scripts/test-server.mjs [--tls] [--no-simulate-jobs] [--argo] [--run-pods <dir> [--chart <dir>]] [--kubeconfig <file>]
// Stage Jobs are simulated by default (each succeeds after 0.5 s), so
// `clara-wf test --runtime cluster` works as the README shows;
// --no-simulate-jobs leaves them pending, as a cluster without nodes would.
// It writes a kubeconfig (default ./kubeconfig.test) and serves until Ctrl-C.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-test-server-')), 'server.mjs');
await build({ entryPoints: [path.join(root, 'test', 'kube', 'server.ts')], outfile: out, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error' });
const { KubeTestServer } = await import(pathToFileURL(out).href);
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
// --run-pods <dir>: pods run as local processes (a test double of a node): each
// stage's local.command from the chart's values, its mounts under <dir> (the shared claim).
const claim = flag('--run-pods') && path.resolve(flag('--run-pods'));
let runPods;
if (claim) {
  const { load } = await import('js-yaml');
  const chart = path.resolve(flag('--chart') ?? path.join('charts', 'clara-workflow'));
  const values = load(fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8'));
  fs.mkdirSync(claim, { recursive: true });
  runPods = { claimDir: claim, command: (stage) => (values?.stages?.[stage]?.local?.command ? { argv: values.stages[stage].local.command.map((a) => (a === 'node' ? process.execPath : a)), cwd: chart } : null) };
}
const server = await KubeTestServer.start({
  tls: args.includes('--tls'),
  simulateJobs: args.includes('--no-simulate-jobs') || claim ? undefined : () => ({ result: 'succeed', runMs: 500 }),
  // --argo: Argo Workflows' CRDs and a small controller (nodes succeed after 0.5 s, or run as processes with --run-pods).
  argo: args.includes('--argo') ? () => ({ result: 'succeed', runMs: 500 }) : undefined,
  runPods,
});
const i = args.indexOf('--kubeconfig');
const target = path.resolve(i >= 0 ? args[i + 1] : 'kubeconfig.test');
const file = server.kubeconfig(path.dirname(target));
if (file !== target) fs.renameSync(file, target);
console.log(`Kubernetes API test server at ${server.url}; kubeconfig: ${target}`);
console.log(claim ? `pods run as local processes on ${claim} (a test double of a node: each stage's local.command)` : `stage Jobs ${args.includes('--no-simulate-jobs') ? 'stay pending (--no-simulate-jobs)' : 'are simulated: each succeeds after 0.5 s'}`);
if (args.includes('--argo')) console.log('Argo Workflows: its CRDs are served and a small controller runs Workflows');
console.log(`try: KUBECONFIG=${target} ./bin/clara-wf install`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
