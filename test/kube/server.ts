// A Kubernetes-API-compatible test server (test-only; never shipped). It speaks
// enough of the REST API for the real helm 3.10 and @kubernetes/client-node:
// discovery (with groups from created CRDs), /openapi/v2, CRUD with Kubernetes
// status codes and Status bodies, label/field selectors, strategic-merge,
// merge and JSON patches, watches, pod logs, and an optional Job simulator.
import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

type Obj = Record<string, any>;

interface ResourceType {
  group: string; // '' for core
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  /** A CRD's additionalPrinterColumns, for `kubectl get` (Table responses). */
  columns?: { name: string; type: string; jsonPath: string }[];
}

const BUILTIN: ResourceType[] = [
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', singular: 'namespace', namespaced: false, shortNames: ['ns'] },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', singular: 'secret', namespaced: true },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'] },
  { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'] },
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', singular: 'pod', namespaced: true, shortNames: ['po'] },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', singular: 'service', namespaced: true, shortNames: ['svc'] },
  { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', singular: 'job', namespaced: true },
  { group: '', version: 'v1', kind: 'Node', plural: 'nodes', singular: 'node', namespaced: false, shortNames: ['no'] },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', singular: 'statefulset', namespaced: true, shortNames: ['sts'] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', singular: 'role', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', singular: 'rolebinding', namespaced: true },
  { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', singular: 'customresourcedefinition', namespaced: false, shortNames: ['crd'] },
];

export interface SimulatedOutcome {
  result: 'succeed' | 'fail' | 'hang';
  /** How long the stage "runs" once started. */
  runMs?: number;
  log?: string;
}

export interface KubeServerOptions {
  tls?: boolean;
  gitVersion?: string;
  /** Move Jobs to Complete/Failed as a cluster would; stages wait for their wait lock's owner. */
  simulateJobs?: (job: Obj) => SimulatedOutcome;
  /** Seconds of activeDeadlineSeconds are multiplied by this (fast tests). */
  deadlineScale?: number;
  /**
   * Argo Workflows: serve its CRDs (workflows, workflowtemplates) and run a
   * small controller: a Workflow's template DAG progresses in dependency
   * order, each task's outcome given by this function; a failed task omits
   * its dependants; spec.shutdown stops the run.
   */
  argo?: (workflow: Obj, task: string) => SimulatedOutcome;
  /**
   * A test double of a node: pods run instead of being simulated. A Job's pod,
   * or an Argo node's pod, runs its stage's command (`command(stage)`, the
   * test gives its local.command) followed by the container's args, as a
   * process on this machine; every path under one of the container's volume
   * mounts (in its env and args) is mapped to a folder under `claimDir`, which
   * stands for the shared claim (or hostPath) every pod mounts; its exit code
   * is the pod's phase and its output the pod's log. A stage that exits 0
   * without writing its lock gets one, as the Clara driver writes it.
   */
  runPods?: { claimDir: string; command(stage: string): { argv: string[]; cwd: string } | null };
  /**
   * RBAC for some bearer tokens (any other token may do anything): a request
   * of such a token is allowed only when one of its rules (a Role's, same
   * fields) names its API group, resource (with subresource, e.g. pods/log)
   * and verb (get, list, watch, create, update, patch, delete,
   * deletecollection), in its namespace; otherwise 403 Forbidden, as the API
   * server answers. Discovery and /version are open to every token.
   */
  /** Called for every stored change (ADDED, MODIFIED, DELETED) as it happens: benches time and count with it. */
  onEvent?: (type: string, obj: Obj) => void;
  rbac?: Record<string, { namespace: string; rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }>;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
}

interface Watcher {
  type: ResourceType;
  namespace: string | null;
  labelSelector: string | null;
  fieldSelector: string | null;
  res: http.ServerResponse;
}

const statusBody = (code: number, reason: string, message: string, details?: Obj) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code });

export class KubeTestServer {
  readonly requests: RequestRecord[] = [];
  /** Requests RBAC refused: token, verb, resource, namespace. */
  readonly forbidden: { token: string; verb: string; resource: string; namespace: string | null }[] = [];
  /** Every request RBAC looked at: token, verb, <group|core>/<resource>, whether it was allowed. */
  readonly checked: { token: string; verb: string; resource: string; allowed: boolean }[] = [];
  private readonly types: ResourceType[] = [...BUILTIN];
  private readonly store = new Map<string, Obj>();
  private readonly watchers = new Set<Watcher>();
  private readonly history: { rv: number; type: string; obj: Obj; rt: ResourceType }[] = [];
  private readonly logs = new Map<string, string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly processes = new Map<string, ChildProcess>();
  /** Pods that ran as processes: pod name, stage, exit code (null while running). */
  readonly ranPods: { pod: string; stage: string; code: number | null }[] = [];
  private rv = 100;
  private server!: http.Server;
  url = '';
  /** The self-signed certificate (PEM) it serves when tls is on. */
  ca: string | null = null;
  private dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-test-'));

