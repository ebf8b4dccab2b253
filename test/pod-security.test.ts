// Pod Security (issue 23): with a claim, every stage pod of both engines meets
// "restricted"; with hostPath the only violation is the hostPath volume
// ("privileged" level, documented). Checked over engines × volume types × modes
// × the stock workflows and DAG pipelines (fan-in, multi-output, NVIDIA's
// COVID-19), with the checks of kubernetes/pod-security-admission ported in
// test/pod-security.ts; each check also fails on a pod with its defect.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { chartCopy, cli, fixture, helmBin, tempDir } from './helpers.js';
import { podSecurityViolations, renderedPods, RESTRICTED, type PodLike } from './pod-security.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
let chart = '';
let workflowNames: string[] = [];
const render = (...set: string[]) => {
  const r = spawnSync(helmBin, ['template', 'clara-workflow', chart, ...set.flatMap((s) => ['--set', s])], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(r.stderr);
  return (loadAll(r.stdout) as any[]).filter(Boolean);
};

beforeAll(async () => {
  const c = chartCopy();
  chart = c.chart;
  for (const f of [fixture('pipelines', 'fan-in.yaml'), fixture('pipelines', 'multi-output.yaml'), fixture('pipelines', 'nvidia', 'COVID-19-pipeline.yaml')]) {
    const file = path.join(tempDir(), path.basename(f));
    fs.copyFileSync(f, file);
    const r = await cli(['--chart', chart, 'pipeline', 'import', file, '--prefix', `${path.basename(f, '.yaml').toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 8)}-`]);
    expect(r.code, r.stderr).toBe(0);
  }
  const v = await cli(['--chart', chart, 'workflow', 'list', '--json']);
  workflowNames = JSON.parse(v.stdout).map((w: any) => w.name);
}, 120_000);

const cases: [string, string[], boolean][] = [
  // [what, --set values, has a claim]
  ['jobs, hostPath', [], false],
  ['jobs, persistentVolumeClaim', ['volume.type=persistentVolumeClaim'], true],
  ['argo, hostPath pinned', ['engine=argo', 'volume.nodeSelector.kubernetes\\.io/hostname=node-1'], false],
  ['argo, persistentVolumeClaim', ['engine=argo', 'volume.type=persistentVolumeClaim'], true],
  ['argo, volumeClaimTemplate', ['engine=argo', 'volume.type=volumeClaimTemplate'], true],
];

describe('every rendered stage pod against the standard', () => {
  it.each(cases)('%s: restricted with a claim; with hostPath only the hostPath volume', (_, set, claim) => {
    const argo = set.includes('engine=argo');
    // Jobs make pods in run mode (one Job per stage); Argo's pods come from the catalog's WorkflowTemplates.
    const docs = argo ? render(...set) : workflowNames.flatMap((w) => render(...set, `job.workflow=${w}`, 'job.id=psa-1'));
    const pods = renderedPods(docs);
    expect(pods.length).toBeGreaterThanOrEqual(workflowNames.length * 2);
    for (const { name, pod } of pods) {
      const v = podSecurityViolations(pod);
      if (claim) expect(v, name).toEqual({});
      else {
        expect(Object.keys(v), name).toEqual(['hostPathVolumes', 'restrictedVolumes', 'runAsNonRoot']);
        expect(v.restrictedVolumes, name).toEqual(['volume clara-io: hostPath']);
      }
    }
  });

  it('the user is configurable and still restricted; running as root is possible and is reported', () => {
    const docs = render('engine=argo', 'volume.type=persistentVolumeClaim', 'podSecurityContext.runAsUser=2000');
    for (const { pod } of renderedPods(docs)) {
      expect(pod.spec.securityContext.runAsUser).toBe(2000);
      expect(podSecurityViolations(pod)).toEqual({});
    }
    const root = renderedPods(render('volume.type=persistentVolumeClaim', 'podSecurityContext.runAsNonRoot=false', 'podSecurityContext.runAsUser=0', `job.workflow=${workflowNames[0]}`, 'job.id=psa-1'));
    for (const { pod } of root) expect(Object.keys(podSecurityViolations(pod))).toEqual(['runAsNonRoot', 'runAsUser']);
  });
});

describe('each check fails on its defect', () => {
  const good = (): PodLike => ({
    metadata: { annotations: {} },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'c' } }],
      containers: [{ name: 'stage', image: 'x', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  });
  const c0 = (p: PodLike) => p.spec.containers[0].securityContext;
  const defects: Record<string, (p: PodLike) => void> = {
    hostNamespaces: (p) => (p.spec.hostNetwork = true),
    privileged: (p) => (c0(p).privileged = true),
    capabilitiesBaseline: (p) => (c0(p).capabilities.add = ['SYS_ADMIN']),
    hostPathVolumes: (p) => p.spec.volumes.push({ name: 'h', hostPath: { path: '/x' } }),
    hostPorts: (p) => (p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }]),
    appArmorProfile: (p) => ((p.metadata as any).annotations['container.apparmor.security.beta.kubernetes.io/stage'] = 'unconfined'),
    seLinuxOptions: (p) => (c0(p).seLinuxOptions = { type: 'spc_t' }),
    procMount: (p) => (c0(p).procMount = 'Unmasked'),
    seccompBaseline: (p) => (p.spec.securityContext.seccompProfile = { type: 'Unconfined' }),
    sysctls: (p) => (p.spec.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]),
    windowsHostProcess: (p) => (c0(p).windowsOptions = { hostProcess: true }),
    restrictedVolumes: (p) => p.spec.volumes.push({ name: 'n', nfs: { server: 's', path: '/' } }),
    allowPrivilegeEscalation: (p) => delete c0(p).allowPrivilegeEscalation,
    runAsNonRoot: (p) => delete p.spec.securityContext.runAsNonRoot,
    runAsUser: (p) => (c0(p).runAsUser = 0),
    seccompRestricted: (p) => delete p.spec.securityContext.seccompProfile,
    capabilitiesRestricted: (p) => (c0(p).capabilities.add = ['CHOWN']),
  };
  it('the good pod passes every check', () => expect(podSecurityViolations(good())).toEqual({}));
  it('every check has a defect here', () => expect(Object.keys(defects).sort()).toEqual(Object.keys(RESTRICTED).sort()));
  it.each(Object.keys(defects))('%s', (name) => {
    const p = good();
    defects[name]!(p);
    expect(RESTRICTED[name]!(p).length).toBeGreaterThan(0);
  });
});
