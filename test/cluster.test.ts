// install / upgrade / uninstall / status and `test --runtime cluster`, with the
// real helm and the real client-node against the Kubernetes API test server.
// With CLARA_WF_E2E_KUBECONFIG set, the lifecycle also runs against that cluster.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeTestServer, type KubeServerOptions } from './kube/server.js';
import { chartCopy, cli, referenceValues, repoRoot, tempDir } from './helpers.js';

const e2e = process.env.CLARA_WF_E2E_KUBECONFIG;
const servers: KubeTestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function cluster(opts: KubeServerOptions = {}) {
  const server = await KubeTestServer.start(opts);
  servers.push(server);
  const home = tempDir();
  const kubeconfig = server.kubeconfig(home);
  return { server, env: { HOME: home, KUBECONFIG: kubeconfig }, kubeconfig };
}

const JOB = '22222222-2222-2222-2222-222222222222';

describe('install → status → upgrade → uninstall (test server)', () => {
  it.each([false, true])('tls=%s', async (tls) => {
    const { server, env } = await cluster({ tls });
    const c = chartCopy();
    const run = (...args: string[]) => cli(['--chart', c.chart, ...args], { env });

    const i = await run('install', '-n', 'clara', '--create-namespace');
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toMatch(/STATUS: deployed/);
    expect(i.stderr).toMatch(/runs v1\.25\.3; release clara-workflow in clara: not installed yet/);
    expect(server.objects('ConfigMap', 'clara').map((o) => o.metadata.name).sort()).toEqual(['clara-workflow-dicom', 'clara-workflow-workflows']);
    expect(server.objects('CustomResourceDefinition').map((o) => o.metadata.name)).toEqual(['pipelines.clara.nvidia.com']);

    const s = await run('status', '-n', 'clara', '--json');
    expect(s.code, s.stderr).toBe(0);
    const st = JSON.parse(s.stdout);
    expect(st).toMatchObject({ release: 'clara-workflow', namespace: 'clara', revision: 1, status: 'deployed', chartVersion: '0.1.0', mode: 'catalog' });
    expect(st.workflows.map((w: any) => w.name).sort()).toEqual(['liver-seg', 'threshold-example', 'user-workflow']);
    const human = await run('status', '-n', 'clara');
    expect(human.stdout).toMatch(/^release clara-workflow in clara: revision 1, deployed \(chart 0\.1\.0, app 0\.2\.0\)$/m);

    const before = server.objects('ConfigMap', 'clara').find((o) => o.metadata.name === 'clara-workflow-workflows')!;
    fs.writeFileSync(c.values, fs.readFileSync(c.values, 'utf8').replace('repository: user-ai\n      tag: "0.1.0"', 'repository: user-ai\n      tag: "0.1.1"'));
    const u = await run('upgrade', '-n', 'clara');
    expect(u.code, u.stderr).toBe(0);
    expect(u.stderr).toMatch(/revision 1, deployed/);
    const after = server.objects('ConfigMap', 'clara').find((o) => o.metadata.name === 'clara-workflow-workflows')!;
    const userAi = (cm: any) => JSON.parse(cm.data['7b413e24-d018-4689-8c41-73272f6649d4.json']).stages[1].spec.image.tag;
    expect(userAi(before)).toBe('0.1.0');
    expect(userAi(after)).toBe('0.1.1');
    expect(JSON.parse((await run('status', '-n', 'clara', '--json')).stdout)).toMatchObject({ revision: 2, status: 'deployed' });
    expect(server.requests.some((r) => r.method === 'PATCH' && r.path.endsWith('/configmaps/clara-workflow-workflows'))).toBe(true);

    const d = await run('uninstall', '-n', 'clara');
    expect(d.code, d.stderr).toBe(0);
    expect(server.objects('ConfigMap', 'clara')).toEqual([]);
    expect(server.objects('Secret', 'clara')).toEqual([]);
    const gone = await run('status', '-n', 'clara');
    expect(gone.code).toBe(4);
    expect(gone.stderr).toMatch(/no release clara-workflow in namespace clara/);
  });
});

describe('a catalog spread over several ConfigMaps', () => {
  it('installs every shard, status reads them all, an upgrade that needs fewer removes the rest', async () => {
    const { server, env } = await cluster();
    const run = (...args: string[]) => cli(args, { cwd: repoRoot, env });
    const i = await run('install', '--set', 'catalog.maxBytes=6000');
    expect(i.code, i.stderr).toBe(0);
    const catalogs = () => server.objects('ConfigMap', 'default').map((o) => o.metadata.name).filter((n) => n.includes('-workflows')).sort();
    expect(catalogs()).toEqual(['clara-workflow-workflows', 'clara-workflow-workflows-1', 'clara-workflow-workflows-2']);
    const st = await run('status', '--json');
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout).workflows.map((w: any) => w.name).sort()).toEqual(['liver-seg', 'threshold-example', 'user-workflow']);
    // (helm upgrade reuses the last release's --set values unless new ones are given.)
    const u = await run('upgrade', '--set', 'catalog.maxBytes=1048576');
    expect(u.code, u.stderr).toBe(0);
    expect(catalogs()).toEqual(['clara-workflow-workflows']);
  });
});

