// The Pod Security Standards ("baseline" and "restricted", version latest), as
// Pod Security admission checks them: one function per check of
// kubernetes/pod-security-admission policy/check_*.go, each returning what it
// forbids in a pod (empty: allowed). Used by test/pod-security.test.ts on every
// pod both engines render.
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface PodLike {
  metadata?: { annotations?: Record<string, string> };
  spec: any;
}

const containersOf = (spec: any): any[] => [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
const sc = (c: any) => c.securityContext ?? {};

type Check = (pod: PodLike) => string[];

/** policy/check_hostNamespaces.go */
const hostNamespaces: Check = ({ spec }) => ['hostNetwork', 'hostPID', 'hostIPC'].filter((k) => spec[k] === true).map((k) => `${k}=true`);
/** policy/check_privileged.go */
const privileged: Check = ({ spec }) => containersOf(spec).filter((c) => sc(c).privileged === true).map((c) => `${c.name}: privileged`);
const BASELINE_CAPS = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
/** policy/check_capabilities_baseline.go */
const capabilitiesBaseline: Check = ({ spec }) => containersOf(spec).flatMap((c) => (sc(c).capabilities?.add ?? []).filter((a: string) => !BASELINE_CAPS.includes(a)).map((a: string) => `${c.name}: adds ${a}`));
/** policy/check_hostPathVolumes.go */
const hostPathVolumes: Check = ({ spec }) => (spec.volumes ?? []).filter((v: any) => v.hostPath).map((v: any) => `volume ${v.name}: hostPath`);
/** policy/check_hostPorts.go */
const hostPorts: Check = ({ spec }) => containersOf(spec).flatMap((c) => (c.ports ?? []).filter((p: any) => p.hostPort).map((p: any) => `${c.name}: hostPort ${p.hostPort}`));
/** policy/check_appArmorProfile.go */
const appArmorProfile: Check = ({ metadata, spec }) => {
  const bad = (t: unknown) => t === 'Unconfined';
  const out = Object.entries(metadata?.annotations ?? {}).filter(([k, v]) => k.startsWith('container.apparmor.security.beta.kubernetes.io/') && !(v === 'runtime/default' || v.startsWith('localhost/'))).map(([k, v]) => `${k}=${v}`);
  if (bad(spec.securityContext?.appArmorProfile?.type)) out.push('pod appArmorProfile Unconfined');
  for (const c of containersOf(spec)) if (bad(sc(c).appArmorProfile?.type)) out.push(`${c.name}: appArmorProfile Unconfined`);
  return out;
};
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
/** policy/check_seLinuxOptions.go */
const seLinuxOptions: Check = ({ spec }) =>
  [['pod', spec.securityContext?.seLinuxOptions], ...containersOf(spec).map((c) => [c.name, sc(c).seLinuxOptions])]
    .filter(([, o]) => o && (!SELINUX_TYPES.includes(o.type ?? '') || o.user || o.role))
    .map(([n]) => `${n}: seLinuxOptions`);
/** policy/check_procMount.go */
const procMount: Check = ({ spec }) => containersOf(spec).filter((c) => sc(c).procMount !== undefined && sc(c).procMount !== 'Default').map((c) => `${c.name}: procMount ${sc(c).procMount}`);
/** policy/check_seccompProfile_baseline.go */
const seccompBaseline: Check = ({ spec }) => [['pod', spec.securityContext], ...containersOf(spec).map((c) => [c.name, sc(c)])].filter(([, s]) => s?.seccompProfile?.type === 'Unconfined').map(([n]) => `${n}: seccomp Unconfined`);
const SAFE_SYSCTLS = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
/** policy/check_sysctls.go */
const sysctls: Check = ({ spec }) => (spec.securityContext?.sysctls ?? []).filter((s: any) => !SAFE_SYSCTLS.includes(s.name)).map((s: any) => `sysctl ${s.name}`);
/** policy/check_windowsHostProcess.go */
const windowsHostProcess: Check = ({ spec }) => [['pod', spec.securityContext], ...containersOf(spec).map((c) => [c.name, sc(c)])].filter(([, s]) => s?.windowsOptions?.hostProcess === true).map(([n]) => `${n}: hostProcess`);

const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
/** policy/check_restrictedVolumes.go */
const restrictedVolumes: Check = ({ spec }) => (spec.volumes ?? []).flatMap((v: any) => Object.keys(v).filter((k) => k !== 'name' && !RESTRICTED_VOLUMES.includes(k)).map((k) => `volume ${v.name}: ${k}`));
/** policy/check_allowPrivilegeEscalation.go */
const allowPrivilegeEscalation: Check = ({ spec }) => containersOf(spec).filter((c) => sc(c).allowPrivilegeEscalation !== false).map((c) => `${c.name}: allowPrivilegeEscalation not false`);
/** policy/check_runAsNonRoot.go */
const runAsNonRoot: Check = ({ spec }) => {
  const pod = spec.securityContext?.runAsNonRoot;
  const out = containersOf(spec).filter((c) => sc(c).runAsNonRoot === false || (sc(c).runAsNonRoot === undefined && pod !== true)).map((c) => `${c.name}: runAsNonRoot not true`);
  if (pod === false) out.push('pod: runAsNonRoot false');
  return out;
};
/** policy/check_runAsUser.go */
const runAsUser: Check = ({ spec }) => [['pod', spec.securityContext], ...containersOf(spec).map((c) => [c.name, sc(c)])].filter(([, s]) => s?.runAsUser === 0).map(([n]) => `${n}: runAsUser 0`);
/** policy/check_seccompProfile_restricted.go */
const seccompRestricted: Check = ({ spec }) => {
  const ok = (t: unknown) => t === 'RuntimeDefault' || t === 'Localhost';
  const podOk = ok(spec.securityContext?.seccompProfile?.type);
  return containersOf(spec)
    .filter((c) => (sc(c).seccompProfile?.type === undefined ? !podOk : !ok(sc(c).seccompProfile.type)))
    .map((c) => `${c.name}: seccompProfile not RuntimeDefault/Localhost`);
};
/** policy/check_capabilities_restricted.go */
const capabilitiesRestricted: Check = ({ spec }) =>
  containersOf(spec).flatMap((c) => [
    ...(!(sc(c).capabilities?.drop ?? []).includes('ALL') ? [`${c.name}: does not drop ALL`] : []),
    ...(sc(c).capabilities?.add ?? []).filter((a: string) => a !== 'NET_BIND_SERVICE').map((a: string) => `${c.name}: adds ${a}`),
  ]);

export const BASELINE: Record<string, Check> = { hostNamespaces, privileged, capabilitiesBaseline, hostPathVolumes, hostPorts, appArmorProfile, seLinuxOptions, procMount, seccompBaseline, sysctls, windowsHostProcess };
export const RESTRICTED: Record<string, Check> = { ...BASELINE, restrictedVolumes, allowPrivilegeEscalation, runAsNonRoot, runAsUser, seccompRestricted, capabilitiesRestricted };

/** Every violated check of the "restricted" level, by name. */
export function podSecurityViolations(pod: PodLike): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, check] of Object.entries(RESTRICTED)) {
    const found = check(pod);
    if (found.length) out[name] = found;
  }
  return out;
}

