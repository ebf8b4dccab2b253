// Every `fail` guard in the chart's templates has a validate rule with the same
// meaning (issue 26 §5): the test lists the guards it finds in templates/, the
// rule code for each and values that trip it; helm must fail on them with that
// guard (or its schema), and clara-wf validate must report the code. A guard
// added to the chart without a row here fails the first test.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyDicomConfig } from '../src/cli/commands/init.js';
import { catalogEntryBytes } from '../src/core/workflow.js';
import { chartCopy, cli, helmBin, repoRoot, tempDir } from './helpers.js';

const T = '5f1c8d2e-3b4a-4c6d-9e8f-0a1b2c3d4e5f'; // threshold-example: dicom-reader → threshold → dicom-writer
const L = 'fd3ee8bf-b9f3-4808-bd60-243f870ff9bd'; // liver-seg

interface Guard {
  /** A piece of the guard's message as the template writes it. */
  guard: string;
  code: string;
  /** -f overlay (YAML) and --set values that trip it. */
  overlay?: string;
  set?: string[];
}

const wf = (id: string, body: string) => `workflows:\n  ${id}:\n${body.replace(/^/gm, '    ')}\n`;
const stage = (name: string, body: string) => `stages:\n  ${name}:\n${body.replace(/^/gm, '    ')}\n`;
const PINNED = ['engine=argo', 'volume.nodeSelector.kubernetes\\.io/hostname=n1'];

