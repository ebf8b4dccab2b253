// The cluster, through @kubernetes/client-node (1.4.0: the last line that loads
// on Node 20). Imported lazily: only commands that talk to a cluster pay for it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { gunzipSync } from 'node:zlib';
import { ExternalToolError, UsageError } from '../core/errors.js';
import { deferredExtraCaFile } from './extra-ca.js';
import { importPackage } from './import-package.js';

type ClientNode = typeof import('@kubernetes/client-node');

export interface ClusterOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  /** How long the first request may take before the cluster counts as unreachable. */
  connectTimeoutMs?: number;
}

export interface ReleaseState {
  revision: number;
  status: string;
}

/**
 * The kubeconfig files, chosen as kubectl and helm choose them: --kubeconfig;
 * else every existing $KUBECONFIG entry (merged by loadKubeconfig); else ~/.kube/config.
 */
export function resolveKubeconfig(opts: ClusterOptions, env: Record<string, string | undefined>, cwd: string): string[] {
  if (opts.kubeconfig) {
    const p = path.resolve(cwd, opts.kubeconfig);
    if (!fs.existsSync(p)) throw new UsageError(`--kubeconfig ${opts.kubeconfig}: no such file`);
    return [p];
  }
  const listed = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean).map((p) => path.resolve(cwd, p));
  const existing = [...new Set(listed)].filter((p) => fs.existsSync(p));
  if (existing.length) return existing;
  const home = path.join(env.HOME || os.homedir(), '.kube', 'config');
  if (fs.existsSync(home)) return [home];
  throw new UsageError(
    listed.length
      ? `no kubeconfig: none of the KUBECONFIG files exists (${listed.join(path.delimiter)}), nor ~/.kube/config`
      : 'no kubeconfig: pass --kubeconfig <file>, set KUBECONFIG, or create ~/.kube/config',
  );
}

/**
 * Read and merge kubeconfig files with client-go's rules (kubectl, helm): the
 * first file to name a cluster, user or context wins, and so does the first
 * current-context. Relative paths inside a file are relative to that file.
 */
function loadKubeconfig(k8s: ClientNode, files: string[]): InstanceType<ClientNode['KubeConfig']> {
  const loaded = files.map((file) => {
    const kc = new k8s.KubeConfig();
    try {
      kc.loadFromFile(file);
    } catch (e) {
      throw new UsageError(`cannot read kubeconfig ${file}: ${(e as Error).message}`);
    }
    return kc;
  });
  if (loaded.length === 1) return loaded[0] as InstanceType<ClientNode['KubeConfig']>;
  const firstByName = <T extends { name: string }>(lists: T[][]): T[] => {
    const seen = new Map<string, T>();
    for (const item of lists.flat()) if (!seen.has(item.name)) seen.set(item.name, item);
    return [...seen.values()];
  };
  const merged = new k8s.KubeConfig();
  merged.loadFromOptions({
    clusters: firstByName(loaded.map((kc) => kc.clusters ?? [])),
    users: firstByName(loaded.map((kc) => kc.users ?? [])),
    contexts: firstByName(loaded.map((kc) => kc.contexts ?? [])),
    currentContext: loaded.map((kc) => kc.currentContext).find(Boolean) ?? '',
  });
  return merged;
}

/**
 * Where the kubeconfig names no CA, Node trusts its own roots plus
 * NODE_EXTRA_CA_CERTS. When the launcher deferred that file (extra-ca.ts), the
 * same set is given to the current cluster explicitly.
 */