/** The pods a rendering makes: each Job's (and the gateway StatefulSet's) template, and one per container template of each WorkflowTemplate as Argo builds it. */
export function renderedPods(docs: any[]): { name: string; pod: PodLike }[] {
  const out: { name: string; pod: PodLike }[] = [];
  for (const d of docs) {
    if (d?.kind === 'Job' || d?.kind === 'StatefulSet') out.push({ name: `${d.kind}/${d.metadata.name}`, pod: { metadata: d.spec.template.metadata, spec: d.spec.template.spec } });
    if (d?.kind === 'WorkflowTemplate') {
      const s = d.spec;
      // Argo turns volumeClaimTemplates into persistentVolumeClaim volumes of the run's Workflow.
      const volumes = [...(s.volumes ?? []), ...(s.volumeClaimTemplates ?? []).map((v: any) => ({ name: v.metadata.name, persistentVolumeClaim: { claimName: v.metadata.name } }))];
      for (const t of s.templates.filter((x: any) => x.container)) {
        out.push({ name: `WorkflowTemplate/${d.metadata.name}/${t.name}`, pod: { metadata: { annotations: { ...(s.podMetadata?.annotations ?? {}), ...(t.metadata?.annotations ?? {}) } }, spec: { securityContext: s.securityContext, hostNetwork: s.hostNetwork, volumes, containers: [t.container], ...(t.initContainers ? { initContainers: t.initContainers } : {}) } } });
      }
    }
  }
  return out;
}
