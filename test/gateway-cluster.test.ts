// The gateway with its stages on a cluster: storescu → `dicom serve --runtime
// argo|cluster` → an Argo Workflow (or a run-mode release of stage Jobs) →
// the stages → export → storescp. The cluster is the Kubernetes API test
// server (test/kube/server.ts) with its pods run as local processes — a TEST
// DOUBLE of a node (runPods): each pod runs its stage's local.command with the
// container's args and env, its volume mounts mapped to one folder that stands
// for the shared claim (the gateway's --jobs folder). The API calls, the
// Workflow and Job objects, helm's installs and the DICOM traffic are real.
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { load, loadAll } from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, helmBin, repoRoot, tempDir } from './helpers.js';
import { auth, dicomProject, finished, freePort, hasDcmtk, startServe, startStorescp, storescu, until, waitForPort, type Serve } from './dicom-loop.js';
import { KubeTestServer, type KubeServerOptions } from './kube/server.js';

if (!hasDcmtk) throw new Error('dcmtk is not installed: .ci/run installs it (apt-get install dcmtk)');

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A project whose AE titles map to threshold workflows, a 16-instance study, a PACS, and the test cluster running pods as processes. */
async function setup(engine: 'argo' | 'cluster', serverOpts: KubeServerOptions = {}) {
  const pacsPort = await freePort();
  const project = await dicomProject({ pacsPort, downPort: await freePort() });
  const run = async (...args: string[]) => {
    const r = await cli(['--chart', project.chart, ...args]);
    if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  };
  // A slow stage (2.5 s) so a test can kill the gateway while the workflow runs.
  await run('workflow', 'create', '--name', 'slow-threshold', '--stages', 'dicom-reader,threshold,dicom-writer', '--arg', 'threshold=--min', '--arg', 'threshold=300', '--arg', 'threshold=--delay', '--arg', 'threshold=2500');
  await run('dicom', 'ae', 'add', 'SLOW_AI', '--trigger', 'release', '--timeout', '1');
  await run('dicom', 'map', 'SLOW_AI', '--workflow', 'slow-threshold', '--destination', 'MYPACS');
  const study = path.join(project.dir, 'study16');
  spawnSync(process.execPath, [path.join(repoRoot, 'examples', 'make-test-series.mjs'), study, '--slices', '16', '--size', '32']);
  const pacs = startStorescp(project.pacs, pacsPort);
  cleanup.push(() => pacs.kill());
  await waitForPort(pacsPort);
  const values = load(fs.readFileSync(project.values, 'utf8')) as { stages: Record<string, { local?: { command?: string[] } }> };
  const claim = path.join(project.dir, 'claim');
  const server = await KubeTestServer.start({
    ...serverOpts,
    argo: engine === 'argo' ? () => ({ result: 'fail', log: 'no local.command: not run' }) : undefined,
    runPods: {
      claimDir: claim,
      command: (stage) => {
        const argv = values.stages[stage]?.local?.command;
        return argv ? { argv: argv.map((a) => (a === 'node' ? process.execPath : a)), cwd: project.chart } : null;
      },
    },
  });
  cleanup.push(() => server.stop());
  const home = tempDir();
  const env = { HOME: home, KUBECONFIG: server.kubeconfig(home) };
  const state = path.join(project.dir, 'gateway-state');
  const serveArgs = ['--runtime', engine, '--jobs', claim, '--set', 'volume.type=persistentVolumeClaim', '--max-jobs', '4'];
  const serve = async (as: Record<string, string> = env, more: string[] = []) => {
    const s = await startServe(project.chart, state, [...serveArgs, ...more], true, undefined, as);
    cleanup.push(() => (s.child.exitCode === null && s.child.signalCode === null ? (s.child.kill('SIGINT'), s.exited) : undefined));
    return s;
  };
  return { project, study, server, claim, state, serve, env };
}