function trustDeferredExtraCa(kc: InstanceType<ClientNode['KubeConfig']>): void {
  const file = deferredExtraCaFile();
  const current = kc.getCurrentCluster();
  if (!file || !current || current.caData || current.caFile || current.skipTLSVerify || !current.server.startsWith('https:')) return;
  let extra = '';
  try {
    extra = fs.readFileSync(file, 'utf8');
  } catch (e) {
    // What Node itself does with an unreadable file.
    process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(e as Error).message}`);
    return;
  }
  const caData = Buffer.from([...tls.rootCertificates, extra].join('\n')).toString('base64');
  kc.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.name === current.name ? { ...c, caData } : c)),
    contexts: kc.contexts,
    users: kc.users,
    currentContext: kc.currentContext,
  });
}

/** Where a pod's service account is mounted (client-go rest.InClusterConfig). */
const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * A pod's in-cluster account, when KUBERNETES_SERVICE_HOST/PORT are set and its
 * token is mounted. CLARA_WF_IN_CLUSTER_ROOT puts a folder before the mount
 * path (tests stand a service account up under a temp folder).
 */
function inClusterAccount(env: Record<string, string | undefined>): { prefix: string } | null {
  const prefix = env.CLARA_WF_IN_CLUSTER_ROOT ?? '';
  if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT) return null;
  return fs.existsSync(path.join(`${prefix}${SERVICE_ACCOUNT}`, 'token')) ? { prefix } : null;
}

export class Cluster {
  readonly server: string;
  readonly context: string;
  readonly namespace: string;

  private constructor(
    readonly k8s: ClientNode,
    readonly kc: InstanceType<ClientNode['KubeConfig']>,
    /** The files it was read from (several when $KUBECONFIG lists them). */
    readonly kubeconfigFiles: string[],
    private readonly timeoutMs: number,
    namespace: string | undefined,
    /** In a pod: where its service account is mounted (null: reached through a kubeconfig). */
    private readonly account: string | null = null,
  ) {
    this.server = kc.getCurrentCluster()?.server ?? '(no server)';
    this.context = kc.getCurrentContext();
    const ctx = kc.getContextObject(this.context);
    this.namespace = namespace ?? ctx?.namespace ?? 'default';
  }

  /**
   * What helm needs to reach the same cluster: nothing with a kubeconfig (its
   * flags name it); in a pod, the API server, the CA and the token of the
   * mounted service account (HELM_KUBEAPISERVER, HELM_KUBECAFILE,
   * HELM_KUBETOKEN), the token read again each time (kubelet rotates it).
   */
  helmEnv(): Record<string, string> {
    if (!this.account) return {};
    return { HELM_KUBEAPISERVER: this.server, HELM_KUBECAFILE: path.join(this.account, 'ca.crt'), HELM_KUBETOKEN: fs.readFileSync(path.join(this.account, 'token'), 'utf8').trim() };
  }

  /** The kubeconfig, as messages name it. */
  get kubeconfigPath(): string {
    return this.kubeconfigFiles.join(path.delimiter);
  }

  static async connect(opts: ClusterOptions, env: Record<string, string | undefined>, cwd: string): Promise<Cluster> {
    let files: string[];
    try {
      files = resolveKubeconfig(opts, env, cwd);
    } catch (e) {
      // In a pod with no kubeconfig: its service account, as client-go's in-cluster config does.
      const account = inClusterAccount(env);
      if (opts.kubeconfig || !account) throw e;
      const k8s = await importPackage<ClientNode>('@kubernetes/client-node');
      const kc = new k8s.KubeConfig();
      kc.loadFromCluster(account.prefix);
      return new Cluster(k8s, kc, [], opts.connectTimeoutMs ?? 3500, opts.namespace, `${account.prefix}${SERVICE_ACCOUNT}`);
    }
    const k8s = await importPackage<ClientNode>('@kubernetes/client-node');
    const kc = loadKubeconfig(k8s, files);
    const file = files.join(path.delimiter);
    if (opts.context) {
      if (!kc.getContexts().some((c) => c.name === opts.context)) {
        throw new UsageError(`kubeconfig ${file} has no context "${opts.context}" (it has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
      }
      kc.setCurrentContext(opts.context);
    }
    if (!kc.getCurrentCluster()) throw new UsageError(`kubeconfig ${file}: the current context names no cluster`);
    trustDeferredExtraCa(kc);
    return new Cluster(k8s, kc, files, opts.connectTimeoutMs ?? 3500, opts.namespace);
  }

  /** The cluster in words: its server and how it is reached. */
  describe(): string {
    return `the cluster at ${this.server} (${this.kubeconfigFiles.length ? `context ${this.context}, kubeconfig ${this.kubeconfigPath}` : 'in-cluster, its service account'})`;
  }

  /** Run a client-node call; turn failures into exit-4 errors that name the cluster. */
  async call<T>(what: string, fn: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ExternalToolError(`${this.describe()} did not answer within ${Math.round(timeoutMs / 1000)} s (${what})`)), timeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (e) {
      if (e instanceof ExternalToolError) throw e;
      throw new ExternalToolError(`${what} failed on ${this.describe()}: ${describe(e)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async version(): Promise<string> {
    const api = this.kc.makeApiClient(this.k8s.VersionApi);
    const v = await this.call('reading the server version', () => api.getCode());
    return v.gitVersion;
  }

  async namespaceExists(name: string): Promise<boolean> {
    const api = this.kc.makeApiClient(this.k8s.CoreV1Api);
    return this.call(`reading namespace ${name}`, async () => {
      try {
        await api.readNamespace({ name });
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    });
  }

  /** helm stores releases as Secrets labelled owner=helm,name=<release>; the latest decides the state. */
  async releaseState(release: string, namespace: string): Promise<(ReleaseState & { chartVersion?: string; appVersion?: string; updated?: string }) | null> {
    const api = this.kc.makeApiClient(this.k8s.CoreV1Api);
    const list = await this.call('reading helm releases', () => api.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release}` }));
    const latest = list.items.map((s) => ({ s, v: Number(s.metadata?.labels?.version ?? 0) })).sort((a, b) => b.v - a.v)[0];
    if (!latest) return null;
    const state: ReleaseState & { chartVersion?: string; appVersion?: string; updated?: string } = { revision: latest.v, status: latest.s.metadata?.labels?.status ?? 'unknown' };
    try {
      // data.release = base64(helm's base64(gzip(json)))
      const inner = Buffer.from(latest.s.data?.release ?? '', 'base64').toString('utf8');
      const rel = JSON.parse(gunzipSync(Buffer.from(inner, 'base64')).toString('utf8'));
      state.chartVersion = rel.chart?.metadata?.version;
      state.appVersion = rel.chart?.metadata?.appVersion;
      state.updated = rel.info?.last_deployed;
    } catch {
      /* labels are enough */
    }
    return state;
  }
}

export function isNotFound(e: unknown): boolean {
  return (e as { code?: number }).code === 404;
}

/** A readable reason from a client-node or network error. */
export function describe(e: unknown): string {
  const err = e as { code?: number | string; body?: unknown; message?: string; cause?: { code?: string; message?: string } };
  if (typeof err.code === 'number') {
    let msg = '';
    try {
      msg = JSON.parse(String(err.body)).message ?? '';
    } catch {
      msg = String(err.body ?? '');
    }
    return `HTTP ${err.code}${msg ? `: ${msg}` : ''}`;
  }
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}