export const GUARDS: Guard[] = [
  { guard: 'volume.type volumeClaimTemplate needs engine argo', code: 'VOLUME_TYPE_ENGINE', set: ['volume.type=volumeClaimTemplate'] },
  { guard: 'engine argo with a hostPath volume needs volume.nodeSelector', code: 'ARGO_HOSTPATH_UNPINNED', set: ['engine=argo'] },
  { guard: 'stageName %q must equal the stage key', code: 'STAGE_NAME_MISMATCH', overlay: stage('threshold', 'stageName: other') },
  { guard: 'lockName %q must be %q', code: 'LOCK_NAME_MISMATCH', overlay: stage('threshold', 'lockName: other.lock') },
  { guard: 'reuses the name or folder of another of its outputs or its input', code: 'OUTPUT_CLASH', overlay: stage('threshold', 'extraOutputs:\n  - name: output\n    path: /app/masks') },
  { guard: 'the name is also used by workflow', code: 'WORKFLOW_NAME_DUPLICATE', overlay: wf(L, 'name: user-workflow') },
  { guard: 'both become the object name', code: 'WORKFLOW_OBJECT_NAME_DUPLICATE', overlay: wf(L, 'name: User_Workflow') },
  { guard: 'waitLocks has %d entries, stages has %d', code: 'WORKFLOW_LENGTH_MISMATCH', overlay: wf(T, 'waitLocks: ["", "dicom-reader.lock"]') },
  { guard: 'args has %d entries, stages has %d', code: 'WORKFLOW_LENGTH_MISMATCH', overlay: wf(T, 'args: ["", ""]') },
  { guard: 'ioFolders has %d entries, it needs %d', code: 'WORKFLOW_LENGTH_MISMATCH', overlay: wf(T, 'ioFolders: ["a", "b", "c"]') },
  { guard: 'is not defined under stages', code: 'WORKFLOW_STAGE_UNKNOWN', overlay: wf(T, 'stages: ["dicom-reader", "nope", "dicom-writer"]') },
  { guard: 'appears twice', code: 'WORKFLOW_STAGE_REPEATED', overlay: wf(T, 'stages: ["dicom-reader", "threshold", "threshold"]\nwaitLocks: ["", "dicom-reader.lock", "dicom-reader.lock"]') },
  { guard: 'which is not the lock of a stage that runs before it', code: 'WAITLOCK_ORDER', overlay: wf(T, 'waitLocks: ["", "dicom-writer.lock", "threshold.lock"]') },
  { guard: 'inputs has %d entries, stages has %d', code: 'WORKFLOW_LENGTH_MISMATCH', overlay: wf(T, 'inputs: ["", ""]') },
  { guard: 'which is not a stage that runs before it', code: 'INPUTS_FROM_INVALID', overlay: wf(T, 'inputs: ["", "", [{from: dicom-writer, path: /app/input}]]') },
  { guard: 'which has no such output', code: 'INPUTS_NAME_UNKNOWN', overlay: wf(T, 'inputs: ["", "", [{from: threshold, name: nope, path: /app/input}]]') },
  { guard: 'ioFolders entry %q must be a relative path', code: 'IOFOLDER_INVALID', overlay: wf(T, 'ioFolders: ["dicom-reader/input", "../out", "threshold/output", "dicom-writer/output"]') },
  { guard: 'job.workflow %q names no workflow', code: 'JOB_WORKFLOW_UNKNOWN', set: ['job.workflow=nope', 'job.id=abc'] },
  { guard: 'job.id %q must be a lowercase UUID or DNS label', code: 'JOB_ID_INVALID', set: ['job.workflow=threshold-example'] },
  { guard: 'does not say which of its outputs it reads', code: 'INPUTS_NAME_AMBIGUOUS', overlay: `${stage('threshold', 'extraOutputs:\n  - name: masks\n    path: /app/masks')}${wf(T, 'inputs: ["", "", [{from: threshold, path: /app/input}]]')}` },
  { guard: 'two inputs are mounted at %s', code: 'MOUNT_PATH_DUPLICATE', overlay: wf(T, 'inputs: ["", "", [{from: threshold, path: /app/input}, {from: dicom-reader, path: /app/input}]]') },
  { guard: 'its output folder %s is also %s', code: 'MOUNT_PATH_DUPLICATE', overlay: stage('threshold', 'outputs: input') },
  { guard: 'output %s at %s is also %s', code: 'MOUNT_PATH_DUPLICATE', overlay: stage('threshold', 'extraOutputs:\n  - name: masks\n    path: /app/locks') },
  { guard: '%s %s is also %s; run clara-wf validate', code: 'MOUNT_PATH_DUPLICATE', overlay: stage('threshold', 'lockDir: /app/output\ninputLock: /app/output/input.lock') },
  { guard: 'the input at %s is also %s', code: 'MOUNT_PATH_DUPLICATE', overlay: wf(T, 'inputs: ["", "", [{from: threshold, path: /app/input}, {from: dicom-reader, path: /app/output}]]') },
  { guard: 'starts with a digit, which Argo refuses', code: 'ARGO_TASK_NAME_DIGIT', set: PINNED, overlay: `${stage('3d-seg', 'image: {repository: seg, tag: "1.0"}\nstageName: 3d-seg\nlockName: 3d-seg.lock\nappDir: /app\ninputs: input\noutputs: output\nlockDir: /app/locks\ninputLock: /app/locks/input.lock\nlogName: /app/logs/3d-seg.log\npublishPath: /publish\ntimeout: "300"\nmount: {in: {name: input}, out: {name: output}}')}${wf(T, 'stages: ["dicom-reader", "3d-seg", "dicom-writer"]\nwaitLocks: ["", "dicom-reader.lock", "3d-seg.lock"]\nioFolders: ["dicom-reader/input", "dicom-reader/output", "3d-seg/output", "dicom-writer/output"]')}` },
  { guard: 'more than a ConfigMap holds', code: 'CATALOG_ENTRY_TOO_LARGE', set: ['catalog.maxBytes=2000'] },
  { guard: 'is missing from the chart (set dicomConfigFile)', code: 'DICOM_CONFIG_MISSING', set: ['dicomConfigFile=files/nope.yaml'] },
  { guard: 'which is not in .Values.workflows', code: 'MAPPING_WORKFLOW_UNKNOWN', overlay: `workflows:\n  ${L}: null\n` },
  { guard: 'volume.type volumeClaimTemplate gives each Argo run a new claim the gateway never sees', code: 'GATEWAY_VOLUME_PER_RUN', set: ['gateway.enabled=true', 'engine=argo', 'volume.type=volumeClaimTemplate'] },
  { guard: 'gateway.enabled with volume.type hostPath', code: 'GATEWAY_HOSTPATH_UNPINNED', set: ['gateway.enabled=true'] },
];