describe('several kubeconfig files in KUBECONFIG, merged as kubectl and helm merge them', () => {
  /** A kubeconfig holding one cluster/user/context, optionally current. */
  const kubeconfig = (dir: string, file: string, name: string, server: string, current: boolean) => {
    const p = path.join(dir, file);
    fs.writeFileSync(p, `apiVersion: v1\nkind: Config\nclusters:\n- name: ${name}\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: ${name}\n  context:\n    cluster: ${name}\n    user: ${name}\n${current ? `current-context: ${name}\n` : ''}users:\n- name: ${name}\n  user:\n    token: t\n`, { mode: 0o600 });
    return p;
  };
  const closedPort = async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    return port;
  };

  it('the current context may come from a later file; client-node and helm both use it', async () => {
    const { server } = await cluster();
    const home = tempDir();
    kubeconfig(home, 'other', 'elsewhere', `http://127.0.0.1:${await closedPort()}`, false);
    const mine = kubeconfig(home, 'mine', 'test', server.url, true);
    // A relative entry is relative to the working folder; a missing one is skipped.
    const env = { HOME: home, KUBECONFIG: ['other', path.join(home, 'missing'), mine].join(path.delimiter) };
    const c = chartCopy();
    const i = await cli(['--chart', c.chart, 'install', '-n', 'clara', '--create-namespace'], { cwd: home, env });
    expect(i.code, i.stderr).toBe(0);
    expect(server.objects('ConfigMap', 'clara').map((o) => o.metadata.name).sort()).toEqual(['clara-workflow-dicom', 'clara-workflow-workflows']);
    const st = await cli(['status', '-n', 'clara', '--json'], { cwd: home, env });
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ status: 'deployed', revision: 1 });
    // --kube-context may name a context of any of the files.
    const other = await cli(['status', '-n', 'clara', '--kube-context', 'elsewhere'], { cwd: home, env });
    expect(other.code).toBe(4);
    expect(other.stderr).toMatch(/context elsewhere, kubeconfig .*other:.*mine\)/);
  });

  it('the first file to define a name or a current context wins', async () => {
    const { server } = await cluster();
    const home = tempDir();
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const first = kubeconfig(home, 'first', 'test', dead, true);
    const second = kubeconfig(home, 'second', 'test', server.url, true);
    const r = await cli(['status'], { cwd: home, env: { HOME: home, KUBECONFIG: [first, second].join(path.delimiter) } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`the cluster at ${dead} (context test, kubeconfig ${first}${path.delimiter}${second})`);
    expect(server.requests).toEqual([]);
  });

  it('none of the listed files exists: a usage error that names them', async () => {
    const home = tempDir();
    const r = await cli(['status'], { cwd: home, env: { HOME: home, KUBECONFIG: ['a', 'b'].join(path.delimiter) } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`none of the KUBECONFIG files exists (${path.join(home, 'a')}${path.delimiter}${path.join(home, 'b')})`);
  });
});

