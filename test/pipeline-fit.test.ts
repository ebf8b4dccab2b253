// Imports that fit (issue 22): conflicts listed at once with the fields that
// differ, --prefix and --rename, and the rest of CPDL as NVIDIA documents it
// (template parameters, case-insensitive names, typed I/O, trailing slashes,
// YAML 1.1 as warnings, numbers too big to hold), and the local runner's one
// variable per input.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPipeline, importPipeline, type PipelineDoc } from '../src/core/pipeline.js';
import { checkValues } from '../src/core/validate-values.js';
import { findWorkflow } from '../src/core/workflow.js';
import { planRun, processEnv } from '../src/runner/plan.js';
import { chartCopy, cli, fixture, tempDir } from './helpers.js';

const COVID = fixture('pipelines', 'nvidia', 'COVID-19-pipeline.yaml');
const codes = (text: string) => checkPipeline(text, 'p.yaml').diagnostics.map((d) => `${d.severity} ${d.code}@${d.line}`);
const write = (text: string) => {
  const f = path.join(tempDir(), 'p.yaml');
  fs.writeFileSync(f, text);
  return f;
};
const op = (name: string, io: string) => `  - name: ${name}\n    container:\n      image: team/${name.toLowerCase()}\n      tag: "1.0"\n${io}`;