/** storescu sends `study` to `ae` on serve's port; it must end with every instance stored. */
async function send(port: number, ae: string, study: string): Promise<void> {
  const r = await finished(storescu(port, ae, study));
  expect(r.code, r.output).toBe(0);
}

const finishedJob = async (s: Serve, ae: string) =>
  until(`a finished job for ${ae}`, async () => {
    const jobs = (await s.jobs()).filter((j) => j.calledAe === ae);
    return jobs.length && ['done', 'failed', 'stored'].includes(jobs[0].state) ? jobs[0] : null;
  }, 60_000);

describe.each(['argo', 'cluster'] as const)('dicom serve --runtime %s (Kubernetes test server; pods run as local processes: a test double)', (engine) => {
  it('a 16-instance study sent to the gateway comes back processed at the PACS', async () => {
    const t = await setup(engine);
    const s = await t.serve();
    await send(s.port, 'THRESH_AI', t.study);
    const job = await finishedJob(s, 'THRESH_AI');
    expect(job, s.events.map((e) => e.message).join('\n')).toMatchObject({ state: 'done', instances: 16, export: { state: 'sent', sent: 16, failed: 0 } });
    expect(job.stages.map((x: any) => `${x.name}:${x.status}`)).toEqual(['dicom-reader:done', 'threshold:done', 'dicom-writer:done']);
    // The stages ran as pods on the claim: their outputs are in the job's folder there.
    expect(t.server.ranPods.map((p) => `${p.stage}:${p.code}`)).toEqual(['dicom-reader:0', 'threshold:0', 'dicom-writer:0']);
    expect(fs.readdirSync(path.join(t.claim, job.id, 'dicom-reader', 'input'))).toHaveLength(16);
    const received = fs.readdirSync(t.project.pacs);
    expect(received).toHaveLength(16);
    const dump = spawnSync('dcmdump', [path.join(t.project.pacs, received[0] as string)], { encoding: 'utf8' });
    expect(dump.stdout).toContain('Threshold mask (HU >= 300)');
    if (engine === 'argo') {
      expect(job.submitted.where).toMatch(/^workflow clara-workflow-threshold-example-/);
      expect(t.server.objects('Workflow').map((w) => w.metadata.labels['clara.nvidia.com/job'])).toEqual([job.id]);
      // clara-wf status shows the job's Workflow beside the catalog serve installed.
      const st = await cli(['--chart', t.project.chart, 'status', '--json'], { env: t.env });
      expect(st.code, st.stderr).toBe(0);
      expect(JSON.parse(st.stdout).argoWorkflows.map((w: any) => [w.phase, w.nodes.length])).toEqual([['Succeeded', 3]]);
    } else {
      expect(job.submitted.where).toMatch(/^release clara-workflow-/);
      expect(new Set(t.server.objects('Job').map((j) => j.metadata.labels['clara.nvidia.com/job']))).toEqual(new Set([job.id]));
    }
  });

  it('a failed stage is recorded on the job with its pod log tail; nothing is sent', async () => {
    const t = await setup(engine);
    const s = await t.serve();
    await send(s.port, 'BROKEN_AI', t.study);
    const job = await finishedJob(s, 'BROKEN_AI');
    expect(job).toMatchObject({ state: 'failed', export: { state: 'skipped', sent: 0 } });
    expect(job.reason).toMatch(/stage threshold failed/);
    const bad = job.stages.find((x: any) => x.name === 'threshold');
    expect(bad.logTail).toMatch(/--min takes a number of Hounsfield units, not not-a-number/);
    // The dashboard's stage log is that tail (the pod, and its log, are the cluster's).
    const log = await (await fetch(`${s.dashboard}/api/jobs/${job.id}/stages/threshold/log`, auth(s))).text();
    expect(log).toMatch(/--min takes a number of Hounsfield units/);
    expect(fs.readdirSync(t.project.pacs)).toEqual([]);
    // `dicom retry` runs it again: the last attempt's run (same name) is removed first, not followed.
    const posts = () => t.server.requests.filter((r) => r.method === 'POST' && /\/(workflows|jobs)$/.test(r.path)).length;
    const before = posts();
    const r = await cli(['--chart', t.project.chart, 'dicom', 'retry', job.id, '--data', t.state]);
    expect(r.code, r.stderr).toBe(0);
    await until('attempt 2 failed', async () => {
      const j = (await s.jobs()).find((x) => x.id === job.id);
      return j?.attempt === 2 && j.state === 'failed' ? j : null;
    });
    expect(t.server.ranPods.filter((p) => p.stage === 'threshold')).toHaveLength(2);
    expect(posts() - before).toBe(engine === 'argo' ? 1 : 3);
    if (engine === 'argo') expect(t.server.objects('Workflow')).toHaveLength(1);
  });

  it('kill -9 of the gateway mid-workflow, restart: the run is followed again, submitted once, results delivered once', async () => {
    const t = await setup(engine);
    const first = await t.serve();
    await send(first.port, 'SLOW_AI', t.study);
    await first.waitFor((e) => e.type === 'stage' && /stage threshold running/.test(e.message), 30_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await t.serve();
    await second.waitFor((e) => e.type === 'recovery' && /followed again \(attempt 1, nothing submitted again\)/.test(e.message));
    const job = await finishedJob(second, 'SLOW_AI');
    expect(job, second.events.map((e) => e.message).join('\n')).toMatchObject({ state: 'done', attempt: 1, interrupted: 0, export: { state: 'sent', sent: 16 } });
    // Each stage ran once; one Workflow (or one release's Jobs) for the job, created once.
    expect(t.server.ranPods.map((p) => p.stage)).toEqual(['dicom-reader', 'threshold', 'dicom-writer']);
    if (engine === 'argo') {
      expect(t.server.objects('Workflow')).toHaveLength(1);
      expect(t.server.requests.filter((r) => r.method === 'POST' && /\/workflows$/.test(r.path))).toHaveLength(1);
    } else {
      expect(t.server.objects('Job')).toHaveLength(3);
      expect(t.server.requests.filter((r) => r.method === 'POST' && /\/jobs$/.test(r.path))).toHaveLength(3);
    }
    expect(fs.readdirSync(t.project.pacs)).toHaveLength(16);
  });
});

describe('dicom serve --runtime argo stopped mid-workflow (SIGINT; test server, pods as processes: a test double)', () => {
  it('leaves the Workflow running on the cluster; the next start follows it, and the results are delivered once', async () => {
    const t = await setup('argo');
    const first = await t.serve();
    await send(first.port, 'SLOW_AI', t.study);
    await first.waitFor((e) => e.type === 'stage' && /stage threshold running/.test(e.message), 30_000);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.events.some((e) => /goes on and is followed again at the next start/.test(e.message))).toBe(true);
    // Not stopped: the Workflow is still running without the gateway.
    expect(t.server.objects('Workflow')[0]?.spec.shutdown).toBeUndefined();
    const second = await t.serve();
    const job = await finishedJob(second, 'SLOW_AI');
    expect(job).toMatchObject({ state: 'done', attempt: 1, interrupted: 0, export: { state: 'sent', sent: 16 } });
    expect(t.server.ranPods.map((p) => p.stage)).toEqual(['dicom-reader', 'threshold', 'dicom-writer']);
    expect(fs.readdirSync(t.project.pacs)).toHaveLength(16);
  });
});