describe('pre-flight and safety', () => {
  it('--dry-run runs the pre-flight and helm, and creates nothing', async () => {
    const { server, env } = await cluster();
    const r = await cli(['install', '--dry-run', '--json'], { cwd: repoRoot, env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, dryRun: true });
    expect(server.mutations()).toEqual([]);
    expect(server.objects('ConfigMap')).toEqual([]);
    // In words: what would happen, and that nothing did (not helm's "has been upgraded").
    const h = await cli(['install', '--dry-run'], { cwd: repoRoot, env });
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toMatch(/^dry run: nothing was changed on the cluster\.\ninstall would make release clara-workflow in default revision 1 \(not installed now\), with 3 objects:\n  CustomResourceDefinition pipelines\.clara\.nvidia\.com \(crds\/pipelines\.clara\.nvidia\.com\.yaml: created only if missing\)\n  ConfigMap clara-workflow-workflows\n  ConfigMap clara-workflow-dicom\n$/);
    expect(h.stdout).not.toMatch(/Happy Helming|has been upgraded/);
    expect(server.mutations()).toEqual([]);
  });

  it('an invalid values file never causes a single request', async () => {
    const { server, env } = await cluster();
    const c = chartCopy({ values: referenceValues.replace('timeout: "300"', 'timeout: "5m"') });
    const r = await cli(['--chart', c.chart, 'install'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TIMEOUT_INVALID/);
    expect(r.stderr).toMatch(/nothing was sent to the cluster/);
    expect(server.requests).toEqual([]);
  });

  it('an unreachable server fails in under 5 s with exit 4, naming the server and context', async () => {
    // A port nothing listens on, and a server that accepts but never answers.
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      for (const p of [port, silentPort]) {
        const home = tempDir();
        const kc = path.join(home, 'kubeconfig');
        fs.writeFileSync(kc, `apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: http://127.0.0.1:${p}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: gone-ctx\n  context:\n    cluster: gone\n    user: u\ncurrent-context: gone-ctx\nusers:\n- name: u\n  user:\n    token: t\n`, { mode: 0o600 });
        const t0 = Date.now();
        const r = await cli(['install', '--kubeconfig', kc], { cwd: repoRoot, env: { HOME: home } });
        expect(Date.now() - t0).toBeLessThan(5000);
        expect(r.code).toBe(4);
        expect(r.stderr).toMatch(new RegExp(`the cluster at http://127\\.0\\.0\\.1:${p} \\(context gone-ctx, kubeconfig ${kc.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`));
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    } finally {
      silent.close();
    }
  });

  it('a kubeVersion mismatch fails before helm runs', async () => {
    const { server, env } = await cluster({ gitVersion: 'v1.19.16' });
    const r = await cli(['install'], { cwd: repoRoot, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/runs Kubernetes v1\.19\.16, but the chart needs kubeVersion >=1\.21\.0-0/);
    // Only client-node's version request: helm never started (it would discover APIs and list releases).
    expect(server.requests.map((q) => q.path)).toEqual(['/version']);
  });

  it('a release left pending-install is reported with the command that fixes it', async () => {
    const { server, env } = await cluster();
    server.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sh.helm.release.v1.clara-workflow.v1', namespace: 'default', labels: { owner: 'helm', name: 'clara-workflow', status: 'pending-install', version: '1' } }, type: 'helm.sh/release.v1', data: {} });
    const r = await cli(['install'], { cwd: repoRoot, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/release clara-workflow in namespace default is stuck in pending-install \(revision 1\).*helm uninstall clara-workflow --namespace default/);
    expect(server.mutations()).toEqual([]);
  });

  it('a missing namespace needs --create-namespace', async () => {
    const { server, env } = await cluster();
    const r = await cli(['install', '-n', 'nowhere'], { cwd: repoRoot, env });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/namespace nowhere does not exist on .*pass --create-namespace/);
    expect(server.mutations()).toEqual([]);
  });
});

describe('test --runtime cluster (test server with the job simulator)', () => {
  it('success: every stage Job completes in order; the release is uninstalled', async () => {
    const order: string[] = [];
    const { server, env } = await cluster({
      simulateJobs: (job) => {
        order.push(job.metadata.labels['clara.nvidia.com/stage']);
        return { result: 'succeed', runMs: 40 };
      },
    });
    const r = await cli(['test', 'liver-seg', JOB, '--runtime', 'cluster', '--json'], { cwd: repoRoot, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, job: JOB, release: `clara-workflow-${JOB}` });
    expect(out.stages.map((s: any) => `${s.name}:${s.status}`)).toEqual(['dicom-reader:done', 'ai-livertumor:done', 'dicom-writer:done']);
    expect(order).toEqual(['dicom-reader', 'ai-livertumor', 'dicom-writer']);
    expect(server.objects('Job')).toEqual([]);
    expect(server.requests.some((q) => q.query.includes('watch=true'))).toBe(true);
  });

  it('a failed stage: exit 1, its log printed, later stages skipped', async () => {
    const { env } = await cluster({
      simulateJobs: (job) =>
        job.metadata.labels['clara.nvidia.com/stage'] === 'ai-livertumor' ? { result: 'fail', runMs: 30, log: 'loading model...\nCUDA error: out of memory\n' } : { result: 'succeed', runMs: 30 },
    });
    const r = await cli(['test', 'liver-seg', JOB, '--runtime', 'cluster'], { cwd: repoRoot, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stage ai-livertumor failed \(BackoffLimitExceeded\)/);
    expect(r.stderr).toMatch(/\| CUDA error: out of memory/);
    expect(r.stderr).toMatch(/dicom-writer skipped/);
  });

  it('Jobs that never start: the run says what it waits for, every 10 s, instead of going quiet', async () => {
    const { env } = await cluster(); // no job simulation: pods never run, as on a cluster without nodes
    const r = await cli(['test', 'liver-seg', JOB, '11', '--runtime', 'cluster'], { cwd: repoRoot, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/waited 10 s of 11 s: no stage Job has a running pod yet \(kubectl get pods -n default -l app\.kubernetes\.io\/instance=\S+ shows why/);
  });

  it('the run timeout stops following, reports it and uninstalls', async () => {
    const { server, env } = await cluster({ simulateJobs: () => ({ result: 'hang' }) });
    const t0 = Date.now();
    const r = await cli(['test', 'liver-seg', JOB, '2', '--runtime', 'cluster', '--json'], { cwd: repoRoot, env });
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, aborted: 'the run timed out after 2 s' });
    expect(server.objects('Job')).toEqual([]);
  });

  it('--keep keeps the run-mode release; status shows each stage Job', async () => {
    const { env } = await cluster({ simulateJobs: () => ({ result: 'succeed', runMs: 20 }) });
    const r = await cli(['test', 'user-workflow', JOB, '--runtime', 'cluster', '--keep'], { cwd: repoRoot, env });
    expect(r.code, r.stderr).toBe(0);
    const s = await cli(['status', '--release', `clara-workflow-${JOB}`, '--json'], { cwd: repoRoot, env });
    expect(JSON.parse(s.stdout)).toMatchObject({ mode: 'run', stages: [{ stage: 'dicom-reader', state: 'complete' }, { stage: 'user-ai', state: 'complete' }, { stage: 'dicom-writer', state: 'complete' }] });
  });
});

if (!e2e) console.log('cluster tests: CLARA_WF_E2E_KUBECONFIG is not set, so the real-cluster run is skipped (the test-server runs above still ran)');
describe.runIf(!!e2e)('against a real cluster (CLARA_WF_E2E_KUBECONFIG)', () => {
  it('install → status → upgrade → uninstall', async () => {
    const ns = `clara-wf-e2e-${Date.now()}`;
    const env = { KUBECONFIG: e2e as string };
    const run = (...args: string[]) => cli(args, { cwd: repoRoot, env });
    expect((await run('install', '-n', ns, '--create-namespace', '--release', 'e2e')).code).toBe(0);
    expect(JSON.parse((await run('status', '-n', ns, '--release', 'e2e', '--json')).stdout)).toMatchObject({ revision: 1, status: 'deployed' });
    expect((await run('upgrade', '-n', ns, '--release', 'e2e', '--set', 'stages.user-ai.image.tag=0.1.1')).code).toBe(0);
    expect(JSON.parse((await run('status', '-n', ns, '--release', 'e2e', '--json')).stdout)).toMatchObject({ revision: 2 });
    expect((await run('uninstall', '-n', ns, '--release', 'e2e')).code).toBe(0);
  });
  // When Argo Workflows is installed there: the real API server (and Argo's CRD schema) takes the engine argo catalog.
  const hasArgo = !!e2e && spawnSync('kubectl', ['--kubeconfig', e2e, 'get', 'crd', 'workflowtemplates.argoproj.io'], { encoding: 'utf8' }).status === 0;
  it.runIf(hasArgo)('engine argo: the catalog installs its WorkflowTemplates; status lists them', async () => {
    const ns = `clara-wf-e2e-argo-${Date.now()}`;
    const env = { KUBECONFIG: e2e as string };
    const run = (...args: string[]) => cli(args, { cwd: repoRoot, env });
    expect((await run('install', '-n', ns, '--create-namespace', '--release', 'e2e', '--set', 'engine=argo')).code).toBe(0);
    expect(JSON.parse((await run('status', '-n', ns, '--release', 'e2e', '--json')).stdout).workflowTemplates.length).toBe(3);
    expect((await run('uninstall', '-n', ns, '--release', 'e2e')).code).toBe(0);
  });
});

// The real kubectl (when the machine has it) against the test server: the
// Pipeline CRD's printer columns, as on a cluster.
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
describe('kubectl get pipeline', () => {
  it.skipIf(!hasKubectl)('shows the CRD printer columns: ID, NAME, OPERATORS, AGE', async () => {
    const { env, kubeconfig } = await cluster();
    expect((await cli(['install'], { cwd: repoRoot, env })).code).toBe(0);
    const created = await cli(['pipeline', 'create', '-p', 'examples/my-pipeline.yaml'], { cwd: repoRoot, env });
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    // Async: the test server answers from this process's event loop.
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn('kubectl', ['--kubeconfig', kubeconfig, 'get', 'pipeline'], { env: { ...process.env, HOME: env.HOME } });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d) => (stdout += d));
      c.stderr.on('data', (d) => (stderr += d));
      c.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ID\s+NAME\s+OPERATORS\s+AGE\n/);
    expect(r.stdout).toMatch(new RegExp(`^${id}\\s+lung-nodules\\s+4\\s+\\d+s$`, 'm'));
  });
});
