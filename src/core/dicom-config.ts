// The DICOM adapter configuration (files/dicom-server-config.yaml): schema,
// DICOM rules (AE titles, hosts, ports) and references that must resolve
// (AE titles, destinations, workflow UUIDs in values.yaml).
import { isIPv4, isIPv6 } from 'node:net';
import validateSchema from '../../generated/validate-dicom-server-config.js';
import { checkDocument } from './check-document.js';
import { pointer, type Diagnostic, type Finding } from './diagnostic.js';
import { isRecord, workflowsOf, type Values } from './model.js';
import type { ParsedYaml } from './yaml-source.js';

export interface AeTitleEntry {
  'ae-title': string;
  processor: string;
  'overwrite-same-instance'?: boolean;
  'ignored-sop-classes'?: string[];
  grouping?: string;
  timeout?: number;
  trigger?: 'quiet' | 'release';
}
export interface SourceEntry {
  'host-ip': string;
  'ae-title': string;
}
export interface DestinationEntry {
  name: string;
  'host-ip': string;
  port: number;
  'ae-title': string;
}
export interface WorkflowMapping {
  name: string;
  'clara-ae-title': string;
  'destination-name'?: string;
  workflow: string;
}
export interface PipelineMapping {
  name: string;
  'clara-ae-title': string;
  'destination-name'?: string;
  'pipeline-id': string;
}
export interface DicomConfig {
  dicom: {
    scp: {
      port: number;
      'ae-titles': AeTitleEntry[];
      'max-associations'?: number;
      'max-pdu-length'?: number;
      'artim-timeout'?: number;
      'idle-timeout'?: number;
      'max-connections'?: number;
      'max-idle-connections-per-host'?: number;
      'max-associations-per-host'?: number;
      'max-instance-bytes'?: number;
      'max-association-bytes'?: number;
      verification?: { enabled?: boolean; 'transfer-syntaxes'?: string[] };
      'log-dimse-datasets'?: boolean;
      'reject-unknown-sources'?: boolean;
      sources?: SourceEntry[] | null;
    };
    scu: { 'ae-title': string; 'max-associations'?: number; destinations?: DestinationEntry[] | null };
  };
  workflows?: WorkflowMapping[] | null;
  'pipeline-mappings'?: PipelineMapping[] | null;
}

export const DEFAULT_PROCESSOR = 'Nvidia.Clara.Dicom.Processors.JobProcessor, Nvidia.Clara.DicomServer';

export interface DicomCheck {
  config: DicomConfig | null;
  yaml: ParsedYaml | null;
  diagnostics: Diagnostic[];
  unparsable: boolean;
  ok: boolean;
}

const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** Hostnames (RFC 1123) or IP addresses; a dotted all-numeric name must be a valid IPv4 address. */
export function hostProblem(host: string): string | null {
  if (isIPv4(host) || isIPv6(host)) return null;
  if (/^[0-9.]+$/.test(host)) return `"${host}" looks like an IPv4 address but is not one (four numbers 0-255)`;
  if (host.length > 253) return 'host names are at most 253 characters';
  const ok = host.split('.').every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
  return ok ? null : `"${host}" is neither an IP address nor a valid host name`;
}

export function aeTitleProblem(ae: string): string | null {
  if (ae.length < 1 || ae.length > 16) return `"${ae}" has ${ae.length} characters; AE titles have 1-16`;
  if (/[\\\u0000-\u001f\u007f]/.test(ae)) return `"${ae}" contains a backslash or a control character`;
  if (ae.trim() === '') return 'an AE title cannot be only spaces';
  return null;
}

export function checkDicomConfig(text: string, file: string, values: Values | null, valuesFile = 'values.yaml'): DicomCheck {
  const doc = checkDocument(text, file, validateSchema, (data) => dicomRules(data, values, valuesFile));
  return { config: isRecord(doc.data) ? (doc.data as unknown as DicomConfig) : null, yaml: doc.yaml, diagnostics: doc.diagnostics, unparsable: doc.unparsable, ok: doc.ok };
}

