// Which workflow (or pipeline) and destination handle an association, or why
// it is rejected: shared by `dicom serve` and `dicom route`.
import type { DicomConfig } from './dicom-config.js';
import { workflowsOf, type Values } from './model.js';

export interface RouteTarget {
  kind: 'workflow' | 'pipeline';
  /** Workflow UUID or pipeline ID. */
  id: string;
  /** Workflow name (values.yaml) or mapping name. */
  name: string;
  destination: { name: string; host: string; port: number; aeTitle: string } | null;
}

export type Route =
  | { accept: true; calledAe: string; targets: RouteTarget[]; why: string }
  | { accept: false; reason: 'called-ae-unknown' | 'calling-ae-unknown' | 'no-mapping'; why: string };

const list = <T>(v: T[] | null | undefined): T[] => (Array.isArray(v) ? v : []);
/** DICOM AE titles compare without leading/trailing spaces. */
const ae = (s: string) => s.trim();

/**
 * `admitted`: the association was accepted when the instances came (a study
 * `dicom recover` filed again from its files, whose sender is not known now):
 * the source check is not made again.
 */
export function route(config: DicomConfig, values: Values | null, a: { called: string; calling: string; host?: string; admitted?: boolean }): Route {
  const scp = config.dicom?.scp;
  const called = ae(a.called);
  if (!list(scp?.['ae-titles']).some((t) => ae(t['ae-title']) === called)) {
    return { accept: false, reason: 'called-ae-unknown', why: `called AE title "${called}" is not one of dicom.scp.ae-titles (${list(scp?.['ae-titles']).map((t) => t['ae-title']).join(', ') || 'none'}); rejected as "called AE title not recognized"` };
  }
  if (scp?.['reject-unknown-sources'] && !a.admitted) {
    const known = list(scp.sources).some((s) => ae(s['ae-title']) === ae(a.calling) && (a.host === undefined || sameHost(s['host-ip'], a.host)));
    if (!known) {
      return { accept: false, reason: 'calling-ae-unknown', why: `reject-unknown-sources is on and ${ae(a.calling)}${a.host ? `@${a.host}` : ''} is not one of dicom.scp.sources (${list(scp.sources).map((s) => `${s['ae-title']}@${s['host-ip']}`).join(', ') || 'none'}); rejected as "calling AE title not recognized"` };
    }
  }
  const dest = (name?: string) => {
    if (!name) return null;
    const d = list(config.dicom?.scu?.destinations).find((x) => x.name === name);
    return d ? { name: d.name, host: d['host-ip'], port: d.port, aeTitle: d['ae-title'] } : null;
  };
  const wfs = values ? workflowsOf(values) : {};
  const targets: RouteTarget[] = [
    ...list(config.workflows)
      .filter((m) => ae(m['clara-ae-title']) === called)
      .map((m): RouteTarget => ({ kind: 'workflow', id: m.workflow, name: wfs[m.workflow]?.name ?? m.name, destination: dest(m['destination-name']) })),
    ...list(config['pipeline-mappings'])
      .filter((m) => ae(m['clara-ae-title']) === called)
      .map((m): RouteTarget => ({ kind: 'pipeline', id: m['pipeline-id'], name: m.name, destination: dest(m['destination-name']) })),
  ];
  if (!targets.length) return { accept: false, reason: 'no-mapping', why: `AE title ${called} is configured but maps to no workflow or pipeline; rejected as "called AE title not recognized"` };
  const sources = scp?.['reject-unknown-sources'] ? `${ae(a.calling)} is a known source` : 'any source is accepted (reject-unknown-sources is off)';
  return {
    accept: true,
    calledAe: called,
    targets,
    why: `${called} is a Clara AE title; ${sources}; ${targets.map((t) => `${t.kind} ${t.name} (${t.id})${t.destination ? ` → ${t.destination.name} (${t.destination.aeTitle}@${t.destination.host}:${t.destination.port})` : ' (results are not sent anywhere)'}`).join('; ')}`,
  };
}

/** IPv4-mapped IPv6 (::ffff:127.0.0.1) compares as the IPv4 address; "localhost" as 127.0.0.1. */
export function sameHost(configured: string, remote: string): boolean {
  const norm = (h: string) => {
    const x = h.replace(/^::ffff:/, '').toLowerCase();
    return x === 'localhost' || x === '::1' ? '127.0.0.1' : x;
  };
  return norm(configured) === norm(remote);
}
