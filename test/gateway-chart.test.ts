// The gateway as a chart component (gateway.enabled): what helm renders for
// both engines is checked against the real systems' rules — kubernetes-models
// (the API's OpenAPI schemas), Pod Security "restricted" (test/pod-security.ts,
// ported from kubernetes/pod-security-admission), RBAC listed rule by rule —
// and the dashboard token is generated once and kept across upgrades (helm's
// lookup against the Kubernetes API test server).
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { afterEach, describe, expect, it } from 'vitest';
import { chartCopy, cli, helmBin, repoRoot, tempDir } from './helpers.js';
import { podSecurityViolations, renderedPods } from './pod-security.js';
import { KubeTestServer } from './kube/server.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const MODELS: Record<string, new (d: any) => { validate(): void }> = { ConfigMap, Secret, Service, ServiceAccount, StatefulSet, Role, RoleBinding };
const GATEWAY = ['--set', 'gateway.enabled=true', '--set', 'volume.type=persistentVolumeClaim'];

function render(...set: string[]): any[] {
  const r = spawnSync(helmBin, ['template', 'clara-workflow', path.join(repoRoot, 'charts', 'clara-workflow'), '--namespace', 'imaging', ...set], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return (loadAll(r.stdout) as any[]).filter(Boolean);
}
const gatewayDocs = (docs: any[]) => docs.filter((d) => d.metadata?.labels?.['app.kubernetes.io/component'] === 'gateway');
const golden = (name: string) => (loadAll(fs.readFileSync(path.join(repoRoot, 'golden', name, 'gateway.yaml'), 'utf8')) as any[]).filter(Boolean);

describe.each([
  ['jobs', 'gateway', []],
  ['argo', 'argo-gateway', ['--set', 'engine=argo']],
] as const)('gateway.enabled, engine %s', (engine, goldenName, extra) => {
  const docs = render(...GATEWAY, ...extra);
  const mine = gatewayDocs(docs);
  const sts = mine.find((d) => d.kind === 'StatefulSet');
  const pod = sts.spec.template.spec;
  const main = pod.containers[0];

  it('renders a ServiceAccount, a Role and its binding, the token Secret, the values ConfigMap, two Services and a StatefulSet of one, each valid for kubernetes-models', () => {
    expect(mine.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'Role', 'RoleBinding', 'Secret', 'Service', 'Service', 'ServiceAccount', 'StatefulSet']);
    for (const d of mine) expect(() => new (MODELS[d.kind] as any)(d).validate(), `${d.kind}/${d.metadata.name}`).not.toThrow();
    // What is golden is what renders (a fixed token there; a generated one here).
    expect(golden(goldenName).map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(mine.map((d) => `${d.kind}/${d.metadata.name}`).sort());
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.volumeClaimTemplates.map((v: any) => v.metadata.name)).toEqual(['state']);
  });

  it('the pod meets Pod Security "restricted": non-root, read-only root filesystem, seccomp RuntimeDefault, no capabilities; requests and limits; probes', () => {
    const [p] = renderedPods(mine);
    expect(p?.name).toBe('StatefulSet/clara-workflow-gateway');
    expect(podSecurityViolations(p!.pod)).toEqual({});
    expect(main.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(Object.keys(main.resources).sort()).toEqual(['limits', 'requests']);
    expect(main.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'dashboard' });
    expect(main.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'dashboard' });
  });

  it(`runs dicom serve --runtime ${engine === 'argo' ? 'argo' : 'cluster'} on the shared claim, with its journal on its own claim and the token from the Secret`, () => {
    const args: string[] = main.args;
    const flag = (f: string) => args[args.indexOf(f) + 1];
    expect(args.slice(args.indexOf('dicom'), args.indexOf('dicom') + 2)).toEqual(['dicom', 'serve']);
    expect(flag('--runtime')).toBe(engine === 'argo' ? 'argo' : 'cluster');
    expect([flag('--release'), flag('--namespace'), flag('--data'), flag('--jobs')]).toEqual(['clara-workflow', 'imaging', '/var/lib/clara-wf', '/clara-io']);
    const mountOf = (n: string) => main.volumeMounts.find((m: any) => m.name === n)?.mountPath;
    expect([mountOf('state'), mountOf('clara-io')]).toEqual(['/var/lib/clara-wf', '/clara-io']);
    expect(pod.volumes.find((v: any) => v.name === 'clara-io')).toEqual({ name: 'clara-io', persistentVolumeClaim: { claimName: 'clara-io' } });
    expect(main.env.find((e: any) => e.name === 'CLARA_WF_DASHBOARD_TOKEN').valueFrom.secretKeyRef).toEqual({ name: 'clara-workflow-gateway-dashboard', key: 'token' });
    const svc = mine.find((d) => d.kind === 'Service' && d.metadata.name === 'clara-workflow-gateway');
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'dicom', port: 104, targetPort: 'dicom' }] });
  });

  it('RBAC is the minimum serve uses, in its namespace only', () => {
    const role = mine.find((d) => d.kind === 'Role');
    const rules = role.rules.map((r: any) => `${r.apiGroups.join(',') || 'core'}/${r.resources.join(',')}: ${r.verbs.join(' ')}`);
    expect(rules).toEqual(
      engine === 'argo'
        ? ['argoproj.io/workflowtemplates: list', 'argoproj.io/workflows: create get list watch patch delete', 'core/pods: list', 'core/pods/log: get']
        : ['core/secrets: create get list update delete', 'batch/jobs: create get watch delete', 'core/pods: list', 'core/pods/log: get'],
    );
    expect(docs.some((d) => d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding')).toBe(false);
    const binding = mine.find((d) => d.kind === 'RoleBinding');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'clara-workflow-gateway', namespace: 'imaging' }]);
  });

  it('the values it mounts validate as serve reads them', async () => {
    const cm = mine.find((d) => d.kind === 'ConfigMap');
    const dir = tempDir({ 'values.yaml': cm.data['values.yaml'] });
    expect(cm.data['values.yaml']).not.toMatch(/^gateway:/m);
    const r = await cli(['--chart', path.join(repoRoot, 'charts', 'clara-workflow'), '--values-file', path.join(dir, 'values.yaml'), 'validate', '--json']);
    expect(r.code, r.stdout).toBe(0);
  });
});

