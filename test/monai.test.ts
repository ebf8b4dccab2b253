// export monai against MONAI Deploy's own rules and formats:
// - MWM (Project-MONAI/monai-deploy-workflow-manager): guidelines/mwm-workflow-spec.md
//   (Workflow {name, version, description, informatics_gateway {ae_title, data_origins,
//   export_destinations}, tasks [{id, description, type, timeout_minutes, args, artifacts
//   {input, output [{name, value, mandatory}]}, task_destinations, export_destinations}]})
//   and the Argo plug-in's args (src/TaskManager/Plug-ins/Argo/StaticValues/Keys.cs).
// - MIG (Project-MONAI/monai-deploy-informatics-gateway): docs/api/rest/config.md
//   (MonaiApplicationEntity {name, aeTitle, grouping, timeout, workflows, ignoredSopClasses},
//   SourceApplicationEntity {name, aeTitle, hostIp}, DestinationApplicationEntity {name,
//   aeTitle, hostIp, port}).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migHostValid, migProblems, mwmProblems, MWM_ARGO_ARGS, type MwmWorkflow } from '../src/core/monai.js';
import { chartCopy, cli, fixture } from './helpers.js';
import { argoProblems } from './argo-check.js';
import { load } from 'js-yaml';
import { WorkflowTemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowTemplate';

/* eslint-disable @typescript-eslint/no-explicit-any */
const GOLDEN = fixture('monai-export');

function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

async function exportChart(extra: string[] = [], edit?: (dicomConfig: string) => string) {
  const c = chartCopy();
  const cfg = path.join(c.chart, 'files', 'dicom-server-config.yaml');
  if (edit) fs.writeFileSync(cfg, edit(fs.readFileSync(cfg, 'utf8')));
  const out = path.join(c.dir, 'monai');
  const r = await cli(['--chart', c.chart, 'export', 'monai', '-o', out, ...extra], { cwd: c.dir });
  return { r, out, c };
}

describe('export monai', () => {
  it('every reference workflow (threshold-example mapped to THRESH_AI as in the README): byte-stable files (golden), MWM and MIG field names and types as their sources define them', async () => {
    const { r, out } = await exportChart([], (t) =>
      t
        .replace('      - ae-title: LIVER_AI\n', '      - ae-title: LIVER_AI\n        processor: "Nvidia.Clara.Dicom.Processors.JobProcessor, Nvidia.Clara.DicomServer"\n      - ae-title: THRESH_AI\n')
        .replace('pipeline-mappings: []', '  - name: threshold-example\n    clara-ae-title: THRESH_AI\n    destination-name: MYPACS\n    workflow: 5f1c8d2e-3b4a-4c6d-9e8f-0a1b2c3d4e5f\npipeline-mappings: []'),
    );
    expect(r.code, r.stderr).toBe(0);
    const got = readTree(out);
    if (process.env.CLARA_WF_UPDATE_MONAI_GOLDEN) {
      fs.rmSync(GOLDEN, { recursive: true, force: true });
      for (const [f, t] of got) {
        fs.mkdirSync(path.dirname(path.join(GOLDEN, f)), { recursive: true });
        fs.writeFileSync(path.join(GOLDEN, f), t);
      }
    }
    expect([...got.keys()].sort()).toEqual([...readTree(GOLDEN).keys()].sort());
    for (const [f, t] of readTree(GOLDEN)) expect(got.get(f), f).toBe(t);

    const wf = JSON.parse(got.get('mwm/liver-seg.json') as string) as any;
    expect(Object.keys(wf)).toEqual(['name', 'version', 'description', 'informatics_gateway', 'tasks']);
    expect(Object.keys(wf.informatics_gateway)).toEqual(['ae_title', 'data_origins', 'export_destinations']);
    for (const t of wf.tasks) {
      for (const k of Object.keys(t)) expect(['id', 'description', 'type', 'timeout_minutes', 'args', 'artifacts', 'task_destinations', 'export_destinations']).toContain(k);
      for (const a of [...(t.artifacts.input ?? []), ...(t.artifacts.output ?? [])]) {
        expect(typeof a.name).toBe('string');
        expect(typeof a.mandatory).toBe('boolean');
      }
      // MWM's task args are Dictionary<string, string>.
      for (const v of Object.values(t.args ?? {})) expect(typeof v).toBe('string');
    }
    expect(wf.tasks[0]).toMatchObject({ type: 'argo', args: { workflow_template_name: 'clara-workflow-liver-seg', namespace: 'argo', timeoutSeconds: '900' }, timeout_minutes: 15 });
    expect(wf.tasks[1]).toMatchObject({ type: 'export', export_destinations: [{ name: 'MYPACS' }] });
    expect(mwmProblems(wf)).toEqual([]);
    const ae = JSON.parse(got.get('mig/ae.json') as string);
    const src = JSON.parse(got.get('mig/source.json') as string);
    const dst = JSON.parse(got.get('mig/destination.json') as string);
    for (const a of ae) expect(Object.keys(a).every((k) => ['name', 'aeTitle', 'grouping', 'timeout', 'workflows', 'ignoredSopClasses'].includes(k))).toBe(true);
    expect(src).toEqual([{ name: 'DCM4CHEE', aeTitle: 'DCM4CHEE', hostIp: '127.0.0.1' }]);
    expect(dst).toEqual([{ name: 'MYPACS', aeTitle: 'MYPACS', hostIp: '127.0.0.1', port: 1004 }]);
    expect(migProblems(ae, src, dst)).toEqual([]);
    // The argo task names the template written beside it, and its artifacts are the ones MWM passes by name.
    const wt = load((got.get('argo/clara-workflow-liver-seg.yaml') as string).split('\n---\n')[1] as string) as any;
    expect(wt.metadata.name).toBe(wf.tasks[0].args.workflow_template_name);
    expect(argoProblems(wt)).toEqual([]);
    const reader = wt.spec.templates.find((t: any) => t.name === 'dicom-reader');
    const writer = wt.spec.templates.find((t: any) => t.name === 'dicom-writer');
    // Optional: argo lint refuses an input artifact with neither a value nor a location, and only MWM gives it one.
    expect(reader.inputs.artifacts).toEqual([{ name: wf.tasks[0].artifacts.input[0].name, path: '/app/input', optional: true }]);
    expect(reader.container.volumeMounts.map((m: any) => m.mountPath)).not.toContain('/app/input');
    expect(writer.outputs.artifacts).toEqual([{ name: wf.tasks[0].artifacts.output[0].name, path: '/app/output' }]);
    expect(wt.spec.arguments.parameters).toEqual([{ name: 'job', value: 'monai' }]);
    expect(wt.spec.volumeClaimTemplates[0].metadata.name).toBe('clara-io');
    const forModel = structuredClone(wt);
    forModel.spec.volumeClaimTemplates = forModel.spec.volumeClaimTemplates.map((v: any) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...v }));
    new WorkflowTemplate(forModel).validate();
    expect(got.get('REPORT.md')).toMatch(/max-associations 2/);
    expect(got.get('mig/apply.sh')).toMatch(/^curl --fail --location --request POST "\$MIG_URL\/config\/ae"/m);
  });

  it('an AE title MIG cannot take: exit 1 naming it and --rename, nothing written; --rename fixes it', async () => {
    const edit = (t: string) => t.replace(/LIVER_AI/g, 'LIVER SEG AI 016');
    const bad = await exportChart([], edit);
    expect(bad.r.code).toBe(1);
    expect(bad.r.stderr).toMatch(/AE title "LIVER SEG AI 016" must be 1-15 of A-Z a-z 0-9 _ - \(use --rename "LIVER SEG AI 016=NEW"\)/);
    expect(fs.existsSync(bad.out)).toBe(false);
    const ok = await exportChart(['--rename', 'LIVER SEG AI 016=LIVER_SEG'], edit);
    expect(ok.r.code, ok.r.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(ok.out, 'mwm', 'liver-seg.json'), 'utf8')).informatics_gateway.ae_title).toBe('LIVER_SEG');
    expect(fs.readFileSync(path.join(ok.out, 'REPORT.md'), 'utf8')).toMatch(/AE title LIVER SEG AI 016 exported as LIVER_SEG/);
    expect((await exportChart(['--rename', 'nope'])).r.code).toBe(2);
  });

  it('named workflows only; an unmapped workflow is refused with the command that maps it', async () => {
    const one = await exportChart(['liver-seg']);
    expect(one.r.code, one.r.stderr).toBe(0);
    expect(fs.readdirSync(path.join(one.out, 'mwm'))).toEqual(['liver-seg.json']);
    const unmapped = await exportChart(['threshold-example']);
    expect(unmapped.r.code).toBe(1);
    expect(unmapped.r.stderr).toMatch(/threshold-example is mapped to no Clara AE title.*clara-wf dicom map <AE> --workflow threshold-example/);
  });
});

