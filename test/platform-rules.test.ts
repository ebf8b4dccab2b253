// What the real systems accept (issue 23): each rule ported from Kubernetes,
// Argo, helm, MONAI Deploy fails on the defect and passes without it, in
// validate (at its values.yaml line), in the chart's guards (helm template),
// and in export monai. The failing values files are also in the bad-input
// corpus (test/fixtures/invalid/{workflow-object-name-duplicate,
// argo-hostpath-unpinned, volume-type-engine, argo-task-name-digit}.yaml).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { generateValues } from '../bench/generate-values.mjs';
import { estimateReleaseBytes, releaseRecordBytes } from '../src/core/release-size.js';
import { checkValues } from '../src/core/validate-values.js';
import { containerName, type RunPlan, type StagePlan } from '../src/runner/plan.js';
import { argoProblems } from './argo-check.js';
import { chartCopy, cli, fixture, helmBin, referenceValues } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const codes = (text: string) => checkValues(text, 'values.yaml').diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
const template = (chart: string, ...set: string[]) => spawnSync(helmBin, ['template', 'clara-workflow', chart, ...set.flatMap((s) => ['--set', s])], { encoding: 'utf8', maxBuffer: 1 << 30 });
const corpus = (name: string) => fs.readFileSync(fixture('invalid', `${name}.yaml`), 'utf8');

describe('object names derived from IDs are unique', () => {
  it('run-mode Jobs carry the whole job ID: patient-0001 and patient-0002 never share a Job name (they did with its first 8 characters)', async () => {
    const names: string[][] = [];
    for (const job of ['patient-0001', 'patient-0002']) {
      const r = await cli(['render', '--workflow', 'liver-seg', '--job', job]);
      expect(r.code, r.stderr).toBe(0);
      names.push((loadAll(r.stdout) as any[]).filter((d) => d?.kind === 'Job').map((d) => d.metadata.name));
    }
    expect(names[0]).toEqual(['clara-workflow-patient-0001-dicom-reader', 'clara-workflow-patient-0001-ai-livertumor', 'clara-workflow-patient-0001-dicom-writer']);
    expect(names[0]!.filter((n) => names[1]!.includes(n))).toEqual([]);
    // Over 63 characters: readable, hashed, still distinct, and a DNS label.
    const long = await cli(['render', '--workflow', 'liver-seg', '--job', '11111111-1111-1111-1111-111111111111']);
    const longNames = (loadAll(long.stdout) as any[]).filter((d) => d?.kind === 'Job').map((d) => d.metadata.name as string);
    for (const n of longNames) expect(n).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(new Set(longNames).size).toBe(3);
    // The local runner names its containers the same way.
    const plan = (jobId: string) => ({ jobId }) as RunPlan;
    const st = { name: 'dicom-reader' } as StagePlan;
    expect(containerName(plan('patient-0001'), st)).not.toBe(containerName(plan('patient-0002'), st));
    expect(containerName(plan('11111111-1111-1111-1111-111111111111'), st)).toBe('clara-11111111-1111-1111-1111-111111111111-dicom-reader');
    const longStage = { name: 'lung-lesion-segmentation' } as StagePlan;
    expect(containerName(plan('11111111-1111-1111-1111-111111111111'), longStage)).toMatch(/^clara-11111111-lung-lesion-segmentation-[0-9a-f]{10}$/);
  });

  it('two workflow names that become one WorkflowTemplate name: WORKFLOW_OBJECT_NAME_DUPLICATE, and the chart refuses them', () => {
    const bad = corpus('workflow-object-name-duplicate');
    expect(codes(bad)).toContain('WORKFLOW_OBJECT_NAME_DUPLICATE');
    const c = chartCopy({ values: bad });
    const r = template(c.chart, 'engine=argo', 'volume.type=persistentVolumeClaim');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/both become the object name "liver-seg"/);
    const good = referenceValues.replace('name: "threshold-example"', 'name: "Liver.Seg2"');
    expect(codes(good)).not.toContain('WORKFLOW_OBJECT_NAME_DUPLICATE');
    expect(template(chartCopy({ values: good }).chart, 'engine=argo', 'volume.type=persistentVolumeClaim').status).toBe(0);
  });
});