function dicomRules(data: unknown, values: Values | null, valuesFile: string): Finding[] {
  const out: Finding[] = [];
  if (!isRecord(data)) return out;
  const dicom = isRecord(data.dicom) ? data.dicom : {};
  const scp = isRecord(dicom.scp) ? dicom.scp : {};
  const scu = isRecord(dicom.scu) ? dicom.scu : {};
  const err = (code: string, path: string, message: string, hint?: string) => out.push({ severity: 'error', code, path, message, hint });

  // AE titles everywhere: not blank (the schema checks length and characters).
  const aeFields: [string, unknown][] = [
    [pointer('dicom', 'scu', 'ae-title'), scu['ae-title']],
    ...arr<Record<string, unknown>>(scp['ae-titles']).map((a, i): [string, unknown] => [pointer('dicom', 'scp', 'ae-titles', i, 'ae-title'), a?.['ae-title']]),
    ...arr<Record<string, unknown>>(scp.sources).map((a, i): [string, unknown] => [pointer('dicom', 'scp', 'sources', i, 'ae-title'), a?.['ae-title']]),
    ...arr<Record<string, unknown>>(scu.destinations).map((a, i): [string, unknown] => [pointer('dicom', 'scu', 'destinations', i, 'ae-title'), a?.['ae-title']]),
  ];
  for (const [path, ae] of aeFields) if (typeof ae === 'string' && ae.length && ae.trim() === '') err('AE_TITLE_INVALID', path, 'an AE title cannot be only spaces');

  // Hosts.
  const hosts: [string, unknown][] = [
    ...arr<Record<string, unknown>>(scp.sources).map((s, i): [string, unknown] => [pointer('dicom', 'scp', 'sources', i, 'host-ip'), s?.['host-ip']]),
    ...arr<Record<string, unknown>>(scu.destinations).map((d, i): [string, unknown] => [pointer('dicom', 'scu', 'destinations', i, 'host-ip'), d?.['host-ip']]),
  ];
  for (const [path, h] of hosts) {
    const p = typeof h === 'string' ? hostProblem(h) : null;
    if (p) err('HOST_INVALID', path, p);
  }

  // Uniqueness.
  const claraAes = new Map<string, number>();
  arr<Record<string, unknown>>(scp['ae-titles']).forEach((a, i) => {
    const t = typeof a?.['ae-title'] === 'string' ? (a['ae-title'] as string).trim() : null;
    if (t === null) return;
    if (claraAes.has(t)) err('AE_TITLE_DUPLICATE', pointer('dicom', 'scp', 'ae-titles', i, 'ae-title'), `AE title "${t}" is listed twice (also entry ${(claraAes.get(t) as number) + 1})`);
    else claraAes.set(t, i);
  });
  const dests = new Map<string, number>();
  arr<Record<string, unknown>>(scu.destinations).forEach((d, i) => {
    const n = typeof d?.name === 'string' ? d.name : null;
    if (n === null) return;
    if (dests.has(n)) err('DESTINATION_DUPLICATE', pointer('dicom', 'scu', 'destinations', i, 'name'), `destination "${n}" is defined twice`);
    else dests.set(n, i);
  });
  const sources = new Set<string>();
  arr<Record<string, unknown>>(scp.sources).forEach((s, i) => {
    const k = `${s?.['host-ip']}|${s?.['ae-title']}`;
    if (sources.has(k)) err('SOURCE_DUPLICATE', pointer('dicom', 'scp', 'sources', i), `source ${s?.['ae-title']}@${s?.['host-ip']} is listed twice`);
    sources.add(k);
  });
  if (scp['reject-unknown-sources'] === true && !arr(scp.sources).length) {
    out.push({ severity: 'warning', code: 'NO_SOURCES', path: pointer('dicom', 'scp', 'reject-unknown-sources'), message: 'reject-unknown-sources is true but no sources are listed, so every sender is rejected', hint: 'add a source (clara-wf dicom source add <AE> --host <ip>) or set reject-unknown-sources: false' });
  }

  // Mappings resolve.
  const valueWorkflows = values ? workflowsOf(values) : null;
  const mapped = new Set<string>();
  const checkCommon = (m: Record<string, unknown>, at: (...p: (string | number)[]) => string) => {
    const ae = m['clara-ae-title'];
    if (typeof ae === 'string' && !claraAes.has(ae.trim())) {
      err('MAPPING_AE_UNKNOWN', at('clara-ae-title'), `clara-ae-title "${ae}" is not one of dicom.scp.ae-titles (${[...claraAes.keys()].join(', ') || 'none'})`, `add it: clara-wf dicom ae add ${JSON.stringify(ae)}`);
    }
    const dest = m['destination-name'];
    if (typeof dest === 'string' && !dests.has(dest)) {
      err('MAPPING_DESTINATION_UNKNOWN', at('destination-name'), `destination-name "${dest}" is not one of dicom.scu.destinations (${[...dests.keys()].join(', ') || 'none'})`, `add it: clara-wf dicom dest add ${dest} --host <ip> --port <port> --ae <AE>`);
    }
  };
  arr<Record<string, unknown>>(data.workflows).forEach((m, i) => {
    if (!isRecord(m)) return;
    const at = (...p: (string | number)[]) => pointer('workflows', i, ...p);
    checkCommon(m, at);
    const id = m.workflow;
    if (typeof id === 'string' && valueWorkflows) {
      const wf = valueWorkflows[id];
      if (!wf) err('MAPPING_WORKFLOW_UNKNOWN', at('workflow'), `workflow ${id} is not defined in ${valuesFile}`, 'map an existing workflow (clara-wf workflow list) or create it');
      else if (typeof m.name === 'string' && wf.name && m.name !== wf.name) {
        out.push({ severity: 'warning', code: 'MAPPING_NAME_MISMATCH', path: at('name'), message: `mapping name "${m.name}" differs from the name of workflow ${id} ("${wf.name}")` });
      }
    }
    const key = `${String(m['clara-ae-title']).trim()}|${String(id)}`;
    if (mapped.has(key)) err('MAPPING_DUPLICATE', at(), `workflow ${String(id)} is mapped to AE title "${String(m['clara-ae-title'])}" twice`, 'remove one of the two mappings');
    mapped.add(key);
  });
  const pmapped = new Set<string>();
  arr<Record<string, unknown>>(data['pipeline-mappings']).forEach((m, i) => {
    if (!isRecord(m)) return;
    const at = (...p: (string | number)[]) => pointer('pipeline-mappings', i, ...p);
    checkCommon(m, at);
    const key = `${String(m['clara-ae-title']).trim()}|${String(m['pipeline-id'])}`;
    if (pmapped.has(key)) err('MAPPING_DUPLICATE', at(), `pipeline ${String(m['pipeline-id'])} is mapped to AE title "${String(m['clara-ae-title'])}" twice`, 'remove one of the two mappings');
    pmapped.add(key);
  });
  return out;
}

/** Workflow mappings that use a workflow (workflow remove refuses while there are any). */
export function mappingsOfWorkflow(config: DicomConfig | null, id: string): WorkflowMapping[] {
  return arr<WorkflowMapping>(config?.workflows).filter((m) => m?.workflow === id);
}