  constructor(private readonly opts: KubeServerOptions = {}) {
    for (const ns of ['default', 'kube-system']) this.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    if (opts.argo) {
      this.types.push(
        { group: 'argoproj.io', version: 'v1alpha1', kind: 'Workflow', plural: 'workflows', singular: 'workflow', namespaced: true, shortNames: ['wf'] },
        { group: 'argoproj.io', version: 'v1alpha1', kind: 'WorkflowTemplate', plural: 'workflowtemplates', singular: 'workflowtemplate', namespaced: true, shortNames: ['wftmpl'] },
      );
    }
  }

  static async start(opts: KubeServerOptions = {}): Promise<KubeTestServer> {
    const s = new KubeTestServer(opts);
    await s.listen();
    return s;
  }

  private async listen(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res).catch((e) => this.send(res, 500, statusBody(500, 'InternalError', String(e?.stack ?? e))));
    if (this.opts.tls) {
      const key = path.join(this.dir, 'key.pem');
      const cert = path.join(this.dir, 'cert.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
      this.ca = fs.readFileSync(cert, 'utf8');
      this.server = https.createServer({ key: fs.readFileSync(key), cert: this.ca }, handler);
    } else {
      this.server = http.createServer(handler);
    }
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const port = (this.server.address() as AddressInfo).port;
    this.url = `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const p of this.processes.values()) p.kill('SIGKILL');
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    this.server.closeAllConnections?.();
    await new Promise<void>((r) => this.server.close(() => r()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** A kubeconfig for this server (mode 0600, as helm wants). */
  kubeconfig(dir: string, context = 'test', token = 'test-token'): string {
    const cluster = this.opts.tls
      ? `    certificate-authority-data: ${Buffer.from(this.ca as string).toString('base64')}\n    server: ${this.url}`
      : `    insecure-skip-tls-verify: true\n    server: ${this.url}`;
    const text = `apiVersion: v1\nkind: Config\nclusters:\n- name: ${context}\n  cluster:\n${cluster}\ncontexts:\n- name: ${context}\n  context:\n    cluster: ${context}\n    user: ${context}\n    namespace: default\ncurrent-context: ${context}\nusers:\n- name: ${context}\n  user:\n    token: ${token}\n`;
    const file = path.join(dir, 'kubeconfig');
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  }

  // ---- test helpers --------------------------------------------------------
  /** Objects of a kind (optionally in a namespace), as stored. */
  objects(kind: string, namespace?: string): Obj[] {
    return [...this.store.values()].filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace));
  }
  seed(obj: Obj): Obj {
    const rt = this.types.find((t) => t.kind === obj.kind && apiVersionOf(t) === obj.apiVersion) as ResourceType;
    return this.create(rt, obj.metadata.namespace ?? null, obj);
  }
  mutations(): RequestRecord[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }
  setPodLog(namespace: string, pod: string, text: string): void {
    this.logs.set(`${namespace}/${pod}`, text);
  }

  // ---- storage -------------------------------------------------------------
  private key(rt: ResourceType, ns: string | null, name: string) {
    return `${rt.group}/${rt.plural}/${rt.namespaced ? ns : ''}/${name}`;
  }

  private create(rt: ResourceType, ns: string | null, body: Obj): Obj {
    const obj = structuredClone(body);
    obj.apiVersion = apiVersionOf(rt);
    obj.kind = rt.kind;
    obj.metadata ??= {};
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + randomBytes(3).toString('hex').slice(0, 5);
    if (rt.namespaced) obj.metadata.namespace = ns;
    else delete obj.metadata.namespace;
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    obj.metadata.generation = 1;
    obj.metadata.resourceVersion = String(++this.rv);
    if (rt.kind === 'Namespace') obj.status = { phase: 'Active' };
    if (rt.kind === 'CustomResourceDefinition') this.registerCrd(obj);
    this.store.set(this.key(rt, ns, obj.metadata.name), obj);
    this.emit('ADDED', rt, obj);
    if (rt.kind === 'Job' && (this.opts.simulateJobs || this.opts.runPods)) this.simulateJob(obj);
    if (rt.kind === 'Workflow' && this.opts.argo) this.simulateWorkflow(obj);
    return obj;
  }

  private replace(rt: ResourceType, old: Obj, next: Obj): Obj {
    const obj = structuredClone(next);
    obj.apiVersion = old.apiVersion;
    obj.kind = old.kind;
    obj.metadata = { ...obj.metadata, uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp, namespace: old.metadata.namespace, name: old.metadata.name, resourceVersion: String(++this.rv), generation: (old.metadata.generation ?? 1) + 1 };
    if (!rt.namespaced) delete obj.metadata.namespace;
    this.store.set(this.key(rt, old.metadata.namespace ?? null, old.metadata.name), obj);
    this.emit('MODIFIED', rt, obj);
    return obj;
  }

  private remove(rt: ResourceType, obj: Obj): void {
    this.store.delete(this.key(rt, obj.metadata.namespace ?? null, obj.metadata.name));
    if (rt.kind === 'Pod') this.killPod(obj.metadata.name);
    this.emit('DELETED', rt, { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } });
    // Cascade: objects owned by this one, everything in a deleted namespace, a CRD's resources.
    for (const o of [...this.store.values()]) {
      const ort = this.typeOf(o);
      if (!ort) continue;
      const owned = (o.metadata.ownerReferences ?? []).some((r: Obj) => r.uid === obj.metadata.uid);
      const inNs = rt.kind === 'Namespace' && o.metadata.namespace === obj.metadata.name;
      const ofCrd = rt.kind === 'CustomResourceDefinition' && ort.group === obj.spec.group && ort.plural === obj.spec.names.plural;
      if (owned || inNs || ofCrd) this.remove(ort, o);
    }
    if (rt.kind === 'CustomResourceDefinition') {
      const i = this.types.findIndex((t) => t.group === obj.spec.group && t.plural === obj.spec.names.plural);
      if (i >= 0) this.types.splice(i, 1);
    }
  }

  private typeOf(o: Obj): ResourceType | undefined {
    return this.types.find((t) => t.kind === o.kind && apiVersionOf(t) === o.apiVersion);
  }

  private registerCrd(crd: Obj): void {
    const spec = crd.spec;
    const version = (spec.versions ?? []).find((v: Obj) => v.served) ?? spec.versions?.[0];
    this.types.push({ group: spec.group, version: version.name, kind: spec.names.kind, plural: spec.names.plural, singular: spec.names.singular ?? spec.names.kind.toLowerCase(), namespaced: spec.scope === 'Namespaced', shortNames: spec.names.shortNames, columns: version.additionalPrinterColumns });
    crd.status = {
      acceptedNames: spec.names,
      storedVersions: [version.name],
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', lastTransitionTime: crd.metadata.creationTimestamp },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', lastTransitionTime: crd.metadata.creationTimestamp },
      ],
    };
  }

  private emit(type: string, rt: ResourceType, obj: Obj): void {
    this.history.push({ rv: Number(obj.metadata.resourceVersion), type, obj: structuredClone(obj), rt });
    this.opts.onEvent?.(type, obj);
    if (this.history.length > 5000) this.history.shift();
    for (const w of this.watchers) {
      if (w.type !== rt || (w.namespace && obj.metadata.namespace !== w.namespace)) continue;
      if (!matchLabels(obj, w.labelSelector) || !matchFields(obj, w.fieldSelector)) continue;
      w.res.write(JSON.stringify({ type, object: obj }) + '\n');
    }
  }

  // ---- HTTP ----------------------------------------------------------------
  private send(res: http.ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
    if (res.headersSent) return;
    const data = Buffer.isBuffer(body) ? body : typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data as string | Buffer) });
    res.end(data);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.search });
    const q = url.searchParams;
    const body = method === 'GET' || method === 'DELETE' ? await readBody(req).catch(() => '') : await readBody(req);
    const parts = url.pathname.split('/').filter(Boolean);

    if (url.pathname === '/version') return this.send(res, 200, { major: '1', minor: '25', gitVersion: this.opts.gitVersion ?? 'v1.25.3', platform: 'linux/amd64' });
    if (url.pathname === '/openapi/v2') return this.send(res, 200, Buffer.from([0x0a, 0x03, 0x32, 0x2e, 0x30]), 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    if (url.pathname === '/api') return this.send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: url.host }] });
    if (url.pathname === '/apis') return this.send(res, 200, this.groupList());
    if (url.pathname === '/api/v1') return this.send(res, 200, this.resourceList('', 'v1'));
    if (parts[0] === 'apis' && parts.length === 3) {
      if (!this.types.some((t) => t.group === parts[1] && t.version === parts[2])) return this.send(res, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
      return this.send(res, 200, this.resourceList(parts[1] as string, parts[2] as string));
    }
    if (parts[0] === 'apis' && parts.length === 2) {
      const g = this.groupList().groups.find((x) => x.name === parts[1]);
      return g ? this.send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g }) : this.send(res, 404, statusBody(404, 'NotFound', 'not found'));
    }

    // /api/v1/... or /apis/<g>/<v>/...
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts[1] === 'v1') {
      group = '';
      version = 'v1';
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 4) {
      group = parts[1] as string;
      version = parts[2] as string;
      rest = parts.slice(3);
    } else return this.send(res, 404, statusBody(404, 'NotFound', `no route ${url.pathname}`));

    let ns: string | null = null;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      ns = rest[1] as string;
      rest = rest.slice(2);
    }
    const [plural, name, sub] = rest as [string, string | undefined, string | undefined];
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    const account = this.opts.rbac?.[token];
    if (account) {
      const verb = method === 'GET' ? (name ? 'get' : q.get('watch') === 'true' || q.get('watch') === '1' ? 'watch' : 'list') : method === 'POST' ? 'create' : method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch' : name ? 'delete' : 'deletecollection';
      const resource = sub ? `${plural}/${sub}` : plural;
      const allowed = ns === account.namespace && account.rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
      this.checked.push({ token, verb, resource: `${group || 'core'}/${resource}`, allowed });
      if (!allowed) {
        this.forbidden.push({ token, verb, resource, namespace: ns });
        return this.send(res, 403, statusBody(403, 'Forbidden', `${resource}${group ? `.${group}` : ''}${name ? ` "${name}"` : ''} is forbidden: User "system:serviceaccount:${account.namespace}:gateway" cannot ${verb} resource "${resource}" in API group "${group}"${ns ? ` in the namespace "${ns}"` : ' at the cluster scope'}`, { kind: plural }));
      }
    }
    const rt = this.types.find((t) => t.group === group && t.version === version && t.plural === plural);
    if (!rt) return this.send(res, 404, statusBody(404, 'NotFound', `the server could not find the requested resource (${group}/${version} ${plural})`));
    if (ns && rt.namespaced && !this.store.has(this.key(BUILTIN[0] as ResourceType, null, ns)) && method === 'POST') {
      return this.send(res, 404, statusBody(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' }));
    }

    if (!name) {
      if (method === 'GET') {
        const items = [...this.store.values()].filter((o) => this.typeOf(o) === rt && (!ns || o.metadata.namespace === ns) && matchLabels(o, q.get('labelSelector')) && matchFields(o, q.get('fieldSelector')));
        if (q.get('watch') === 'true' || q.get('watch') === '1') return this.watch(res, rt, ns, q);
        // kubectl get asks for a Table (Accept: ...;as=Table): columns as the API server builds them.
        if (/as=Table/.test(String(req.headers.accept ?? ''))) return this.send(res, 200, table(rt, items, String(this.rv)));
        return this.send(res, 200, { apiVersion: apiVersionOf(rt), kind: `${rt.kind}List`, metadata: { resourceVersion: String(this.rv) }, items });
      }
      if (method === 'POST') {
        const obj = JSON.parse(body || '{}');
        const objName = obj.metadata?.name;
        if (objName && this.store.has(this.key(rt, ns, objName))) {
          return this.send(res, 409, statusBody(409, 'AlreadyExists', `${rt.plural} "${objName}" already exists`, { name: objName, kind: rt.plural }));
        }
        if (!objName && !obj.metadata?.generateName) return this.send(res, 422, statusBody(422, 'Invalid', 'metadata.name is required'));
        if (q.get('dryRun')) return this.send(res, 201, { ...obj, apiVersion: apiVersionOf(rt), kind: rt.kind });
        return this.send(res, 201, this.create(rt, ns, obj));
      }
      return this.send(res, 405, statusBody(405, 'MethodNotAllowed', `${method} not allowed on a collection`));
    }

    const current = this.store.get(this.key(rt, ns, name));
    if (rt.kind === 'Pod' && sub === 'log') {
      if (!current) return this.send(res, 404, statusBody(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }));
      return this.send(res, 200, this.logs.get(`${ns}/${name}`) ?? '', 'text/plain');
    }
    if (!current) return this.send(res, 404, statusBody(404, 'NotFound', `${rt.plural}${rt.group ? '.' + rt.group : ''} "${name}" not found`, { name, group: rt.group, kind: rt.plural }));
    if (method === 'GET') return this.send(res, 200, current);
    if (method === 'PUT') return this.send(res, 200, this.replace(rt, current, JSON.parse(body)));
    if (method === 'PATCH') {
      const type = String(req.headers['content-type'] ?? '');
      const patch = JSON.parse(body);
      let next: Obj;
      if (type.startsWith('application/json-patch+json')) next = jsonPatch(current, patch);
      else if (type.startsWith('application/merge-patch+json')) next = mergePatch(current, patch);
      else if (type.startsWith('application/strategic-merge-patch+json')) next = strategicMerge(current, patch);
      else return this.send(res, 415, statusBody(415, 'UnsupportedMediaType', `unsupported patch type ${type}`));
      return this.send(res, 200, this.replace(rt, current, next));
    }
    if (method === 'DELETE') {
      this.remove(rt, current);
      return this.send(res, 200, rt.kind === 'Namespace' ? current : { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: rt.plural, uid: current.metadata.uid } });
    }
    return this.send(res, 405, statusBody(405, 'MethodNotAllowed', `${method} not allowed`));
  }

  private watch(res: http.ServerResponse, rt: ResourceType, ns: string | null, q: URLSearchParams): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    const w: Watcher = { type: rt, namespace: ns, labelSelector: q.get('labelSelector'), fieldSelector: q.get('fieldSelector'), res };
    const from = q.get('resourceVersion');
    if (!from || from === '0') {
      for (const o of this.store.values()) {
        if (this.typeOf(o) === rt && (!ns || o.metadata.namespace === ns) && matchLabels(o, w.labelSelector) && matchFields(o, w.fieldSelector)) res.write(JSON.stringify({ type: 'ADDED', object: o }) + '\n');
      }
    } else {
      for (const h of this.history) {
        if (h.rv > Number(from) && h.rt === rt && (!ns || h.obj.metadata.namespace === ns) && matchLabels(h.obj, w.labelSelector) && matchFields(h.obj, w.fieldSelector)) res.write(JSON.stringify({ type: h.type, object: h.obj }) + '\n');
      }
    }
    this.watchers.add(w);
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    const done = () => this.watchers.delete(w);
    res.on('close', done);
    if (timeout > 0) this.later(() => res.end(), timeout * 1000);
  }

  private groupList() {
    const groups = new Map<string, Set<string>>();
    for (const t of this.types) if (t.group) groups.set(t.group, (groups.get(t.group) ?? new Set()).add(t.version));
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => {
        const vs = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
        return { name, versions: vs, preferredVersion: vs[0] };
      }),
    };
  }

  private resourceList(group: string, version: string) {
    const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
    const resources = this.types
      .filter((t) => t.group === group && t.version === version)
      .flatMap((t) => [
        { name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs, ...(t.shortNames ? { shortNames: t.shortNames } : {}) },
        ...(t.kind === 'Pod' ? [{ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] }] : []),
        ...(t.kind === 'Job' || t.kind === 'CustomResourceDefinition' ? [{ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] }] : []),
      ]);
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  // ---- pods as processes (runPods) -----------------------------------------
  /**
   * Run one container of a pod as a process (see runPods). `subst` fills in
   * what the controller would (Argo's {{workflow.parameters.x}}). Resolves
   * with its exit code (128+n for a signal); null when the stage has no command.
   */
  private runContainer(ns: string, pod: string, stage: string, container: Obj, volumes: Obj[], subst: (s: string) => string): Promise<number> | null {
    const rp = this.opts.runPods;
    const cmd = rp?.command(stage);
    if (!rp || !cmd) return null;
    const mounts: { at: string; host: string }[] = [];
    for (const m of container.volumeMounts ?? []) {
      const v = volumes.find((x) => x.name === m.name);
      const root = v?.hostPath || v?.persistentVolumeClaim ? rp.claimDir : path.join(this.dir, 'emptydir', pod, m.name);
      const host = path.join(root, subst(m.subPath ?? ''));
      fs.mkdirSync(host, { recursive: true });
      mounts.push({ at: m.mountPath, host });
    }
    mounts.sort((a, b) => b.at.length - a.at.length);
    const mapPath = (v: string) => {
      const m = mounts.find((x) => v === x.at || v.startsWith(`${x.at}/`));
      return m ? m.host + v.slice(m.at.length) : v;
    };
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir };
    for (const e of container.env ?? []) if (typeof e.value === 'string') env[e.name] = mapPath(subst(e.value));
    const argv = [...cmd.argv, ...(container.args ?? []).map((a: string) => mapPath(subst(a)))];
    const record = { pod, stage, code: null as number | null };
    this.ranPods.push(record);
    let log = '';
    const child = spawn(argv[0] as string, argv.slice(1), { cwd: cmd.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.processes.set(pod, child);
    const take = (b: Buffer) => {
      log += b.toString('utf8');
      this.setPodLog(ns, pod, log);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    return new Promise((resolve) => {
      child.on('error', (e) => take(Buffer.from(`exec ${argv[0]}: ${e.message}\n`)));
      child.on('close', (code, signal) => {
        this.processes.delete(pod);
        record.code = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
        const lock = env.NVIDIA_CLARA_LOCK;
        if (record.code === 0 && lock && !fs.existsSync(lock)) fs.writeFileSync(lock, `${stage} done\n`);
        resolve(record.code);
      });
    });
  }

  /** Stop the process a pod runs (a deadline, a stopped Workflow). */
  private killPod(pod: string): void {
    this.processes.get(pod)?.kill('SIGKILL');
  }

  // ---- Argo controller (a small one) ----------------------------------------
  private simulateWorkflow(wf: Obj): void {
    const rtWf = this.types.find((t) => t.kind === 'Workflow') as ResourceType;
    const rtWt = this.types.find((t) => t.kind === 'WorkflowTemplate') as ResourceType;
    const rtPod = this.types.find((t) => t.kind === 'Pod') as ResourceType;
    const ns = wf.metadata.namespace;
    const name = wf.metadata.name;
    const current = () => this.store.get(this.key(rtWf, ns, name));
    const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const status: Obj = { phase: 'Running', startedAt: now(), nodes: {} };
    const save = () => {
      const cur = current();
      if (cur) this.replace(rtWf, cur, { ...cur, status: structuredClone(status) });
    };
    const tplName = wf.spec?.workflowTemplateRef?.name;
    const wt = tplName ? this.store.get(this.key(rtWt, ns, tplName)) : undefined;
    if (!wt) {
      Object.assign(status, { phase: 'Error', message: `workflowtemplates.argoproj.io "${tplName}" not found`, finishedAt: now() });
      return this.later(save, 10);
    }
    const tasks: Obj[] = wt.spec.templates.find((t: Obj) => t.name === wt.spec.entrypoint)?.dag?.tasks ?? [];
    const nodeOf = (task: string) => Object.values(status.nodes as Record<string, Obj>).find((n) => n.displayName === task);
    const running = new Set<string>();
    const tick = () => {
      const cur = current();
      if (!cur || status.finishedAt) return;
      if (cur.spec?.shutdown) {
        for (const id of running) this.killPod(id);
        for (const n of Object.values(status.nodes as Record<string, Obj>)) if (n.phase === 'Running') Object.assign(n, { phase: 'Failed', message: `Stopped with strategy '${cur.spec.shutdown}'`, finishedAt: now() });
        Object.assign(status, { phase: 'Failed', message: `Stopped with strategy '${cur.spec.shutdown}'`, finishedAt: now() });
        return save();
      }
      let changed = false;
      for (const t of tasks) {
        if (nodeOf(t.name)) continue;
        const deps = (t.dependencies ?? []).map((d: string) => nodeOf(d));
        if (deps.some((d: Obj | undefined) => d && ['Failed', 'Error', 'Omitted'].includes(d.phase))) {
          const id = `${name}-${randomBytes(4).toString('hex')}`;
          status.nodes[id] = { id, name: `${name}.${t.name}`, displayName: t.name, type: 'Pod', templateName: t.template, phase: 'Omitted', message: 'omitted: depends condition not met' };
          changed = true;
          continue;
        }
        if (!deps.every((d: Obj | undefined) => d?.phase === 'Succeeded')) continue;
        const id = `${name}-${randomBytes(4).toString('hex')}`;
        status.nodes[id] = { id, name: `${name}.${t.name}`, displayName: t.name, type: 'Pod', templateName: t.template, phase: 'Running', startedAt: now() };
        this.create(rtPod, ns, { metadata: { name: id, labels: { 'workflows.argoproj.io/workflow': name }, annotations: { 'workflows.argoproj.io/node-name': `${name}.${t.name}` }, ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name, uid: cur.metadata.uid, controller: true }] }, spec: {}, status: { phase: 'Running' } });
        changed = true;
        const tpl: Obj | undefined = wt.spec.templates.find((x: Obj) => x.name === t.template);
        const params = new Map<string, string>((cur.spec?.arguments?.parameters ?? []).map((p: Obj) => [p.name, String(p.value ?? '')]));
        const ran = tpl?.container ? this.runContainer(ns, id, tpl.metadata?.labels?.['clara.nvidia.com/stage'] ?? t.name, tpl.container, wt.spec.volumes ?? [], (v) => v.replace(/\{\{workflow\.parameters\.([\w-]+)\}\}/g, (_m, k: string) => params.get(k) ?? '')) : null;
        if (ran) {
          running.add(id);
          void ran.then((code) => {
            running.delete(id);
            const n = status.nodes[id];
            const p = this.store.get(this.key(rtPod, ns, id));
            if (p) this.replace(rtPod, p, { ...p, status: { phase: code === 0 ? 'Succeeded' : 'Failed' } });
            if (!current() || n.phase !== 'Running') return;
            Object.assign(n, code === 0 ? { phase: 'Succeeded', finishedAt: now() } : { phase: 'Failed', message: `Error (exit code ${code})`, finishedAt: now() });
            save();
          });
          continue;
        }
        const outcome = (this.opts.argo as (w: Obj, t: string) => SimulatedOutcome)(cur, t.name);
        this.setPodLog(ns, id, outcome.log ?? `${t.name} running\n`);
        if (outcome.result !== 'hang') {
          this.later(() => {
            const n = status.nodes[id];
            if (!current() || n.phase !== 'Running') return;
            Object.assign(n, outcome.result === 'succeed' ? { phase: 'Succeeded', finishedAt: now() } : { phase: 'Failed', message: 'Error (exit code 1)', finishedAt: now() });
            save();
          }, outcome.runMs ?? 30);
        }
      }
      const all = tasks.map((t) => nodeOf(t.name));
      if (all.every((n) => n && ['Succeeded', 'Failed', 'Error', 'Omitted'].includes(n.phase))) {
        const failed = all.some((n) => n?.phase !== 'Succeeded');
        Object.assign(status, { phase: failed ? 'Failed' : 'Succeeded', finishedAt: now(), ...(failed ? { message: 'child failed' } : {}) });
        changed = true;
      }
      if (changed) save();
      this.later(tick, 20);
    };
    this.later(tick, 10);
  }

  // ---- Job simulator -------------------------------------------------------
  private simulateJob(job: Obj): void {
    const rtJob = this.types.find((t) => t.kind === 'Job') as ResourceType;
    const rtPod = this.types.find((t) => t.kind === 'Pod') as ResourceType;
    const ns = job.metadata.namespace;
    const name = job.metadata.name;
    const current = () => this.store.get(this.key(rtJob, ns, name));
    const setStatus = (status: Obj) => {
      const j = current();
      if (j) this.replace(rtJob, j, { ...j, status: { ...j.status, ...status } });
    };
    const deadlineMs = (job.spec.activeDeadlineSeconds ?? 0) * 1000 * (this.opts.deadlineScale ?? 1);
    let finished = false;
    let killOnDeadline = () => {};
    const fail = (reason: string, message: string) => {
      if (finished) return;
      finished = true;
      killOnDeadline();
      setStatus({ active: 0, failed: 1, conditions: [{ type: 'Failed', status: 'True', reason, message, lastTransitionTime: new Date().toISOString() }] });
    };
    if (deadlineMs > 0) this.later(() => fail('DeadlineExceeded', 'Job was active longer than specified deadline'), deadlineMs);
    setStatus({ active: 1, startTime: new Date().toISOString() });

    const waitLock: string = job.metadata.annotations?.['clara.nvidia.com/wait-lock'] ?? '';
    const jobLabel: string = job.metadata.labels?.['clara.nvidia.com/job'] ?? '';
    const ownerDone = () => {
      if (!waitLock) return true;
      const stage = waitLock.replace(/\.lock$/, '');
      const owner = this.objects('Job', ns).find((j) => j.metadata.labels?.['clara.nvidia.com/job'] === jobLabel && j.metadata.labels?.['clara.nvidia.com/stage'] === stage);
      return !!owner?.status?.conditions?.some((c: Obj) => c.type === 'Complete' && c.status === 'True');
    };
    const run = () => {
      if (finished || !current()) return;
      if (!ownerDone()) return this.later(run, 20);
      const podName = `${name}-${randomBytes(3).toString('hex').slice(0, 5)}`;
      this.create(rtPod, ns, {
        metadata: { name: podName, labels: { 'job-name': name, 'controller-uid': job.metadata.uid, ...(job.spec.template?.metadata?.labels ?? {}) }, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata.uid, controller: true }] },
        spec: job.spec.template?.spec ?? {},
        status: { phase: 'Running' },
      });
      const podSpec = job.spec.template?.spec ?? {};
      const ran = podSpec.containers?.[0] ? this.runContainer(ns, podName, job.metadata.labels?.['clara.nvidia.com/stage'] ?? '', podSpec.containers[0], podSpec.volumes ?? [], (v) => v) : null;
      if (ran) {
        killOnDeadline = () => this.killPod(podName);
        void ran.then((code) => {
          const p = this.store.get(this.key(rtPod, ns, podName));
          if (p) this.replace(rtPod, p, { ...p, status: { phase: code === 0 ? 'Succeeded' : 'Failed' } });
          if (finished || !current()) return;
          if (code === 0) {
            finished = true;
            setStatus({ active: 0, succeeded: 1, completionTime: new Date().toISOString(), conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: new Date().toISOString() }] });
          } else fail('BackoffLimitExceeded', 'Job has reached the specified backoff limit');
        });
        return;
      }
      const outcome: SimulatedOutcome = this.opts.simulateJobs?.(job) ?? { result: 'succeed' };
      this.setPodLog(ns, podName, outcome.log ?? `${job.metadata.labels?.['clara.nvidia.com/stage']} running\n`);
      if (outcome.result === 'hang') return;
      this.later(() => {
        if (finished || !current()) return;
        const p = this.store.get(this.key(rtPod, ns, podName));
        if (p) this.replace(rtPod, p, { ...p, status: { phase: outcome.result === 'succeed' ? 'Succeeded' : 'Failed' } });
        if (outcome.result === 'succeed') {
          finished = true;
          setStatus({ active: 0, succeeded: 1, completionTime: new Date().toISOString(), conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: new Date().toISOString() }] });
        } else fail('BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      }, outcome.runMs ?? 30);
    };
    this.later(run, 10);
  }
}

function apiVersionOf(t: ResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Label selectors: k=v, k==v, k!=v, k, !k, k in (a,b), k notin (a,b); comma = and. */
/** A meta.k8s.io/v1 Table: Name, the CRD's printer columns (or Age), each cell by its simple JSON path. */
function table(rt: ResourceType, items: Obj[], rv: string): Obj {
  const cols = rt.columns?.length ? rt.columns : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
  const at = (o: Obj, p: string): unknown => p.replace(/^\./, '').split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Obj)[k] : undefined), o);
  const age = (t: unknown) => {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(String(t))) / 1000));
    return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
  };
  const hasName = cols.some((c) => c.jsonPath === '.metadata.name');
  const defs = [...(hasName ? [] : [{ name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 }]), ...cols.map((c) => ({ name: c.name, type: c.type, format: '', description: c.name, priority: 0 }))];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: rv },
    columnDefinitions: defs,
    rows: items.map((o) => ({
      cells: [...(hasName ? [] : [o.metadata.name]), ...cols.map((c) => (c.type === 'date' ? age(at(o, c.jsonPath)) : (at(o, c.jsonPath) ?? '')))],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

export function matchLabels(o: Obj, selector: string | null): boolean {
  if (!selector) return true;
  const labels: Record<string, string> = o.metadata?.labels ?? {};
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return terms.every((raw) => {
    const t = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t))) {
      const vals = (m[3] as string).split(',').map((v) => v.trim());
      const has = (m[1] as string) in labels && vals.includes(labels[m[1] as string] as string);
      return m[2] === 'in' ? has : !has;
    }
    if ((m = /^([^!=]+)!=(.*)$/.exec(t))) return labels[(m[1] as string).trim()] !== (m[2] as string).trim();
    if ((m = /^([^!=]+)==?(.*)$/.exec(t))) return labels[(m[1] as string).trim()] === (m[2] as string).trim();
    if (t.startsWith('!')) return !(t.slice(1) in labels);
    return t in labels;
  });
}

function matchFields(o: Obj, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split(/!?==?/) as [string, string];
    const neg = term.includes('!=');
    const actual = k.split('.').reduce((x: any, p) => x?.[p], o);
    return neg ? actual !== v : actual === v;
  });
}

function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Strategic merge: like merge patch, but lists of objects with a name merge by name; $-directives are dropped. */
function strategicMerge(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object') return patch;
  if (Array.isArray(patch)) {
    if (!Array.isArray(target) || !patch.every((p) => p && typeof p === 'object' && 'name' in p)) return patch.map((p) => strategicMerge(undefined, p));
    const out = target.map((x) => ({ ...x }));
    for (const p of patch) {
      const i = out.findIndex((x) => x?.name === p.name);
      if (p.$patch === 'delete') {
        if (i >= 0) out.splice(i, 1);
      } else if (i >= 0) out[i] = strategicMerge(out[i], p);
      else out.push(strategicMerge(undefined, p));
    }
    return out;
  }
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v);
  }
  return out;
}

function jsonPatch(target: any, ops: { op: string; path: string; value?: unknown }[]): any {
  const doc = structuredClone(target);
  for (const op of ops) {
    const segs = op.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = segs.pop() as string;
    let parent = doc;
    for (const s of segs) parent = parent[s] ??= {};
    if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (op.op === 'add' && Array.isArray(parent)) {
      if (last === '-') parent.push(op.value);
      else parent.splice(Number(last), 0, op.value);
    } else if (op.op === 'add' || op.op === 'replace') parent[last] = op.value;
    else if (op.op === 'test' && JSON.stringify(parent[last]) !== JSON.stringify(op.value)) throw new Error('test failed');
  }
  return doc;
}