describe.each(['argo', 'cluster'] as const)('clara-wf test --runtime %s checks real outputs (pods run as local processes: a test double)', (engine) => {
  it('the stages read the job folder on the claim and write their results there', async () => {
    const t = await setup(engine);
    const job = '55555555-5555-5555-5555-555555555555';
    fs.cpSync(t.study, path.join(t.claim, job, 'dicom-reader', 'input'), { recursive: true });
    const r = await cli(['--chart', t.project.chart, 'test', 'threshold-example', job, '--runtime', engine, '--data', t.claim, '--set', 'volume.type=persistentVolumeClaim', '--json'], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).stages.map((x: any) => x.status)).toEqual(['done', 'done', 'done']);
    const out = path.join(t.claim, job, 'dicom-writer', 'output');
    expect(fs.readdirSync(out).filter((f) => f.endsWith('.dcm'))).toHaveLength(16);
    expect(fs.existsSync(path.join(t.claim, job, 'locks', 'threshold.lock'))).toBe(true);
  });
});

/** What helm renders for the gateway of a chart (the repository's by default), in namespace clara. */
function gatewayDocs(engine: 'argo' | 'cluster', chart = path.join(repoRoot, 'charts', 'clara-workflow')): any[] {
  const r = spawnSync(helmBin, ['template', 'clara-workflow', chart, '--namespace', 'clara', '--set', 'gateway.enabled=true', '--set', 'volume.type=persistentVolumeClaim', ...(engine === 'argo' ? ['--set', 'engine=argo'] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return (loadAll(r.stdout) as any[]).filter((d) => d?.metadata?.labels?.['app.kubernetes.io/component'] === 'gateway');
}
const gatewayRole = (engine: 'argo' | 'cluster') => gatewayDocs(engine).find((d) => d.kind === 'Role') as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };

/**
 * The gateway container's own arguments, as the chart renders them, with its
 * mounts mapped to folders here: the values ConfigMap written to a file, the
 * DICOM configuration, the state claim, the shared claim. Listening addresses
 * and ports are startServe's. Returns the global flags and the serve flags.
 */
function podArgs(engine: 'argo' | 'cluster', chart: string, dirs: { state: string; claim: string; etc: string }): { globals: string[]; serve: string[] } {
  const docs = gatewayDocs(engine, chart);
  const values = path.join(dirs.etc, 'values', 'values.yaml');
  fs.mkdirSync(path.dirname(values), { recursive: true });
  fs.writeFileSync(values, docs.find((d) => d.kind === 'ConfigMap').data['values.yaml']);
  const mapped: Record<string, string> = { '/etc/clara-wf/values/values.yaml': values, '/etc/clara-wf/dicom/dicom-server-config.yaml': path.join(chart, 'files', 'dicom-server-config.yaml'), '/var/lib/clara-wf': dirs.state, '/clara-io': dirs.claim, '0.0.0.0': '127.0.0.1' };
  const args: string[] = docs.find((d) => d.kind === 'StatefulSet').spec.template.spec.containers[0].args.map((a: string) => mapped[a] ?? a);
  const at = args.indexOf('dicom');
  const serve = args.slice(at + 2);
  // startServe gives the port, the dashboard port and --json.
  for (const f of ['--port', '--dashboard']) serve.splice(serve.indexOf(f), 2);
  return { globals: args.slice(0, at).filter((a) => a !== '--json'), serve };
}

describe.each(['argo', 'cluster'] as const)('in the pod, engine %s: its service account holds only the chart\'s Role (test server enforcing RBAC; pods run as local processes: a test double)', (engine) => {
  it("the StatefulSet's own command line: a study runs and comes back, a failed one is retried, and every request serve (and helm) made was one the Role allows", async () => {
    const t = await setup(engine, { tls: true, rbac: { 'gateway-token': { namespace: 'clara', rules: gatewayRole(engine).rules } } });
    t.server.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'clara' } });
    if (engine === 'argo') {
      // The release the gateway came with holds the WorkflowTemplates (installed by an admin, not by the gateway).
      const r = await new Promise<string | null>((resolve) => execFile(helmBin, ['upgrade', '--install', 'clara-workflow', t.project.chart, '-n', 'clara', '--set', 'engine=argo', '--set', 'volume.type=persistentVolumeClaim'], { env: { ...process.env, ...t.env } }, (e, _o, err) => resolve(e ? err : null)));
      expect(r).toBeNull();
    }
    // The pod's service account (client-node's and helm's in-cluster config), no kubeconfig.
    const root = tempDir();
    const account = path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    fs.mkdirSync(account, { recursive: true });
    fs.writeFileSync(path.join(account, 'token'), 'gateway-token');
    fs.writeFileSync(path.join(account, 'ca.crt'), t.server.ca as string);
    fs.writeFileSync(path.join(account, 'namespace'), 'clara');
    const pod = { HOME: tempDir(), KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(t.server.url).port, CLARA_WF_IN_CLUSTER_ROOT: root };
    // The StatefulSet's own command line (mounts mapped to folders here).
    const run = podArgs(engine, t.project.chart, { state: t.state, claim: t.claim, etc: tempDir() });
    expect(run.serve.slice(run.serve.indexOf('--runtime'), run.serve.indexOf('--runtime') + 6)).toEqual(['--runtime', engine, '--release', 'clara-workflow', '--namespace', 'clara']);
    const s = await startServe(t.project.chart, t.state, run.serve, true, undefined, pod, run.globals);
    cleanup.push(() => (s.child.exitCode === null ? (s.child.kill('SIGINT'), s.exited) : undefined));
    await send(s.port, 'THRESH_AI', t.study);
    const job = await finishedJob(s, 'THRESH_AI');
    expect(job, s.events.map((e) => e.message).join('\n')).toMatchObject({ state: 'done', export: { state: 'sent', sent: 16 } });
    expect(fs.readdirSync(t.project.pacs)).toHaveLength(16);
    await send(s.port, 'BROKEN_AI', t.study);
    const failed = await finishedJob(s, 'BROKEN_AI');
    expect(failed.stages.find((x: any) => x.name === 'threshold').logTail).toMatch(/--min takes a number/);
    expect((await cli(['--chart', t.project.chart, 'dicom', 'retry', failed.id, '--data', t.state])).code).toBe(0);
    await until('attempt 2 ended', async () => ((await s.jobs()).find((x) => x.id === failed.id && x.attempt === 2 && x.state === 'failed') ? true : null));
    const mine = t.server.checked.filter((c) => c.token === 'gateway-token');
    // helm 3.10 reads the release's namespace before an install and goes on when refused (measured here); nothing else is refused.
    expect(mine.filter((c) => !c.allowed && !(engine === 'cluster' && c.resource === 'core/namespaces' && c.verb === 'get'))).toEqual([]);
    const used0 = mine.filter((c) => c.allowed);
    // What it used, verb by verb: each rule of the Role is needed by one of these, or by a path listed below.
    const used = [...new Set(used0.map((c) => `${c.resource}: ${c.verb}`))].sort();
    const granted = gatewayRole(engine).rules.flatMap((r) => r.resources.flatMap((res) => r.verbs.map((v) => `${r.apiGroups[0] || 'core'}/${res}: ${v}`)));
    const notHere: Record<string, string> =
      engine === 'argo'
        ? { 'argoproj.io/workflows: patch': 'stopping a Workflow at the run timeout (spec.shutdown: Stop)', 'argoproj.io/workflows: list': 'finding a job\'s Workflow again after a restart (reattach)' }
        : {};
    for (const g of granted) if (!used.includes(g)) expect(notHere[g], `${g} is granted but nothing used it (used: ${used.join(", ")})`).toBeDefined();
    for (const u of used) expect(granted, `${u} was used but is not in the Role`).toContain(u);
  });
});