describe('Argo', () => {
  it('a stage starting with a digit that depends on another: ARGO_TASK_NAME_DIGIT under engine argo (validate.go validateDAG); fine under jobs and as the first task', () => {
    const bad = corpus('argo-task-name-digit');
    expect(codes(bad)).toContain('ARGO_TASK_NAME_DIGIT');
    const r = template(chartCopy({ values: bad }).chart);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/stage 3d-threshold starts with a digit/);
    expect(codes(bad.replace('engine: argo\n', ''))).not.toContain('ARGO_TASK_NAME_DIGIT');
    // As the first stage it has no dependencies, which Argo accepts.
    const first = bad.replace('stages: ["dicom-reader", "3d-threshold", "dicom-writer"]', 'stages: ["3d-threshold", "dicom-writer"]').replace('waitLocks: ["", "dicom-reader.lock", "3d-threshold.lock"]', 'waitLocks: ["", "3d-threshold.lock"]').replace('ioFolders: ["dicom-reader/input", "dicom-reader/output", "3d-threshold/output", "dicom-writer/output"]', 'ioFolders: ["dicom-reader/input", "3d-threshold/output", "dicom-writer/output"]').replace('args: ["", ["--min", "300"], ""]', 'args: [["--min", "300"], ""]');
    expect(codes(first)).toEqual([]);
  });

  it('hostPath under engine argo: ARGO_HOSTPATH_UNPINNED unless volume.nodeSelector pins the run (or pinToNode: false says the cluster has one node); the template carries the nodeSelector', () => {
    const bad = corpus('argo-hostpath-unpinned');
    expect(codes(bad)).toContain('ARGO_HOSTPATH_UNPINNED');
    expect(template(chartCopy({ values: bad }).chart).stderr).toMatch(/engine argo with a hostPath volume needs volume.nodeSelector/);
    const pinned = bad.replace('  pinToNode: true', '  pinToNode: true\n  nodeSelector:\n    kubernetes.io/hostname: node-1');
    expect(codes(pinned)).toEqual([]);
    const r = template(chartCopy({ values: pinned }).chart);
    expect(r.status, r.stderr).toBe(0);
    for (const wt of (loadAll(r.stdout) as any[]).filter((d) => d?.kind === 'WorkflowTemplate')) {
      expect(wt.spec.nodeSelector).toEqual({ 'kubernetes.io/hostname': 'node-1' });
      expect(wt.spec.affinity).toBeUndefined();
    }
    expect(codes(bad.replace('  pinToNode: true', '  pinToNode: false'))).toEqual([]);
    expect(codes(bad.replace('  type: hostPath', '  type: persistentVolumeClaim'))).toEqual([]);
  });

  it('volumeClaimTemplate under engine jobs: VOLUME_TYPE_ENGINE, and the chart refuses it (it rendered a hostPath volume with no affinity)', () => {
    const bad = corpus('volume-type-engine');
    expect(codes(bad)).toContain('VOLUME_TYPE_ENGINE');
    expect(template(chartCopy({ values: bad }).chart, 'job.workflow=liver-seg', 'job.id=j1').stderr).toMatch(/volumeClaimTemplate needs engine argo/);
    expect(codes(bad.replace('volume:\n', 'engine: argo\nvolume:\n'))).toEqual([]);
  });
});