describe('pipeline import into a chart that has stages of those names', () => {
  it('lists every conflicting stage with the fields that differ, writes nothing, and hints --prefix/--rename', async () => {
    const c = chartCopy();
    const before = fs.readFileSync(c.values, 'utf8');
    const r = await cli(['--chart', c.chart, 'pipeline', 'import', COVID]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2 stages of COVID-19-pipeline clash/);
    expect(r.stderr).toMatch(/stage dicom-reader \(operator dicom-reader\) exists already and differs:\n +image: clara\/dicom-reader:0\.2\.0 here, clara\/dicom-reader:latest in the pipeline\n +appDir: \/app here, \/ in the pipeline/);
    expect(r.stderr).toMatch(/stage dicom-writer \(operator dicom-writer\)[^]*output name: output here, dicom in the pipeline/);
    expect(r.stderr).toMatch(/--prefix <prefix>- \(every stage\) or --rename <operator>=<stage>/);
    expect(fs.readFileSync(c.values, 'utf8')).toBe(before);
  });

  it('--prefix imports every operator under a prefixed stage name; it validates, renders both engines, and says where /publish went', async () => {
    const c = chartCopy();
    const r = await cli(['--chart', c.chart, '--json', 'pipeline', 'import', COVID, '--prefix', 'covid-']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.stagesCreated).toEqual(['covid-dicom-reader', 'covid-lung-segmentation', 'covid-dicom-writer', 'covid-register-volume-images-for-rendering', 'covid-register-dicom-output', 'covid-classification-covid-19']);
    expect(out.notes).toContainEqual(expect.stringMatching(/^operator lung-segmentation: output rendering at \/publish is the stage's publish folder \(publish\/covid-lung-segmentation in the job folder\)/));
    expect((await cli(['--chart', c.chart, 'validate'])).code).toBe(0);
    for (const engine of ['jobs', 'argo']) {
      const rendered = await cli(['--chart', c.chart, 'render', '--workflow', 'COVID-19-pipeline', '--job', '33333333-3333-3333-3333-333333333333', '--set', `engine=${engine}`, '--set', 'volume.nodeSelector.kubernetes\\.io/hostname=node-1']);
      expect(rendered.code, rendered.stderr).toBe(0);
    }
    // The stage that reads "rendering" reads the publish folder of lung-segmentation.
    const v = checkValues(fs.readFileSync(c.values, 'utf8'), 'v').values!;
    const { id, workflow } = findWorkflow(v, 'COVID-19-pipeline');
    const plan = planRun({ values: v, workflowId: id, workflow, jobId: 'j', dataDir: '/d', valuesDir: '/c' });
    const register = plan.stages.find((s) => s.name === 'covid-register-volume-images-for-rendering')!;
    expect(register.inputs).toEqual([{ from: 'covid-lung-segmentation', name: 'rendering', host: '/d/j/publish/covid-lung-segmentation', path: '/input', readOnly: true }]);
  });

  it('an output at /logs is the stage\'s log folder, mounted once (NVIDIA\'s lung-lesion pipeline writes one there)', () => {
    const text = `api-version: 0.4.0\nname: logs\noperators:\n${op('seg', '    input:\n      - path: /input\n    output:\n      - name: mask\n        path: /output\n      - name: trace\n        path: /logs/\n')}${op('report', '    input:\n      - from: seg\n        name: trace\n        path: /input\n    output:\n      - path: /output\n')}`;
    expect(codes(text)).toEqual([]);
    const plan = importPipeline(checkPipeline(text, 'p').doc as PipelineDoc);
    expect(plan.notes).toContainEqual("operator seg: output trace at /logs is the stage's log folder (logs in the job folder), mounted once; later stages read it from there");
    expect(plan.stages[0]?.spec.extraOutputs).toEqual([{ name: 'trace', path: '/logs' }]);
  });

  it('--rename names one stage; an unknown operator or a bad name is refused', async () => {
    const c = chartCopy();
    const bad = await cli(['--chart', c.chart, 'pipeline', 'import', COVID, '--rename', 'nosuch=x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--rename names no operator of COVID-19-pipeline: nosuch/);
    expect((await cli(['--chart', c.chart, 'pipeline', 'import', COVID, '--rename', 'dicom-reader=Bad_Name'])).stderr).toMatch(/"Bad_Name" is not a stage name/);
    const ok = await cli(['--chart', c.chart, '--json', 'pipeline', 'import', COVID, '--rename', 'DICOM-Reader=covid-reader', '--rename', 'dicom-writer=covid-writer']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).stagesCreated).toEqual(['covid-reader', 'lung-segmentation', 'covid-writer', 'register-volume-images-for-rendering', 'register-dicom-output', 'classification-covid-19']);
  });
});

describe('CPDL as NVIDIA documents it', () => {
  it('template parameters: placeholders take their defaults at validate and import; an undeclared one is an error at its position', async () => {
    const text = `api-version: 0.4.0\nname: tpl\nparameters:\n  reader-tag: "0.8.1"\n  out: /output\noperators:\n${op('reader', '    input:\n      - path: /input\n    output:\n      - path: ${{ out }}\n')}`.replace('tag: "1.0"', 'tag: ${{reader-tag}}');
    expect(codes(text)).toEqual([]);
    const c = chartCopy({ values: 'stages: {}\nworkflows: {}\n' });
    fs.rmSync(path.join(c.chart, 'files', 'dicom-server-config.yaml'));
    const r = await cli(['--chart', c.chart, '--json', 'pipeline', 'import', write(text)]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).dropped).toContainEqual(expect.stringMatching(/^parameters \(reader-tag, out\) are not carried: their defaults were put in place/));
    expect(fs.readFileSync(c.values, 'utf8')).toMatch(/tag: "?0\.8\.1"?/);
    const undeclared = text.replace('${{ out }}', '${{ output-dir }}');
    const check = checkPipeline(undeclared, 'p.yaml');
    // (The placeholder left in place is no rooted path either: that is said too.)
    expect(check.diagnostics.map((d) => `${d.code}@${d.line}:${d.column}`)).toEqual(['PARAMETER_UNDEFINED@14:15', 'PATH_NOT_ROOTED@14:15']);
    expect(check.diagnostics[0]?.hint).toBe('parameters: reader-tag, out');
  });

  it('import and operator/service api-version are read; import says the linked documents are not', () => {
    const text = `api-version: 0.4.0\nname: linked\nimport:\n  - ./operators/reader.yaml\noperators:\n  - name: reader\n    api-version: 0.4.0\n    container:\n      image: team/reader\n    input:\n      - path: /input\n    output:\n      - path: /output\n`;
    expect(codes(text)).toEqual([]);
    const plan = importPipeline(checkPipeline(text, 'p').doc as PipelineDoc);
    expect(plan.dropped).toContainEqual(expect.stringMatching(/^import: the documents this one links are not read/));
  });

  it('document linking: an operator defined in another document, its placeholders filled from import.args', async () => {
    const dir = fixture('pipeline-linked');
    const read = (rel: string) => (fs.existsSync(path.join(dir, rel)) ? fs.readFileSync(path.join(dir, rel), 'utf8') : null);
    const text = fs.readFileSync(path.join(dir, 'pipeline.yaml'), 'utf8');
    const check = checkPipeline(text, 'pipeline.yaml', read);
    expect(check.diagnostics).toEqual([]);
    expect(check.doc?.operators[1]?.input).toEqual([{ from: 'producer', name: 'data', path: '/input' }]);
    expect(check.doc?.operators[1]?.container.image).toBe('team/consumer');
    // The CLI reads the linked documents beside the file, and imports the chain.
    const c = chartCopy();
    const r = await cli(['--chart', c.chart, '--json', 'pipeline', 'import', path.join(dir, 'pipeline.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).stagesCreated).toEqual(['producer', 'consumer']);
    // Unreadable, an argument missing, and a bad field in the linked document: each at the import's path.
    const at = (t: string, reader = read) => checkPipeline(t, 'p.yaml', reader).diagnostics.map((d) => `${d.code}@${d.line}`);
    expect(at(text.replace('path: consumer.yaml', 'path: nosuch.yaml'))).toEqual(['IMPORT_UNREADABLE@15']);
    expect(at(text, (rel) => (rel === 'consumer.yaml' ? read(rel)!.replace('parameters:\n  input-from: none\n', '') : read(rel))).filter((x) => !x.startsWith('INPUT_FROM'))).toEqual([]);
    expect(at(text.replace(/\n {6}args:\n {8}input-from: producer/, ''), (rel) => (rel === 'consumer.yaml' ? read(rel)!.replace('parameters:\n  input-from: none\n', '') : read(rel)))).toContain('PARAMETER_UNDEFINED@15');
    expect(at(text, (rel) => (rel === 'producer.yaml' ? read(rel)!.replace('  tag: "1.0"', '  tag: "1.0"\n  colour: red') : read(rel)))).toEqual(['IMPORT_INVALID@12']);
  });

  it('names are case-insensitive: from: DICOM-Reader and name: Series find reader output series', () => {
    const text = `api-version: 0.4.0\nname: ci\noperators:\n${op('dicom-reader', '    input:\n      - path: /input\n    output:\n      - name: series\n        path: /output\n      - name: meta\n        path: /meta\n')}${op('ai', '    input:\n      - from: DICOM-Reader\n        name: Series\n        path: /input\n    output:\n      - path: /output\n')}`;
    expect(codes(text)).toEqual([]);
    const plan = importPipeline(checkPipeline(text, 'p').doc as PipelineDoc);
    expect(plan.workflow.stages).toEqual(['dicom-reader', 'ai']);
    expect(plan.workflow.waitLocks).toEqual(['', 'dicom-reader.lock']);
    // It reads its upstream's main output at its input folder: the seed's chain, nothing listed.
    expect(plan.workflow.inputs).toBeUndefined();
    expect(plan.stages[1]?.spec.inputs).toBe('input');
  });

  it('an input from an operator with several outputs must name one', () => {
    const text = `api-version: 0.4.0\nname: amb\noperators:\n${op('reader', '    input:\n      - path: /input\n    output:\n      - name: series\n        path: /output\n      - name: meta\n        path: /meta\n')}${op('ai', '    input:\n      - from: reader\n        path: /input\n    output:\n      - path: /output\n')}`;
    const check = checkPipeline(text, 'p.yaml');
    expect(check.diagnostics.map((d) => `${d.code}@${d.line}`)).toEqual(['INPUT_NAME_AMBIGUOUS@20']);
    expect(check.diagnostics[0]?.hint).toBe('add name: one of series, meta');
  });

  it('trailing slashes are the same folder: /input/ validates and imports as /input', () => {
    const text = `api-version: 0.4.0\nname: slash\noperators:\n${op('a', '    input:\n      - path: /input/\n    output:\n      - path: /output/\n')}${op('b', '    input:\n      - from: a\n        path: /input/\n    output:\n      - path: /output\n')}`;
    expect(codes(text)).toEqual([]);
    const plan = importPipeline(checkPipeline(text, 'p').doc as PipelineDoc);
    expect(plan.stages.map((s) => [s.spec.appDir, s.spec.inputs, s.spec.outputs])).toEqual([['/', 'input', 'output'], ['/', 'input', 'output']]);
    expect(plan.workflow.inputs?.[1]).toEqual([{ from: 'a', path: '/input' }]);
  });

  it('one path twice in an operator is MOUNT_PATH_DUPLICATE at the second', () => {
    const text = `api-version: 0.4.0\nname: dup\noperators:\n${op('a', '    input:\n      - path: /data\n    output:\n      - path: /data/\n')}`;
    expect(codes(text)).toEqual(['error MOUNT_PATH_DUPLICATE@11']);
  });

  it('0.5.0 typed I/O: shared memory has no path, a stream has one, every output is named', () => {
    const base = (io: string) => `api-version: 0.5.0\nname: typed\noperators:\n${op('a', io)}`;
    expect(codes(base('    input:\n      - path: /input\n    output:\n      - name: v\n        type: array\n        element-type: float32\n        shape: [-1]\n      - name: s\n        type: string\n'))).toEqual([]);
    expect(codes(base('    input:\n      - path: /input\n    output:\n      - name: v\n        path: /v\n        type: array\n        element-type: float32\n        shape: [-1]\n'))).toEqual(['error TYPED_PATH_NOT_ALLOWED@12']);
    expect(codes(base('    input:\n      - path: /input\n    output:\n      - name: v\n        type: stream\n'))).toEqual(['error OUTPUT_PATH_MISSING@11', 'error TYPED_FIELD_MISSING@12']);
    expect(codes(base('    input:\n      - path: /input\n    output:\n      - name: s\n        type: string\n        shape: [4]\n'))).toEqual(['error TYPED_FIELD_NOT_ALLOWED@13']);
    expect(codes(base('    input:\n      - path: /input\n    output:\n      - path: /output\n'))).toEqual(['error OUTPUT_NAME_MISSING@11']);
    // 0.4.0: a single unnamed output is fine.
    expect(codes(base('    input:\n      - path: /input\n    output:\n      - path: /output\n').replace('0.5.0', '0.4.0'))).toEqual([]);
  });

  it('YAML 1.1 hazards are warnings in pipeline words, and the text is read as written', () => {
    const text = fs.readFileSync(fixture('pipeline-warnings', 'tag-float.yaml'), 'utf8');
    const check = checkPipeline(text, 'tag-float.yaml');
    expect(check.ok).toBe(true);
    expect(check.diagnostics.map((d) => `${d.severity} ${d.code}@${d.line}`)).toEqual(['warning YAML11_NUMBER@35']);
    expect(check.diagnostics[0]?.message).toMatch(/a YAML 1\.1 reader \(as Clara's may be\) takes the unquoted 2\.0 as the number 2; clara-wf reads it as the text "2\.0" written/);
    expect(check.diagnostics[0]?.message).not.toMatch(/Helm/);
    expect(check.doc?.operators[2]?.container.tag).toBe('2.0');
    // Nor do duplicate keys or a second document speak of Helm or values files.
    expect(checkPipeline('api-version: 0.4.0\nname: a\nname: b\noperators: []\n', 'p').diagnostics.find((d) => d.code === 'DUPLICATE_KEY')?.hint).not.toMatch(/Helm/);
    expect(checkPipeline('api-version: 0.4.0\n---\nname: b\n', 'p').diagnostics[0]?.message).toMatch(/^a pipeline file holds one YAML document/);
  });

  it('a number too big to hold exactly is refused, not rendered as 1e+20', () => {
    const text = `api-version: 0.4.0\nname: big\noperators:\n${op('a', '    input:\n      - path: /input\n    output:\n      - path: /output\n    requests:\n      gpu: 99999999999999999999\n')}`;
    expect(codes(text)).toEqual(['error REQUEST_NOT_WHOLE@13']);
  });

  it('a null item is reported at its own line', () => {
    const text = `api-version: 0.4.0\nname: nulls\noperators:\n${op('a', '    input:\n      - path: /input\n    output:\n      -\n')}`;
    expect(codes(text)).toEqual(['error WRONG_TYPE@11']);
  });

  it('an api-version other than export\'s is noted at import: export writes 0.4.0, and why', () => {
    const plan = importPipeline(checkPipeline(fs.readFileSync(fixture('pipelines', 'v0.3.0-hello.yaml'), 'utf8'), 'p').doc as PipelineDoc);
    expect(plan.notes).toContainEqual(expect.stringMatching(/^api-version 0\.3\.0: values\.yaml keeps no api-version, so pipeline export writes 0\.4\.0/));
  });
});

describe('the local runner: one variable per input', () => {
  it('a stage reading two named outputs of one upstream gets both (CLARA_INPUT_<STAGE>_<NAME>)', async () => {
    const text = `api-version: 0.4.0\nname: two\noperators:\n${op('reader', '    input:\n      - path: /input\n    output:\n      - name: series\n        path: /output\n      - name: meta\n        path: /meta\n')}${op('ai', '    input:\n      - from: reader\n        name: series\n        path: /input\n      - from: reader\n        name: meta\n        path: /in-meta\n    output:\n      - path: /output\n')}`;
    const c = chartCopy({ values: 'stages: {}\nworkflows: {}\n' });
    fs.rmSync(path.join(c.chart, 'files', 'dicom-server-config.yaml'));
    expect((await cli(['--chart', c.chart, 'pipeline', 'import', write(text)])).code).toBe(0);
    const v = checkValues(fs.readFileSync(c.values, 'utf8'), 'v').values!;
    const { id, workflow } = findWorkflow(v, 'two');
    const plan = planRun({ values: v, workflowId: id, workflow, jobId: 'j', dataDir: '/d', valuesDir: '/c' });
    const env = processEnv(plan, plan.stages[1]!, {});
    expect(env).toMatchObject({ CLARA_INPUT_READER_SERIES: '/d/j/reader/output', CLARA_INPUT_READER_META: '/d/j/reader/output-meta', CLARA_INPUT_READER: '/d/j/reader/output', NVIDIA_CLARA_INPUT: '/d/j/reader/output' });
  });
});