describe('MWM and MIG rules: each fails on a defect and passes without it', () => {
  const good = (): MwmWorkflow => ({
    name: 'w',
    version: '1.0.0',
    informatics_gateway: { ae_title: 'AI', data_origins: ['PACS'], export_destinations: ['PACS'] },
    tasks: [
      { id: 'run', type: 'argo', args: { workflow_template_name: 't', namespace: 'argo' }, artifacts: { input: [{ name: 'in', value: '{{ context.input.dicom }}' }], output: [{ name: 'output' }] }, task_destinations: [{ name: 'send' }] },
      { id: 'send', type: 'export', export_destinations: [{ name: 'PACS' }], artifacts: { input: [{ name: 'output', value: '{{ context.executions.run.artifacts.output }}' }] } },
    ],
  });
  const cases: [string, (w: MwmWorkflow) => void, RegExp][] = [
    ['AE title too long', (w) => (w.informatics_gateway.ae_title = 'A'.repeat(16)), /ae_title .* must be 1-15/],
    ['AE title with a space', (w) => (w.informatics_gateway.ae_title = 'MY AI'), /ae_title .* must be 1-15/],
    ['task id with a dot', (w) => ((w.tasks[1] as any).id = 'se.nd'), /task id "se\.nd" must match/],
    ['task id twice', (w) => ((w.tasks[1] as any).id = 'run'), /task id "run" is used twice/],
    ['a task without input artifacts', (w) => ((w.tasks[1] as any).artifacts = {}), /task send \(export\) has no input artifacts/],
    ['an export destination not in informatics_gateway', (w) => (w.informatics_gateway.export_destinations = []), /exports to PACS, which informatics_gateway.export_destinations does not list/],
    ['an argo arg MWM does not read', (w) => ((w.tasks[0] as any).args.server = 'x'), /args\.server, which MWM's Argo plug-in does not read/],
    ['an argo task without workflow_template_name', (w) => delete (w.tasks[0] as any).args.workflow_template_name, /needs args\.workflow_template_name/],
    ['a task destination that is no task', (w) => ((w.tasks[0] as any).task_destinations = [{ name: 'nowhere' }]), /goes on to nowhere, which is not a task/],
    ['an export task with output artifacts', (w) => ((w.tasks[1] as any).artifacts.output = [{ name: 'x' }]), /export task send must not list output artifacts/],
  ];
  it('a valid workflow passes', () => expect(mwmProblems(good())).toEqual([]));
  it.each(cases)('%s', (_name, spoil, re) => {
    const w = good();
    spoil(w);
    const problems = mwmProblems(w);
    expect(problems.some((p) => re.test(p)), problems.join('\n')).toBe(true);
  });
  it('the argo args are the ones Keys.cs defines', () => expect(MWM_ARGO_ARGS).toContain('workflow_template_name'));
  it('MIG: AE title, grouping, timeout, host and port rules', () => {
    const ae = [{ name: 'ai', aeTitle: 'AI', grouping: '0020,000D', timeout: 5, workflows: [] }];
    const src = [{ name: 'PACS', aeTitle: 'PACS', hostIp: '10.0.0.1' }];
    const dst = [{ name: 'PACS', aeTitle: 'PACS', hostIp: 'pacs.example.org', port: 104 }];
    expect(migProblems(ae, src, dst)).toEqual([]);
    // ValidationExtensions.cs AllowedGroupingTags: PatientID, StudyInstanceUID, SeriesInstanceUID.
    expect(migProblems([{ ...ae[0]!, grouping: '0010,0020' }], src, dst)).toEqual([]);
    expect(migProblems([{ ...ae[0]!, grouping: '0008,0050' }], src, dst)).toEqual([expect.stringMatching(/grouping 0008,0050 must be 0010,0020/)]);
    expect(migProblems([{ ...ae[0]!, timeout: 0 }], src, dst)).toEqual([]);
    expect(migProblems([{ ...ae[0]!, timeout: -1 }], src, dst)).toEqual([expect.stringMatching(/timeout must be a whole number/)]);
    // IsValidHostNameIp: IPv4 or a host name, no IPv6; its own test cases.
    for (const h of ['0.0.0.0', '10.20.30.40', '255.255.255.0', '192.168.0.1', 'pacs.example.org']) expect(migHostValid(h), h).toBe(true);
    for (const h of ['256.256.256.256', '1.0', '1', '2.3.4', 'fd00::10', '', 'not a host']) expect(migHostValid(h), h).toBe(false);
    expect(migProblems(ae, [{ ...src[0]!, hostIp: 'fd00::10' }], dst)).toEqual([expect.stringMatching(/hostIp "fd00::10" is not an IPv4 address or host name/)]);
    expect(migProblems(ae, [...src, { ...src[0]!, hostIp: '10.0.0.2' }], dst)).toEqual([expect.stringMatching(/MIG source PACS: the name is used twice/)]);
    expect(migProblems([...ae, { ...ae[0]!, name: 'again' }], src, dst)).toEqual([expect.stringMatching(/AE title AI is used twice/)]);
    expect(migProblems(ae, [{ ...src[0]!, hostIp: 'not a host' }], dst)).toEqual([expect.stringMatching(/hostIp "not a host"/)]);
    expect(migProblems(ae, src, [{ ...dst[0]!, port: 70000 }])).toEqual([expect.stringMatching(/port 70000 must be 1-65535/)]);
    expect(migProblems(ae, [{ ...src[0]!, aeTitle: 'SIXTEEN_CHARS_AE' }], dst)).toEqual([expect.stringMatching(/--rename "SIXTEEN_CHARS_AE=NEW"/)]);
  });
});