describe('the release record helm stores in one Secret (1 MiB)', () => {
  /** The record as helm builds it (pkg/release Release → JSON → gzip → base64), from the real helm template output and the chart's files. */
  function realRecord(chart: string, ...set: string[]): number {
    const r = template(chart, ...set);
    if (r.status !== 0) throw new Error(r.stderr);
    const b64 = (f: string) => fs.readFileSync(f).toString('base64');
    const dir = path.join(chart, 'templates');
    const values = checkValues(fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8'), 'values.yaml').values;
    const rel = {
      name: 'clara-workflow',
      info: { first_deployed: '2026-12-07T00:00:00Z', last_deployed: '2026-12-07T00:00:00Z', deleted: '', description: 'Install complete', status: 'deployed' },
      chart: { metadata: { name: 'clara-workflow' }, lock: null, templates: fs.readdirSync(dir).sort().map((f) => ({ name: `templates/${f}`, data: b64(path.join(dir, f)) })), values, schema: b64(path.join(chart, 'values.schema.json')), files: [] },
      config: {},
      manifest: r.stdout,
      version: 1,
      namespace: 'default',
    };
    return releaseRecordBytes(JSON.stringify(rel));
  }

  it('the estimate errs high but not by much: between the real record and 1.25× it, both engines, 300 generated workflows and the stock chart', () => {
    const c = chartCopy({ values: generateValues(300) });
    fs.rmSync(path.join(c.chart, 'templates', 'dicom-config.yaml'));
    for (const [chart, engine, set] of [
      [c.chart, 'jobs', []],
      [c.chart, 'argo', ['engine=argo', 'volume.type=persistentVolumeClaim']],
    ] as const) {
      const values = { ...(checkValues(fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8'), 'v').values as object), engine };
      const real = realRecord(chart, ...set);
      const est = estimateReleaseBytes(values, engine);
      expect(est, `${engine}: estimate ${est} real ${real}`).toBeGreaterThanOrEqual(real);
      expect(est, `${engine}: estimate ${est} real ${real}`).toBeLessThanOrEqual(1.25 * real);
    }
  });

  it('RELEASE_TOO_LARGE at the workflows key for 4,000 workflows under engine argo (about 1.3 MiB estimated); none under engine jobs or for the stock chart', () => {
    const big = generateValues(4000);
    const argo = checkValues(big.replace(/^workflows:/m, 'engine: argo\nvolume:\n  type: persistentVolumeClaim\nworkflows:'), 'values.yaml').diagnostics.filter((d) => d.code === 'RELEASE_TOO_LARGE');
    expect(argo).toEqual([expect.objectContaining({ severity: 'error', line: expect.any(Number) })]);
    expect(argo[0]!.message).toMatch(/estimated at 1\.\d\d MiB/);
    expect(argo[0]!.hint).toMatch(/split the workflows over several releases/);
    expect(checkValues(big, 'values.yaml').diagnostics.filter((d) => d.code === 'RELEASE_TOO_LARGE' && d.severity === 'error')).toEqual([]);
    expect(checkValues(referenceValues, 'values.yaml').diagnostics.filter((d) => d.code === 'RELEASE_TOO_LARGE')).toEqual([]);
  });
});

describe('export monai: what MWM and MIG accept, and everything exported', () => {
  const lesion = [
    'api-version: 0.4.0',
    'name: lesion',
    'operators:',
    '  - name: reader',
    '    container: { image: clara/dicom-reader, tag: 0.2.0 }',
    '    input: [{ path: /input }]',
    '    output: [{ path: /output }]',
    '  - name: seg',
    '    container: { image: team/seg, tag: "1" }',
    '    input: [{ from: reader, path: /input }]',
    '    output: [{ path: /output }]',
    '  - name: report',
    '    container: { image: team/report, tag: "1" }',
    '    input: [{ from: seg, path: /input }]',
    '    output: [{ path: /output }]',
    // Like NVIDIA's lung-lesion: an end stage that reads the study too.
    '  - name: overlay',
    '    container: { image: team/overlay, tag: "1" }',
    '    input: [{ from: seg, path: /input }, { path: /dicom }]',
    '    output: [{ path: /output }]',
    '',
  ].join('\n');

  async function exported(prepare: (chart: string, dir: string) => Promise<void> | void, ...flags: string[]) {
    const c = chartCopy();
    await prepare(c.chart, c.dir);
    const out = path.join(c.dir, 'monai');
    const r = await cli(['--chart', c.chart, 'export', 'monai', '-o', out, ...flags], { cwd: c.dir });
    const read = (f: string) => fs.readFileSync(path.join(out, f), 'utf8');
    return { r, out, read };
  }

  it('a DAG with two end stages and a later stage reading the study: input-dicom wherever the study is read, every end output out, the export task takes them all', async () => {
    const { r, read } = await exported(async (chart, dir) => {
      fs.writeFileSync(path.join(dir, 'lesion.yaml'), lesion);
      expect((await cli(['--chart', chart, 'pipeline', 'import', path.join(dir, 'lesion.yaml')])).code).toBe(0);
      expect((await cli(['--chart', chart, 'dicom', 'ae', 'add', 'LESION_AI'])).code).toBe(0);
      expect((await cli(['--chart', chart, 'dicom', 'map', 'LESION_AI', '--workflow', 'lesion', '--destination', 'MYPACS'])).code).toBe(0);
    }, 'lesion');
    expect(r.code, r.stderr).toBe(0);
    const wf = JSON.parse(read('mwm/lesion.json'));
    const outs = ['output-overlay-output', 'output-report-output'];
    expect(wf.tasks[0].artifacts.output.map((a: any) => a.name).sort()).toEqual(outs);
    expect(wf.tasks[1].artifacts.input.map((a: any) => a.name).sort()).toEqual(outs);
    const wt = (loadAll(read('argo/clara-workflow-lesion.yaml')) as any[]).find((d) => d?.kind === 'WorkflowTemplate');
    const t = (n: string) => wt.spec.templates.find((x: any) => x.name === n);
    expect(t('reader').inputs.artifacts).toEqual([{ name: 'input-dicom', path: '/input', optional: true }]);
    expect(t('overlay').inputs.artifacts).toEqual([{ name: 'input-dicom', path: '/dicom', optional: true }]);
    expect(t('overlay').container.volumeMounts.map((m: any) => m.mountPath)).not.toContain('/dicom');
    expect(t('report').outputs.artifacts).toEqual([{ name: 'output-report-output', path: '/output' }]);
    expect(t('overlay').outputs.artifacts).toEqual([{ name: 'output-overlay-output', path: '/output' }]);
    expect(t('seg').outputs).toBeUndefined();
    // What `argo lint` checks of it: every input artifact is supplied, located or optional; without optional it fails.
    expect(argoProblems(wt)).toEqual([]);
    const strict = structuredClone(wt);
    for (const x of strict.spec.templates) for (const a of x.inputs?.artifacts ?? []) delete a.optional;
    expect(argoProblems(strict)).toEqual(['task reader: templates.reader.inputs.artifacts.input-dicom was not supplied', 'task overlay: templates.overlay.inputs.artifacts.input-dicom was not supplied']);
  });

  it('a workflow mapped to two AE titles is exported once per AE title, each MIG AE entry written, and REPORT.md says so', async () => {
    const { r, read } = await exported(async (chart) => {
      expect((await cli(['--chart', chart, 'dicom', 'ae', 'add', 'LIVER2_AI'])).code).toBe(0);
      expect((await cli(['--chart', chart, 'dicom', 'map', 'LIVER2_AI', '--workflow', 'liver-seg', '--destination', 'MYPACS', '--name', 'liver-seg-2'])).code).toBe(0);
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(read('mwm/liver-seg.json')).informatics_gateway.ae_title).toBe('LIVER_AI');
    expect(JSON.parse(read('mwm/liver-seg-liver2_ai.json')).informatics_gateway.ae_title).toBe('LIVER2_AI');
    expect(JSON.parse(read('mig/ae.json')).map((a: any) => a.aeTitle)).toEqual(expect.arrayContaining(['LIVER_AI', 'LIVER2_AI']));
    expect(read('REPORT.md')).toMatch(/mapped to 2 AE titles/);
    // MWM's real args (ArgoParameters.cs), not the plug-in's internal ResourcesKeys names.
    expect(read('REPORT.md')).toMatch(/cpu \/ memory \/ gpu_required/);
  });

  it('PatientID grouping and an AE timeout of 0 are exported as MIG takes them (AllowedGroupingTags; no lower bound above 0)', async () => {
    const { r, read } = await exported((chart) => {
      const cfg = path.join(chart, 'files', 'dicom-server-config.yaml');
      fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('      - ae-title: LIVER_AI\n', '      - ae-title: LIVER_AI\n        grouping: "0010,0020"\n        timeout: 0\n'));
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(read('mig/ae.json')).find((a: any) => a.aeTitle === 'LIVER_AI')).toMatchObject({ grouping: '0010,0020', timeout: 0 });
    expect(read('REPORT.md')).not.toMatch(/PatientID/);
  });

  it('one AE title on two hosts: two MIG sources of distinct names (MIG keys sources by name), said in REPORT.md', async () => {
    const { r, read } = await exported(async (chart) => {
      expect((await cli(['--chart', chart, 'dicom', 'source', 'add', 'DCM4CHEE', '--host', '10.0.0.7'])).code).toBe(0);
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(read('mig/source.json'))).toEqual([
      { name: 'DCM4CHEE', aeTitle: 'DCM4CHEE', hostIp: '127.0.0.1' },
      { name: 'DCM4CHEE-10-0-0-7', aeTitle: 'DCM4CHEE', hostIp: '10.0.0.7' },
    ]);
    expect(read('REPORT.md')).toMatch(/this one is named DCM4CHEE-10-0-0-7/);
  });

  it('refused, nothing written: an IPv6 source (IsValidHostNameIp), a stage named like a template MWM adds, a task id over 63 (md-task-id), a bad --server-url or --namespace', async () => {
    const ipv6 = await exported(async (chart) => {
      expect((await cli(['--chart', chart, 'dicom', 'source', 'add', 'PACS6', '--host', 'fd00::10'])).code).toBe(0);
    });
    expect(ipv6.r.code).toBe(1);
    expect(ipv6.r.stderr).toMatch(/hostIp "fd00::10" is not an IPv4 address or host name/);
    expect(fs.existsSync(ipv6.out)).toBe(false);

    const reserved = await exported(async (chart, dir) => {
      fs.writeFileSync(path.join(dir, 'p.yaml'), lesion.replace(/\breport\b/g, 'send-message'));
      expect((await cli(['--chart', chart, 'pipeline', 'import', path.join(dir, 'p.yaml')])).code).toBe(0);
      expect((await cli(['--chart', chart, 'dicom', 'ae', 'add', 'LESION_AI'])).code).toBe(0);
      expect((await cli(['--chart', chart, 'dicom', 'map', 'LESION_AI', '--workflow', 'lesion', '--destination', 'MYPACS'])).code).toBe(0);
    }, 'lesion');
    expect(reserved.r.code).toBe(1);
    expect(reserved.r.stderr).toMatch(/stage send-message has the name of a template MWM's Argo plug-in adds/);

    // A 63-character workflow name: its task id is shortened with a hash, so the export passes and the id is a label value.
    const long = 'w'.repeat(63);
    const ok = await exported((chart) => {
      const v = path.join(chart, 'values.yaml');
      fs.writeFileSync(v, fs.readFileSync(v, 'utf8').replace('name: "liver-seg"', `name: "${long}"`));
    }, long);
    expect(ok.r.code, ok.r.stderr).toBe(0);
    const id = JSON.parse(ok.read(`mwm/${long}.json`)).tasks[0].id as string;
    expect(id.length).toBeLessThanOrEqual(63);
    expect(id).toMatch(/^[a-z0-9][-a-z0-9_.]*[a-z0-9]$/);

    for (const [flag, value, msg] of [
      ['--server-url', 'not a url', /--server-url takes the Argo server's http\(s\) URL/],
      ['--namespace', 'Bad_NS.x', /--namespace takes a Kubernetes namespace/],
    ] as const) {
      const bad = await exported(() => {}, flag, value);
      expect(bad.r.code).toBe(2);
      expect(bad.r.stderr).toMatch(msg);
      expect(fs.existsSync(bad.out)).toBe(false);
    }
    const good = await exported(() => {}, '--server-url', 'https://argo-server.argo:2746', '--namespace', 'argo-workflows');
    expect(good.r.code, good.r.stderr).toBe(0);
  });
});

describe('validate: a stage named like a template MWM adds', () => {
  it('MWM_TEMPLATE_NAME_RESERVED (a warning: only MONAI Deploy minds) at the stage key; another name passes', () => {
    const text = referenceValues.replace(/\buser-ai\b/g, 'send-message');
    const found = checkValues(text, 'values.yaml').diagnostics.filter((d) => d.code === 'MWM_TEMPLATE_NAME_RESERVED');
    expect(found).toEqual([expect.objectContaining({ severity: 'warning', line: text.split('\n').indexOf('  send-message:') + 1 })]);
    expect(checkValues(referenceValues, 'values.yaml').diagnostics.filter((d) => d.code === 'MWM_TEMPLATE_NAME_RESERVED')).toEqual([]);
  });
});

describe('MWM rules: md-task-id', () => {
  it('an argo task id over 63 characters fails mwmProblems; 63 passes', async () => {
    const { mwmProblems } = await import('../src/core/monai.js');
    const wf = (id: string) => ({ name: 'w', version: '1.0.0', informatics_gateway: { ae_title: 'AE', data_origins: [], export_destinations: [] }, tasks: [{ id, type: 'argo', args: { workflow_template_name: 't' }, artifacts: { input: [{ name: 'input-dicom', value: 'x' }] } }] });
    expect(mwmProblems(wf('a'.repeat(64)))).toEqual([expect.stringMatching(/becomes the label md-task-id/)]);
    expect(mwmProblems(wf('a'.repeat(63)))).toEqual([]);
  });
});
