// What the cluster commands share: connecting, the pre-flight checks, and
// the helm arguments that point helm at the same cluster and namespace.
import fs from 'node:fs';
import path from 'node:path';
import { YAML11_SCHEMA, load } from 'js-yaml';
import semver from 'semver';
import type { Cluster, ClusterOptions } from '../adapters/kube.js';
import type { ClusterSetup } from '../runner/followed.js';
import type { Runtime } from '../runner/runtime.js';
import { ExternalToolError, UsageError } from '../core/errors.js';
import type { Ctx } from './context.js';
import { overlayHelmArgs, type Overlays } from './values-file.js';

export interface ClusterFlags extends Overlays {
  namespace?: string;
  createNamespace?: boolean;
  kubeconfig?: string;
  kubeContext?: string;
  release?: string;
  timeout?: string;
  wait?: boolean;
  atomic?: boolean;
  dryRun?: boolean;
}

export const RELEASE_RE = /^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$/;
const DURATION_RE = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

export function checkClusterFlags(f: ClusterFlags): void {
  if (f.release && !RELEASE_RE.test(f.release)) throw new UsageError(`--release "${f.release}" must be a DNS-1123 name of at most 53 characters`);
  if (f.namespace && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(f.namespace)) throw new UsageError(`--namespace "${f.namespace}" is not a valid namespace name`);
  if (f.timeout && !DURATION_RE.test(f.timeout)) throw new UsageError(`--timeout "${f.timeout}" is not a duration such as 300s or 5m`);
}

export async function connect(ctx: Ctx, f: ClusterFlags, connectTimeoutMs?: number): Promise<Cluster> {
  const { Cluster } = await import('../adapters/kube.js');
  const opts: ClusterOptions = { kubeconfig: f.kubeconfig, context: f.kubeContext, namespace: f.namespace, connectTimeoutMs };
  return Cluster.connect(opts, ctx.io.env, ctx.io.cwd);
}

/**
 * helm flags for the same cluster, context and namespace client-node uses.
 * Several $KUBECONFIG files: helm reads that same variable and merges them as client-go does.
 */
export function helmClusterArgs(cluster: Cluster, f: ClusterFlags): string[] {
  const files = cluster.kubeconfigFiles;
  const args = [...(files.length === 1 ? ['--kubeconfig', files[0] as string] : []), '--namespace', cluster.namespace];
  if (f.kubeContext) args.push('--kube-context', f.kubeContext);
  return args;
}

export function chartKubeVersion(chartDir: string): string | undefined {
  try {
    const chart = load(fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8'), { schema: YAML11_SCHEMA }) as { kubeVersion?: string };
    return chart?.kubeVersion;
  } catch {
    return undefined;
  }
}

export interface Preflight {
  serverVersion: string;
  namespaceExists: boolean;
  release: { revision: number; status: string } | null;
}

/**
 * Before helm runs: the cluster answers (within a few seconds), its version
 * satisfies Chart.yaml's kubeVersion, the namespace exists (or will be
 * created), and the release is not stuck in a pending state.
 */
export async function preflight(ctx: Ctx, cluster: Cluster, release: string, f: ClusterFlags): Promise<Preflight> {
  const serverVersion = await cluster.version();
  const wanted = chartKubeVersion(ctx.chartDir);
  const have = semver.coerce(serverVersion)?.version;
  if (wanted && have && !semver.satisfies(have, wanted, { includePrerelease: true })) {
    throw new ExternalToolError(`the cluster at ${cluster.server} runs Kubernetes ${serverVersion}, but the chart needs kubeVersion ${wanted} (Chart.yaml)`);
  }
  const namespaceExists = await cluster.namespaceExists(cluster.namespace);
  if (!namespaceExists && !f.createNamespace) {
    throw new ExternalToolError(`namespace ${cluster.namespace} does not exist on ${cluster.server}; create it or pass --create-namespace`);
  }
  const state = namespaceExists ? await cluster.releaseState(release, cluster.namespace) : null;
  if (state && state.status.startsWith('pending-')) {
    const fix =
      state.revision > 1
        ? `helm rollback ${release} ${state.revision - 1} --namespace ${cluster.namespace}`
        : `helm uninstall ${release} --namespace ${cluster.namespace}`;
    throw new ExternalToolError(
      `release ${release} in namespace ${cluster.namespace} is stuck in ${state.status} (revision ${state.revision}): another helm operation was interrupted. If none is running, fix it with: ${fix}`,
    );
  }
  return { serverVersion, namespaceExists, release: state ? { revision: state.revision, status: state.status } : null };
}

/** Where a cluster runtime (jobs, argo) submits: this cluster, helm, the chart and the command's overlays. */
export function clusterSetup(ctx: Ctx, cluster: Cluster, f: ClusterFlags, helmBin: string, catalogRelease: string): ClusterSetup {
  return {
    cluster,
    helmBin,
    chartDir: ctx.chartDir,
    clusterArgs: helmClusterArgs(cluster, f),
    valuesArgs: overlayHelmArgs(ctx, f),
    catalogRelease,
    createNamespace: f.createNamespace,
    // In a pod (no kubeconfig) the catalog is the release the gateway came with; it is not upgraded from inside.
    installCatalog: cluster.kubeconfigFiles.length > 0,
    cwd: ctx.io.cwd,
    // Read at each helm run: in a pod it carries the service account's current token.
    get env() {
      return { ...ctx.io.env, ...cluster.helmEnv() };
    },
    info: (m) => ctx.info(m),
  };
}

/**
 * A cluster runtime, checked before anything runs on it: engine argo (a
 * Workflow per job from the catalog release's WorkflowTemplates) or jobs (a
 * run-mode release of stage Jobs per job). helm answers, the cluster answers,
 * and the pre-flight passes for `preflightRelease`; in a pod its account may
 * read nothing cluster-wide (no namespaces), so there the version answering is the check.
 */
export async function clusterRuntime(ctx: Ctx, f: ClusterFlags, engine: 'argo' | 'jobs', preflightRelease: (catalogRelease: string) => string): Promise<{ runtime: Runtime; cluster: Cluster; catalogRelease: string }> {
  const { locateHelm, checkHelmVersion } = await import('../adapters/helm.js');
  const catalogRelease = f.release ?? 'clara-workflow';
  const helm = locateHelm(ctx.io.env);
  const helmVersion = checkHelmVersion(helm, ctx.io.env);
  const cluster = await connect(ctx, f);
  if (cluster.kubeconfigFiles.length) await preflight(ctx, cluster, preflightRelease(catalogRelease), f);
  else await cluster.version();
  await helmVersion;
  const setup = clusterSetup(ctx, cluster, f, helm.bin, catalogRelease);
  const runtime = engine === 'argo' ? (await import('../runner/argo.js')).argoRuntime(setup) : (await import('../runner/jobs.js')).jobsRuntime(setup);
  return { runtime, cluster, catalogRelease };
}