describe('gateway.enabled off, and its guards', () => {
  it('off by default: nothing of the gateway renders', () => {
    expect(gatewayDocs(render())).toEqual([]);
    expect(gatewayDocs(render('--set', 'job.workflow=threshold-example', '--set', 'job.id=abc', ...GATEWAY))).toEqual([]);
  });

  it('NodePort / LoadBalancer, annotations and a user token are taken', () => {
    const docs = gatewayDocs(render(...GATEWAY, '--set', 'gateway.service.type=LoadBalancer', '--set-string', 'gateway.service.annotations.lb\\.example/internal=true', '--set', 'gateway.service.loadBalancerSourceRanges={10.0.0.0/8}', '--set', 'gateway.dashboard.token=abcdefghijklmnop1234'));
    const svc = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'clara-workflow-gateway');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.loadBalancerSourceRanges).toEqual(['10.0.0.0/8']);
    expect(svc.metadata.annotations).toEqual({ 'lb.example/internal': 'true' });
    expect(Buffer.from(docs.find((d) => d.kind === 'Secret').data.token, 'base64').toString()).toBe('abcdefghijklmnop1234');
    const node = gatewayDocs(render(...GATEWAY, '--set', 'gateway.service.type=NodePort', '--set', 'gateway.service.nodePort=30104')).find((d) => d.kind === 'Service' && d.metadata.name === 'clara-workflow-gateway');
    expect(node.spec.ports[0].nodePort).toBe(30104);
    // A Secret of the user's: none rendered, the pod reads theirs.
    const theirs = gatewayDocs(render(...GATEWAY, '--set', 'gateway.dashboard.existingSecret=my-token'));
    expect(theirs.some((d) => d.kind === 'Secret')).toBe(false);
    expect(theirs.find((d) => d.kind === 'StatefulSet').spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name).toBe('my-token');
  });

  it('a hostPath pinned with volume.nodeSelector renders (the pod is then "baseline", not "restricted": a hostPath volume)', () => {
    const docs = gatewayDocs(render('--set', 'gateway.enabled=true', '--set', 'volume.nodeSelector.kubernetes\\.io/hostname=node-1'));
    const sts = docs.find((d) => d.kind === 'StatefulSet');
    expect(sts.spec.template.spec.nodeSelector).toEqual({ 'kubernetes.io/hostname': 'node-1' });
    expect(Object.keys(podSecurityViolations(renderedPods(docs)[0]!.pod))).toEqual(['hostPathVolumes', 'restrictedVolumes']);
  });
});

