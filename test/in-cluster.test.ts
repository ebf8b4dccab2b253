// In a pod with no kubeconfig, clara-wf reaches the cluster with its service
// account, as client-go's in-cluster config does (KUBERNETES_SERVICE_HOST/PORT
// and the token, CA and namespace mounted at
// /var/run/secrets/kubernetes.io/serviceaccount). The account is stood up under
// a temp folder (CLARA_WF_IN_CLUSTER_ROOT), against the TLS test server (a test double).
import fs from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeTestServer } from './kube/server.js';
import { repoRoot, runCli, tempDir } from './helpers.js';

describe('in-cluster (the Kubernetes API test server, a test double)', async () => {
  const server = await KubeTestServer.start({ tls: true });
  afterAll(() => server.stop());
  server.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'clara' } });
  // The chart's own Pipeline CRD, as `clara-wf install` would have put it there.
  server.seed(load(fs.readFileSync(path.join(repoRoot, 'charts/clara-workflow/crds/pipelines.clara.nvidia.com.yaml'), 'utf8')) as any);
  const root = tempDir();
  const account = path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
  fs.mkdirSync(account, { recursive: true });
  fs.writeFileSync(path.join(account, 'token'), 'in-cluster-token');
  fs.writeFileSync(path.join(account, 'ca.crt'), server.ca as string);
  fs.writeFileSync(path.join(account, 'namespace'), 'clara');
  const port = new URL(server.url).port;
  const pod = { HOME: tempDir(), KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port, CLARA_WF_IN_CLUSTER_ROOT: root };

  it('no kubeconfig: the service account, its CA and its namespace are used', async () => {
    const r = await runCli(['pipeline', 'create', '-p', path.join(repoRoot, 'examples', 'my-pipeline.yaml')], { cwd: repoRoot, env: pod });
    expect(r.code, r.stderr).toBe(0);
    expect(server.objects('Pipeline', 'clara')).toHaveLength(1);
    expect(server.objects('Pipeline', 'default')).toHaveLength(0);
  });

  it('without the mounted token it is the usual "no kubeconfig" error', async () => {
    const r = await runCli(['pipeline', 'list'], { cwd: repoRoot, env: { ...pod, CLARA_WF_IN_CLUSTER_ROOT: tempDir() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no kubeconfig');
  });

  it('a CA that is not the server\'s is refused, naming the in-cluster account', async () => {
    const other = tempDir();
    const acc = path.join(other, 'var/run/secrets/kubernetes.io/serviceaccount');
    fs.mkdirSync(acc, { recursive: true });
    fs.writeFileSync(path.join(acc, 'token'), 't');
    fs.writeFileSync(path.join(acc, 'ca.crt'), '');
    const r = await runCli(['pipeline', 'list'], { cwd: repoRoot, env: { ...pod, CLARA_WF_IN_CLUSTER_ROOT: other } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('in-cluster, its service account');
  });
});