/** Every guard's message format in the chart's templates. */
function chartGuards(): string[] {
  const dir = path.join(repoRoot, 'charts', 'clara-workflow', 'templates');
  const out: string[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const m of text.matchAll(/\bfail\s+\(?\s*(?:printf\s+)?"((?:[^"\\]|\\.)*)"/g)) out.push(`${f}: ${m[1]}`);
  }
  return out;
}

/** The reference: JSON as Go's json.MarshalIndent(v, "", "  ") writes it (sorted keys; <, >, &, U+2028, U+2029 escaped). */
function goPrettyJson(v: unknown): string {
  const sorted = (x: unknown): unknown => (Array.isArray(x) ? x.map(sorted) : x && typeof x === 'object' ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sorted((x as Record<string, unknown>)[k])])) : x);
  return JSON.stringify(sorted(v), null, 2).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

describe('catalog sizes: clara-wf and helm agree to the byte', () => {
  it('catalogEntryBytes is the length of the Go encoding, escapes and all', () => {
    const entry = { z: 'a < b && c > d', a: ['é', '\u2028', { y: 1, b: null }], m: 'スキャン' };
    expect(catalogEntryBytes('id', entry)).toBe(Buffer.byteLength('id.json') + Buffer.byteLength(goPrettyJson(entry)) + 1);
  });

  it.each([T, L, '7b413e24-d018-4689-8c41-73272f6649d4'])('workflow %s', async (id) => {
    // Only this workflow in the chart (and no DICOM mappings naming the others), so helm's guard reports its size.
    const p = chartCopy();
    const dicom = path.join(p.chart, 'files', 'dicom-server-config.yaml');
    fs.writeFileSync(dicom, emptyDicomConfig(fs.readFileSync(dicom, 'utf8')));
    const others = [T, L, '7b413e24-d018-4689-8c41-73272f6649d4'].filter((x) => x !== id).flatMap((x) => ['--set', `workflows.${x}=null`]);
    const helm = spawnSync(helmBin, ['template', 'x', p.chart, '--set', 'catalog.maxBytes=1024', ...others], { encoding: 'utf8' });
    const theirs = /resolves to (\d+) bytes/.exec(helm.stderr)?.[1];
    expect(theirs, helm.stderr).toBeDefined();
    const ours = await cli(['validate', '--set', 'catalog.maxBytes=1024', ...others], { cwd: p.dir });
    expect(ours.stderr).toContain(`workflow ${id} (`);
    expect(/resolves to (\d+) bytes/.exec(ours.stderr)?.[1]).toBe(theirs);
  });
});

describe("the chart's guards and validate's rules", () => {
  it('every fail in templates/ has exactly one row here (and every row a guard)', () => {
    const guards = chartGuards();
    expect(guards.length).toBe(GUARDS.length);
    for (const g of guards) expect(GUARDS.filter((r) => g.includes(r.guard)).map((r) => r.code), g).toHaveLength(1);
    for (const r of GUARDS) expect(guards.filter((g) => g.includes(r.guard)), r.guard).toHaveLength(1);
  });

  it.each(GUARDS.map((g) => [g.code, g] as const))('%s: helm fails on the values, and validate reports the code', async (_code, g) => {
    const p = chartCopy();
    const args: string[] = [];
    if (g.overlay) {
      const f = path.join(tempDir(), 'overlay.yaml');
      fs.writeFileSync(f, g.overlay);
      args.push('-f', f);
    }
    for (const s of g.set ?? []) args.push('--set', s);
    const helm = spawnSync(helmBin, ['template', 'x', p.chart, ...args], { encoding: 'utf8' });
    expect(helm.status, helm.stdout.slice(0, 200)).not.toBe(0);
    // With this guard's own words (the fixed text before its first %), or at its schema.
    const words = g.guard.split('%')[0]!.trim();
    expect(helm.stderr.includes(words) || helm.stderr.includes("values don't meet the specifications of the schema"), helm.stderr).toBe(true);
    const v = await cli(['validate', ...args], { cwd: p.dir });
    expect(v.code, v.stderr).toBe(1);
    expect(v.stderr).toContain(` error ${g.code} `);
  });
});
