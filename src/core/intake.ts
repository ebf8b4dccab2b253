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

/** Network limits of the SCP, with the defaults documented in the README. */
export interface ScpLimits {
  maxAssociations: number;
  maxPduLength: number;
  artimMs: number;
  idleMs: number;
}

export function scpLimits(config: DicomConfig): ScpLimits {
  const scp = config.dicom?.scp;
  return {
    maxAssociations: scp?.['max-associations'] ?? 16,
    maxPduLength: scp?.['max-pdu-length'] ?? 262144,
    artimMs: (scp?.['artim-timeout'] ?? 30) * 1000,
    idleMs: (scp?.['idle-timeout'] ?? 60) * 1000,
  };
}
