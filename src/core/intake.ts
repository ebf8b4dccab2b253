// How `dicom serve` turns received instances into jobs, per called AE title:
// which attribute groups them (StudyInstanceUID by default, as MONAI Deploy
// Informatics Gateway), how long a group must be quiet, and what starts it.
import type { DicomConfig } from './dicom-config.js';

export type GroupingField = 'studyInstanceUid' | 'seriesInstanceUid' | 'patientId';

export interface Grouping {
  tag: '0020,000D' | '0020,000E' | '0010,0020';
  keyword: 'StudyInstanceUID' | 'SeriesInstanceUID' | 'PatientID';
  field: GroupingField;
}

export interface IntakeRules {
  grouping: Grouping;
  /** Quiet period before a group's job starts (ms). */
  timeoutMs: number;
  trigger: 'quiet' | 'release';
}

export const GROUPINGS: readonly Grouping[] = [
  { tag: '0020,000D', keyword: 'StudyInstanceUID', field: 'studyInstanceUid' },
  { tag: '0020,000E', keyword: 'SeriesInstanceUID', field: 'seriesInstanceUid' },
  { tag: '0010,0020', keyword: 'PatientID', field: 'patientId' },
];

export const DEFAULT_GROUP_TIMEOUT_S = 5;

export function intakeRules(config: DicomConfig, calledAe: string): IntakeRules {
  const entry = (config.dicom?.scp?.['ae-titles'] ?? []).find((t) => t['ae-title'].trim() === calledAe.trim());
  const g = entry?.grouping;
  const grouping = GROUPINGS.find((x) => x.tag === g || x.keyword === g) ?? (GROUPINGS[0] as Grouping);
  return { grouping, timeoutMs: (entry?.timeout ?? DEFAULT_GROUP_TIMEOUT_S) * 1000, trigger: entry?.trigger ?? 'quiet' };
}

/**
 * Network limits of the SCP, with the defaults documented in the README
 * (docs: "the gateway's limits"). Each bounds what one peer can make the
 * gateway hold: connections, associations, time, bytes.
 */
export interface ScpLimits {
  maxAssociations: number;
  maxPduLength: number;
  artimMs: number;
  idleMs: number;
  maxConnections: number;
  maxIdleConnectionsPerHost: number;
  maxAssociationsPerHost: number;
  maxInstanceBytes: number;
  maxAssociationBytes: number;
}

export const SCP_DEFAULTS = { maxAssociations: 16, maxPduLength: 262144, artimS: 30, idleS: 60, maxInstanceBytes: 4 * 1024 ** 3, maxAssociationBytes: 64 * 1024 ** 3 } as const;

export function scpLimits(config: DicomConfig): ScpLimits {
  const scp = config.dicom?.scp;
  const maxAssociations = scp?.['max-associations'] ?? SCP_DEFAULTS.maxAssociations;
  return {
    maxAssociations,
    maxPduLength: scp?.['max-pdu-length'] ?? SCP_DEFAULTS.maxPduLength,
    artimMs: (scp?.['artim-timeout'] ?? SCP_DEFAULTS.artimS) * 1000,
    idleMs: (scp?.['idle-timeout'] ?? SCP_DEFAULTS.idleS) * 1000,
    maxConnections: scp?.['max-connections'] ?? maxAssociations * 4 + 16,
    maxIdleConnectionsPerHost: scp?.['max-idle-connections-per-host'] ?? maxAssociations + 4,
    maxAssociationsPerHost: Math.min(maxAssociations, scp?.['max-associations-per-host'] ?? maxAssociations),
    maxInstanceBytes: scp?.['max-instance-bytes'] ?? SCP_DEFAULTS.maxInstanceBytes,
    maxAssociationBytes: scp?.['max-association-bytes'] ?? SCP_DEFAULTS.maxAssociationBytes,
  };
}