// On a real cluster, when one is given: CLARA_WF_E2E_KUBECONFIG, the clara-wf
// image pushed where the cluster pulls it (CLARA_WF_E2E_GATEWAY_IMAGE, e.g.
// registry.example/clara-wf:0.1.0), a ReadWriteMany claim in the namespace
// (CLARA_WF_E2E_CLAIM), stage images the cluster can pull (the example
// threshold workflow's), and CLARA_WF_E2E_ENGINE (jobs or argo; default jobs).
// The chart is installed with the gateway, its DICOM and dashboard Services
// are port-forwarded (kubectl), a study is sent and the job is awaited.
const e2e = process.env.CLARA_WF_E2E_KUBECONFIG;
const e2eImage = process.env.CLARA_WF_E2E_GATEWAY_IMAGE;
if (!e2e || !e2eImage) console.log('gateway e2e: CLARA_WF_E2E_KUBECONFIG and CLARA_WF_E2E_GATEWAY_IMAGE are not both set, so the real-cluster gateway run is skipped (the test-server runs above still ran)');
describe.runIf(!!e2e && !!e2eImage)('the gateway on a real cluster (CLARA_WF_E2E_KUBECONFIG)', () => {
  it('install with gateway.enabled, port-forward, send a study, the job ends done', async () => {
    const ns = process.env.CLARA_WF_E2E_NAMESPACE ?? 'default';
    const engine = process.env.CLARA_WF_E2E_ENGINE === 'argo' ? 'argo' : 'jobs';
    const env = { KUBECONFIG: e2e as string };
    const project = await dicomProject({ pacsPort: 11113, downPort: 11114 });
    // Results stay on the claim: the cluster may not reach a PACS on this machine.
    expect((await cli(['--chart', project.chart, 'dicom', 'unmap', 'THRESH_AI'])).code).toBe(0);
    expect((await cli(['--chart', project.chart, 'dicom', 'map', 'THRESH_AI', '--workflow', 'threshold-example'])).code).toBe(0);
    const [repository, tag] = (e2eImage as string).split(/:(?=[^/]+$)/);
    const set = ['--set', 'gateway.enabled=true', '--set', `gateway.image.repository=${repository}`, '--set-string', `gateway.image.tag=${tag ?? 'latest'}`, '--set', 'volume.type=persistentVolumeClaim', '--set', `volume.claimName=${process.env.CLARA_WF_E2E_CLAIM ?? 'clara-io'}`, '--set', `engine=${engine}`];
    const installed = await cli(['--chart', project.chart, 'install', '-n', ns, '--release', 'e2e-gateway', '--wait', '--timeout', '5m', ...set], { env });
    expect(installed.code, installed.stderr).toBe(0);
    const kubectl = (...args: string[]) => spawnSync('kubectl', ['--kubeconfig', e2e as string, '-n', ns, ...args], { encoding: 'utf8' });
    const forwards = [['svc/e2e-gateway-clara-workflow-gateway', '11112:104'], ['svc/e2e-gateway-clara-workflow-gateway-dashboard', '18000:8000']].map(([svc, ports]) => spawn('kubectl', ['--kubeconfig', e2e as string, '-n', ns, 'port-forward', svc as string, ports as string], { stdio: 'ignore' }));
    cleanup.push(() => forwards.forEach((f) => f.kill()), () => cli(['--chart', project.chart, 'uninstall', '-n', ns, '--release', 'e2e-gateway'], { env }));
    await waitForPort(11112, 30_000);
    await waitForPort(18000, 30_000);
    const token = Buffer.from(kubectl('get', 'secret', 'e2e-gateway-clara-workflow-gateway-dashboard', '-o', 'jsonpath={.data.token}').stdout, 'base64').toString();
    await send(11112, 'THRESH_AI', project.series);
    const job = await until('the job ended', async () => {
      const jobs = (await (await fetch('http://127.0.0.1:18000/api/jobs', { headers: { Authorization: `Bearer ${token}` } })).json()) as any[];
      return jobs.find((j) => j.calledAe === 'THRESH_AI' && ['done', 'failed'].includes(j.state));
    }, 600_000);
    expect(job.state, JSON.stringify(job)).toBe('done');
  }, 900_000);
});