describe('the dashboard token across installs (helm against the Kubernetes API test server)', () => {
  const servers: KubeTestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });

  it('is generated at install and kept by an upgrade (lookup), and a hostPath gateway installs on a one-node cluster', async () => {
    const server = await KubeTestServer.start();
    servers.push(server);
    const home = tempDir();
    const env = { ...process.env, HOME: home, KUBECONFIG: server.kubeconfig(home) };
    const c = chartCopy();
    // Not spawnSync: the test server answers helm from this process's event loop.
    const run = (args: string[]) => new Promise<{ status: number; stderr: string }>((resolve) => execFile(helmBin, args, { env }, (e, _out, stderr) => resolve({ status: e ? ((e as { code?: number }).code ?? 1) : 0, stderr })));
    const helm = async (...args: string[]) => {
      const r = await run([...args, c.chart, ...GATEWAY]);
      expect(r.status, r.stderr).toBe(0);
    };
    const token = () => Buffer.from(server.objects('Secret', 'default').find((s) => s.metadata.name === 'clara-workflow-gateway-dashboard')?.data.token ?? '', 'base64').toString();
    await helm('upgrade', '--install', 'clara-workflow');
    const first = token();
    expect(first).toMatch(/^[A-Za-z0-9]{32}$/);
    await helm('upgrade', '--install', 'clara-workflow', '--set', 'gateway.maxJobs=8');
    expect(token()).toBe(first);
    // clara-wf status shows the gateway (no controller runs it here: 0 of 1 ready) and its Services.
    const st = await cli(['--chart', c.chart, 'status', '--json'], { env });
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout).gateway).toEqual({
      name: 'clara-workflow-gateway',
      ready: 0,
      replicas: 1,
      services: [
        { name: 'clara-workflow-gateway', type: 'ClusterIP', ports: [{ name: 'dicom', port: 104, nodePort: null }] },
        { name: 'clara-workflow-gateway-dashboard', type: 'ClusterIP', ports: [{ name: 'dashboard', port: 8000, nodePort: null }] },
      ],
    });
    // hostPath, unpinned: refused on a cluster with no node or several; taken with exactly one.
    const unpinned = await run(['upgrade', '--install', 'other', c.chart, '--set', 'gateway.enabled=true']);
    expect(unpinned.stderr).toMatch(/gateway.enabled with volume.type hostPath/);
    server.seed({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } });
    const one = await run(['upgrade', '--install', 'other', c.chart, '--set', 'gateway.enabled=true']);
    expect(one.status, one.stderr).toBe(0);
  });
});

describe('the Dockerfile', () => {
  const text = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
  it('ships what npm pack ships, runs as the user the chart runs it as, with clara-wf as its entrypoint', () => {
    const files: string[] = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).files;
    const copied = [...text.matchAll(/^COPY --from=build \/app\/(\S+) /gm)].map((m) => m[1]);
    for (const f of files) expect(copied, `${f} (package.json files)`).toContain(f);
    expect(copied).toContain('node_modules');
    expect(text).toMatch(/^RUN .*npm prune --omit=dev/m);
    const user = /^USER (\d+):(\d+)$/m.exec(text);
    const sts = gatewayDocs(render(...GATEWAY)).find((d) => d.kind === 'StatefulSet');
    expect([Number(user?.[1]), Number(user?.[2])]).toEqual([sts.spec.template.spec.securityContext.runAsUser, sts.spec.template.spec.securityContext.runAsGroup]);
    expect(text).toMatch(/^ENTRYPOINT \["\/app\/bin\/clara-wf"\]$/m);
    expect([...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1])).toEqual(['node:22-bookworm-slim', 'node:22-bookworm-slim']);
  });
});
