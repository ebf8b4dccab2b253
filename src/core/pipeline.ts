// Clara pipeline definitions (seed 000): validation with positions, the DAG,
// and the mapping between a workflow and a pipeline in both directions.
import path from 'node:path';
import { YAML11_SCHEMA, dump } from 'js-yaml';
import { closest, distance } from 'fastest-levenshtein';
import validateSchema from '../../generated/validate-pipeline.js';
import { checkDocument, findCycle, type DocumentReader } from './check-document.js';
import { byPosition, pointer, type Diagnostic, type Finding } from './diagnostic.js';
import { UsageError } from './errors.js';
import { DNS1123_LABEL, isRecord, stagesOf, type StageInput, type StageSpec, type Values, type WorkflowSpec } from './model.js';
import { duplicateMounts, logFolderPath, mountKey, stageMounts } from './mounts.js';
import { stageSpec } from './stage.js';
import { schemaFindings } from './schema-errors.js';
import { parseYaml, type ParsedYaml } from './yaml-source.js';

export const SUPPORTED_API_VERSIONS = ['0.3.0', '0.4.0', '0.5.0', '0.6.0', '0.7.0'];
/** Fields the CPDL reference introduces after 0.3.0, with the api-version that brought them. */
const INTRODUCED: { field: string; version: string; what: string }[] = [
  { field: 'type', version: '0.5.0', what: 'typed inputs and outputs' },
  { field: 'element-type', version: '0.5.0', what: 'typed inputs and outputs' },
  { field: 'shape', version: '0.5.0', what: 'typed inputs and outputs' },
  { field: 'models', version: '0.6.0', what: 'operator models' },
];
const versionNumber = (v: string) => v.split('.').reduce((n, p) => n * 1000 + Number(p), 0);
export const EXPORT_API_VERSION = '0.4.0';

/** api-version 0.5.0+: typed data (Clara orchestrator only). */
interface Typed {
  type?: string;
  'element-type'?: string;
  shape?: number[];
}
export interface PipelineInput extends Typed {
  from?: string;
  name?: string;
  path?: string;
}
export interface PipelineOutput extends Typed {
  name?: string;
  path: string;
}
type Variables = Record<string, string | number | boolean>;
interface Requests {
  cpu?: number;
  gpu?: number;
  memory?: number;
}
export interface Service {
  name: string;
  description?: string;
  container: { image: string; tag?: string; command?: string[]; hostVolumePath?: string; variables?: Variables };
  connections?: { http?: { name: string; port?: number }[]; volume?: { name: string; path: string }[] };
  requests?: Requests;
  variables?: Variables;
}
export interface Operator {
  name: string;
  description?: string;
  container: { image: string; tag?: string; command?: string[]; variables?: Variables };
  input?: PipelineInput[];
  output?: PipelineOutput[];
  requests?: Requests;
  variables?: Variables;
  models?: { name: string }[];
  services?: Service[];
  parameters?: Record<string, unknown>;
}
export interface PipelineDoc {
  'api-version': string;
  name: string;
  description?: string;
  orchestrator?: 'Clara' | 'Argo';
  'pull-secrets'?: string[];
  operators: Operator[];
}

export interface PipelineCheck {
  doc: PipelineDoc | null;
  /** The text checked: the file with its template placeholders resolved (the same lines). */
  text: string;
  yaml: ParsedYaml | null;
  diagnostics: Diagnostic[];
  unparsable: boolean;
  ok: boolean;
}

const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

const PIPELINE_READER: DocumentReader = { duplicateHint: 'which one a reader keeps is not defined; remove or rename the repeat', yaml11: 'as-written', fileKind: 'a pipeline file' };

const PLACEHOLDER = /\$\{\{\s*([^}\s]*)\s*\}\}/g;

/**
 * A template's placeholders resolved with its parameters' defaults, as Clara
 * does when it loads the document with no arguments (NVIDIA CPDL reference,
 * Template: "remaining placeholders are replaced with the default value
 * provided by sub-properties of the document's parameters property"). The
 * text is replaced in place, so findings keep their lines. A placeholder with
 * no parameter is an error at its position.
 */
export function resolvePlaceholders(text: string, file: string, args: Record<string, string> = {}): { text: string; findings: Diagnostic[]; resolved: Record<string, string> } {
  if (!text.includes('${{')) return { text, findings: [], resolved: {} };
  const parsed = parseYaml(text, file, 'a pipeline file');
  const data = parsed.ok && isRecord(parsed.yaml.data) ? parsed.yaml.data : {};
  const defaults: Record<string, string> = {};
  // Operators' own parameters, then the document's (which win).
  for (const op of arr<Record<string, unknown>>(data.operators)) if (isRecord(op) && isRecord(op.parameters)) for (const [k, v] of Object.entries(op.parameters)) if (v !== null && typeof v !== 'object') defaults[k] = String(v);
  if (isRecord(data.parameters)) for (const [k, v] of Object.entries(data.parameters)) if (v !== null && typeof v !== 'object') defaults[k] = String(v);
  // Arguments (a linking operator's import.args) win over defaults.
  Object.assign(defaults, args);
  const findings: Diagnostic[] = [];
  const resolved: Record<string, string> = {};
  const lines = parsed.ok ? parsed.yaml.lines : null;
  const out = text.replace(PLACEHOLDER, (whole, name: string, offset: number) => {
    if (name in defaults) {
      resolved[name] = defaults[name] as string;
      return defaults[name] as string;
    }
    const at = lines ? lines.position(offset) : { line: 0, column: 0 };
    const known = Object.keys(defaults);
    findings.push({ severity: 'error', code: 'PARAMETER_UNDEFINED', file, ...at, path: '', message: `placeholder ${whole} names no parameter, so Clara has no value for it`, hint: known.length ? `parameters: ${known.join(', ')}` : `declare it: parameters: {${name || 'name'}: <default>}` });
    return whole;
  });
  return { text: out, findings, resolved };
}

/** Reads a linked document (a path relative to the pipeline file); null when it cannot be read. */
export type LinkReader = (relPath: string) => string | null;

const LINKED_FIELDS = ['description', 'container', 'input', 'output', 'requests', 'variables', 'models', 'services'] as const;

/**
 * Document linking (NVIDIA CPDL reference, Import; the form NVIDIA's own client
 * tests write: `- name: consumer` with `import: {path: consumer.yaml, args:
 * {input-from: producer}}`): each such operator takes its definition from the
 * linked document (an operator document, or a pipeline document with one
 * operator), its placeholders filled from args, else the document's own
 * parameter defaults. The operator's own fields win over the linked ones.
 * Problems in a linked document are reported at the import's path.
 */
function linkOperators(data: Record<string, unknown>, link: LinkReader | undefined): { data: Record<string, unknown>; findings: Finding[] } {
  const ops = arr<Record<string, unknown>>(data.operators);
  if (!ops.some((o) => isRecord(o) && isRecord(o.import))) return { data, findings: [] };
  const findings: Finding[] = [];
  const linked = ops.map((op, i) => {
    if (!isRecord(op) || !isRecord(op.import) || typeof op.import.path !== 'string') return op;
    const at = pointer('operators', i, 'import', 'path');
    const rel = op.import.path;
    const text = link ? link(rel) : null;
    if (text === null) {
      findings.push({ severity: 'error', code: 'IMPORT_UNREADABLE', path: at, message: `operator ${String(op.name)}: the linked document ${rel} cannot be read${link ? '' : ' (no file to read it from)'}`, hint: 'the path is relative to this pipeline file' });
      return op;
    }
    const args = isRecord(op.import.args) ? Object.fromEntries(Object.entries(op.import.args).map(([k, v]) => [k, String(v)])) : {};
    const resolved = resolvePlaceholders(text, rel, args);
    const parsed = parseYaml(resolved.text, rel, 'a linked document');
    const doc = parsed.ok && isRecord(parsed.yaml.data) ? parsed.yaml.data : null;
    const inner = doc && Array.isArray(doc.operators) ? (doc.operators.length === 1 && isRecord(doc.operators[0]) ? doc.operators[0] : null) : doc;
    if (!inner) {
      findings.push({ severity: 'error', code: 'IMPORT_INVALID', path: at, message: `operator ${String(op.name)}: ${rel} is not an operator document${parsed.ok ? (doc && Array.isArray(doc.operators) ? ` (it has ${doc.operators.length} operators; link a document with one)` : '') : ` (${parsed.diagnostic.message} at line ${parsed.diagnostic.line})`}`, hint: 'link a document with container, input and output' });
      return op;
    }
    for (const d of resolved.findings) findings.push({ severity: 'error', code: d.code, path: at, message: `operator ${String(op.name)}: in ${rel} line ${d.line}: ${d.message}`, hint: 'pass it in import.args, or give it a default under parameters in the linked document' });
    const merged: Record<string, unknown> = {};
    for (const f of LINKED_FIELDS) if (f in inner) merged[f] = inner[f];
    for (const [k, v] of Object.entries(op)) if (k !== 'import') merged[k] = v;
    return merged;
  });
  return { data: { ...data, operators: linked }, findings };
}

export function checkPipeline(text: string, file: string, link?: LinkReader): PipelineCheck {
  const template = resolvePlaceholders(text, file);
  let linked: Record<string, unknown> | null = null;
  const doc = checkDocument(
    template.text,
    file,
    validateSchema,
    (data) => {
      if (!isRecord(data)) return pipelineRules(data);
      const l = linkOperators(data, link);
      linked = l.data;
      const out = [...l.findings];
      // An operator needs a container, its own or its linked document's.
      arr<Record<string, unknown>>(l.data.operators).forEach((op, i) => {
        if (isRecord(op) && !('container' in op) && !(isRecord(arr<Record<string, unknown>>(data.operators)[i]?.import))) out.push({ severity: 'error', code: 'MISSING_KEY', path: pointer('operators', i), at: 'key', message: `operators[${i}] is missing "container"`, hint: 'add container: {image: …}, or import: {path: …} to link an operator document' });
      });
      // What was linked in is held to the schema too, at the operator's import.
      if (l.data !== data && !validateSchema(l.data)) {
        for (const f of schemaFindings(validateSchema.errors ?? [], () => undefined)) {
          const m = /^\/operators\/(\d+)/.exec(f.path);
          const op = m ? (arr<Record<string, unknown>>(data.operators)[Number(m[1])] as Record<string, unknown> | undefined) : undefined;
          if (m && isRecord(op?.import)) out.push({ ...f, code: 'IMPORT_INVALID', path: pointer('operators', Number(m[1]), 'import', 'path'), at: undefined, message: `operator ${String(op?.name)}: in ${String(op?.import.path)}: ${f.message}` });
        }
      }
      return [...out, ...pipelineRules(l.data)];
    },
    PIPELINE_READER,
  );
  const diagnostics = [...template.findings, ...doc.diagnostics].sort(byPosition);
  const ok = doc.ok && !template.findings.length;
  const data = linked ?? doc.data;
  return { doc: isRecord(data) ? (data as unknown as PipelineDoc) : null, yaml: doc.yaml, text: template.text, diagnostics, unparsable: doc.unparsable, ok };
}

function pipelineRules(data: unknown): Finding[] {
  const out: Finding[] = [];
  if (!isRecord(data)) return out;
  const err = (code: string, p: string, message: string, hint?: string) => out.push({ severity: 'error', code, path: p, message, hint });
  const v = data['api-version'];
  if (typeof v === 'string' && !SUPPORTED_API_VERSIONS.includes(v)) {
    err('PIPELINE_API_VERSION', '/api-version', `api-version ${v} is not supported; clara-wf reads ${SUPPORTED_API_VERSIONS[0]} to ${SUPPORTED_API_VERSIONS.at(-1)}`, `use api-version: ${EXPORT_API_VERSION}`);
  }
  const warn = (code: string, p: string, message: string, hint?: string) => out.push({ severity: 'warning', code, path: p, message, hint });
  const ops = arr<Record<string, unknown>>(data.operators).filter(isRecord);
  const version = typeof v === 'string' && SUPPORTED_API_VERSIONS.includes(v) ? v : undefined;
  const argo = data.orchestrator === 'Argo';
  const typed05 = !!version && versionNumber(version) >= versionNumber('0.5.0');
  ops.forEach((op, i) => {
    const at = (...p: (string | number)[]) => pointer('operators', i, ...p);
    // A field newer than the file's api-version: published files do this, and Clara reads them, so a warning.
    const newer = (where: Record<string, unknown>, p: (string | number)[]) => {
      for (const f of INTRODUCED) {
        if (!(f.field in where) || !version || versionNumber(version) >= versionNumber(f.version)) continue;
        warn('FIELD_NEWER_THAN_API_VERSION', at(...p, f.field), `${f.field} (${f.what}) came with api-version ${f.version}; this file says ${version}`, `set api-version: ${f.version} or later`);
      }
    };
    newer(op, []);
    for (const dir of ['input', 'output'] as const) {
      arr<Record<string, unknown>>(op[dir]).forEach((x, k) => {
        if (!isRecord(x)) return;
        newer(x, [dir, k]);
        const typedField = ['type', 'element-type', 'shape'].find((f) => f in x);
        if (argo && typedField) err('TYPED_IO_NEEDS_CLARA', at(dir, k, typedField), `operator ${op.name}: typed ${dir}s need the Clara orchestrator; this pipeline runs on Argo`, 'remove type, element-type and shape, or set orchestrator: Clara');
      });
    }
    const c = op.container;
    if (isRecord(c) && isRecord(c.variables)) {
      warn('VARIABLES_UNDER_CONTAINER', at('container', 'variables'), `operator ${op.name}: Clara reads an operator's environment variables from "variables" beside "container", not inside it; clara-wf takes these as the operator's`, 'move them up one level, next to container');
    }
    const seen = new Map<string, string>();
    arr<Record<string, unknown>>(op.services).forEach((svc, k) => {
      if (!isRecord(svc) || typeof svc.name !== 'string') return;
      const key = svc.name.toLowerCase();
      if (seen.has(key)) err('SERVICE_DUPLICATE', at('services', k, 'name'), `operator ${op.name}: service name "${svc.name}" is already used (names are unique ignoring case)`);
      seen.set(key, svc.name);
      const conns = isRecord(svc.connections) ? svc.connections : {};
      const names = new Set<string>();
      for (const kind of ['http', 'volume'] as const) {
        arr<Record<string, unknown>>(conns[kind]).forEach((cn, m) => {
          if (!isRecord(cn) || typeof cn.name !== 'string') return;
          if (names.has(cn.name)) err('CONNECTION_DUPLICATE', at('services', k, 'connections', kind, m, 'name'), `service ${svc.name}: connection ${cn.name} is declared twice (each becomes one environment variable)`);
          names.add(cn.name);
          if (kind === 'volume' && typeof cn.path === 'string' && !cn.path.startsWith('/')) err('PATH_NOT_ROOTED', at('services', k, 'connections', kind, m, 'path'), `volume connection path "${cn.path}" must be rooted (start with "/")`);
        });
      }
    });
    // Typed I/O (NVIDIA CPDL reference, Output and "Clara Structures and
    // Primitives"): a stream is a mounted folder and needs a path; array,
    // string and the primitives live in shared memory and have none; array
    // needs element-type and shape, stream element-type, the others neither.
    for (const dir of ['input', 'output'] as const) {
      arr<Record<string, unknown>>(op[dir]).forEach((x, k) => {
        if (!isRecord(x) || typeof x.type !== 'string') return;
        const t = x.type;
        const a = /^[aeiou]/.test(t) ? 'an' : 'a';
        const shared = t !== 'stream';
        if (shared && 'path' in x) err('TYPED_PATH_NOT_ALLOWED', at(dir, k, 'path'), `operator ${op.name}: ${a} ${t} ${dir} lives in shared memory and has no path (only type: stream is a mounted folder)`, 'remove path, or use type: stream');
        const needs = { 'element-type': t === 'array' || t === 'stream', shape: t === 'array' };
        for (const [f, wanted] of Object.entries(needs)) {
          if (wanted && !(f in x)) err('TYPED_FIELD_MISSING', at(dir, k, 'type'), `operator ${op.name}: ${a} ${t} ${dir} needs ${f}`, `add ${f}: ${f === 'shape' ? '[-1]' : 'uint8'}`);
          if (!wanted && f in x) err('TYPED_FIELD_NOT_ALLOWED', at(dir, k, f), `operator ${op.name}: ${a} ${t} ${dir} has no ${f} (the reference: omit it for ${t})`, `remove ${f}`);
        }
      });
    }
    const outNames = new Map<string, number>();
    const outs = arr<Record<string, unknown>>(op.output);
    outs.forEach((o, k) => {
      if (!isRecord(o)) return;
      if (typeof o.name !== 'string') {
        if (typed05) err('OUTPUT_NAME_MISSING', at('output', k), `operator ${op.name}: from api-version 0.5.0 every output needs a name (the reference: "mandatory in pipeline api-version 0.5.0 or better")`, 'add name: <output-name>');
        else if (outs.length > 1) err('OUTPUT_NAME_MISSING', at('output', k), `operator ${op.name}: with ${outs.length} outputs each needs a name (the reference: optional only for a single output)`, 'add name: <output-name>');
        return;
      }
      const key = o.name.toLowerCase();
      if (outNames.has(key)) err('OUTPUT_DUPLICATE', at('output', k, 'name'), `operator ${op.name}: output name "${o.name}" is already used by output ${(outNames.get(key) as number) + 1}`);
      else outNames.set(key, k);
    });
  });
  const byLower = new Map<string, number>();
  ops.forEach((op, i) => {
    if (typeof op.name !== 'string') return;
    const k = op.name.toLowerCase();
    if (byLower.has(k)) err('OPERATOR_DUPLICATE', pointer('operators', i, 'name'), `operator name "${op.name}" is already used by operator ${(byLower.get(k) as number) + 1} (names are unique ignoring case)`);
    else byLower.set(k, i);
  });
  const names = ops.map((o) => String(o.name));
  const edges: [number, number][] = [];
  ops.forEach((op, i) => {
    arr<Record<string, unknown>>(op.input).forEach((inp, k) => {
      if (!isRecord(inp)) return;
      const at = (...p: (string | number)[]) => pointer('operators', i, 'input', k, ...p);
      if (typeof inp.path !== 'string') {
        if (!(typed05 && isSharedMemory(inp, ops))) err('INPUT_PATH_MISSING', at(), `operator ${op.name}: an input needs a path (where its folder is mounted)${typed05 ? '; only a typed shared-memory input (array, string, a primitive) has none' : ', required up to api-version 0.4.0'}`, 'add path: /input');
      } else if (!inp.path.startsWith('/')) err('PATH_NOT_ROOTED', at('path'), `input path "${inp.path}" must be rooted (start with "/")`);
      if (typeof inp.from !== 'string') return;
      // Names are case-insensitive in CPDL (operator names are unique ignoring case).
      const j = ops.findIndex((o) => typeof o.name === 'string' && o.name.toLowerCase() === (inp.from as string).toLowerCase());
      if (j < 0) {
        const guess = names.length ? closest(inp.from, names) : undefined;
        const near = guess !== undefined && distance(inp.from, guess) <= Math.max(2, Math.floor(guess.length / 3));
        err('INPUT_FROM_UNKNOWN', at('from'), `operator ${op.name}: input from "${inp.from}" names no operator`, near ? `did you mean "${guess}"?` : `operators: ${names.join(', ')}`);
        return;
      }
      edges.push([j, i]);
      const outputs = arr<Record<string, unknown>>(ops[j]?.output).map((o) => o?.name).filter((n): n is string => typeof n === 'string');
      if (typeof inp.name === 'string' && !outputs.some((n) => n.toLowerCase() === (inp.name as string).toLowerCase())) {
        err('INPUT_NAME_UNKNOWN', at('name'), `operator ${op.name}: input "${inp.name}" is not an output of ${inp.from} (${outputs.length ? `its outputs: ${outputs.join(', ')}` : 'it names no outputs'})`);
      }
      // Several outputs and no name: which one is meant is a guess (Clara's reference: name the output).
      if (inp.name === undefined && arr(ops[j]?.output).length > 1) {
        err('INPUT_NAME_AMBIGUOUS', at('from'), `operator ${op.name}: input from ${inp.from} does not say which of its ${arr(ops[j]?.output).length} outputs it reads`, `add name: one of ${outputs.join(', ')}`);
      }
    });
    arr<Record<string, unknown>>(op.output).forEach((o, k) => {
      if (isRecord(o) && typeof o.path !== 'string' && !(typed05 && typeof o.type === 'string' && o.type !== 'stream')) {
        err('OUTPUT_PATH_MISSING', pointer('operators', i, 'output', k), `operator ${op.name}: an output needs a path (where its folder is mounted)${typed05 ? '; only a typed shared-memory output (array, string, a primitive) has none' : ''}`, 'add path: /output');
      }
      if (isRecord(o) && typeof o.path === 'string' && !o.path.startsWith('/')) err('PATH_NOT_ROOTED', pointer('operators', i, 'output', k, 'path'), `output path "${o.path}" must be rooted (start with "/")`);
    });
    // One mount per path in the operator's container (kubernetes pkg/apis/core/validation/validation.go, ValidateVolumeMounts: "must be unique").
    const mounted = new Map<string, string>();
    for (const dir of ['input', 'output'] as const) {
      arr<Record<string, unknown>>(op[dir]).forEach((x, k) => {
        if (!isRecord(x) || typeof x.path !== 'string' || !x.path.startsWith('/')) return;
        const key = mountKey(x.path);
        const what = `${dir} ${k + 1}${typeof x.name === 'string' ? ` (${x.name})` : ''}`;
        const first = mounted.get(key);
        if (first) err('MOUNT_PATH_DUPLICATE', pointer('operators', i, dir, k, 'path'), `operator ${op.name}: ${what} is mounted at ${x.path}, where ${first} is mounted already (Kubernetes refuses a container with two mounts at one path)`, 'give each input and output its own path');
        else mounted.set(key, what);
      });
    }
  });
  const cycle = findCycle(ops.length, edges);
  if (cycle) err('PIPELINE_CYCLE', pointer('operators', cycle[0] as number, 'input'), `the operators' inputs form a cycle: ${cycle.map((i) => names[i]).join(' → ')}`);
  return out;
}

/** A typed input in shared memory: its own type, or the type of the output it reads, is not stream. */
function isSharedMemory(inp: Record<string, unknown>, ops: Record<string, unknown>[]): boolean {
  if (typeof inp.type === 'string') return inp.type !== 'stream';
  if (typeof inp.from !== 'string') return false;
  const src = ops.find((o) => typeof o.name === 'string' && o.name.toLowerCase() === (inp.from as string).toLowerCase());
  const outs = arr<Record<string, unknown>>(src?.output).filter(isRecord);
  const o = typeof inp.name === 'string' ? outs.find((x) => typeof x.name === 'string' && x.name.toLowerCase() === (inp.name as string).toLowerCase()) : outs[0];
  return typeof o?.type === 'string' && o.type !== 'stream';
}

/** Operators in dependency order (stable: ties keep file order). The pipeline must be valid. */
export function topoOrder(doc: PipelineDoc): Operator[] {
  const done = new Set<string>();
  const out: Operator[] = [];
  const left = [...doc.operators];
  while (left.length) {
    const i = left.findIndex((op) => (op.input ?? []).every((inp) => !inp.from || done.has(inp.from.toLowerCase())));
    if (i < 0) throw new UsageError('the pipeline has a cycle');
    const [op] = left.splice(i, 1) as [Operator];
    out.push(op);
    done.add(op.name.toLowerCase());
  }
  return out;
}

/** The operator a reference names (CPDL names are case-insensitive). */
export function operatorNamed(doc: PipelineDoc, name: string): Operator | undefined {
  const key = name.toLowerCase();
  return doc.operators.find((o) => o.name.toLowerCase() === key);
}

/** The DAG stored with a created Pipeline: operators and the edges between them. */
export function pipelineDag(doc: PipelineDoc): { operators: string[]; edges: { from: string; to: string }[] } {
  return {
    operators: doc.operators.map((o) => o.name),
    edges: doc.operators.flatMap((o) => (o.input ?? []).filter((i) => i.from).map((i) => ({ from: operatorNamed(doc, i.from as string)?.name ?? (i.from as string), to: o.name }))),
  };
}

// ---- workflow → pipeline ---------------------------------------------------

const MARKER = ['Generated', 'by clara-wf pipeline export'].join(' ');

/** A Kubernetes CPU quantity as CPDL counts it: whole CPUs, rounded up (500m asks for 1). */
function cpuNumber(q: string | number): number {
  const s = String(q);
  return Math.ceil(s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s));
}

/** Kubernetes memory quantity → MB (MiB), as Clara's requests.memory counts. */
export function memoryMb(q: string | number): number {
  const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(String(q));
  if (!m) return Number(q);
  const n = Number(m[1]);
  const bytes = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, '': 1 }[m[2] ?? ''] as number;
  return Math.ceil((n * bytes) / 2 ** 20);
}

/**
 * The input a stage reads when the workflow lists none: the stage that writes
 * its ioFolders entry (the seed's chain: stage i reads ioFolders[i]), or the
 * job's payload when no earlier stage writes it.
 */
function derivedInput(spec: StageSpec, workflow: Pick<WorkflowSpec, 'stages' | 'ioFolders'>, i: number, stages: Record<string, Partial<StageSpec>>): PipelineInput[] {
  const inPath = path.posix.join(spec.appDir, spec.inputs);
  const j = workflow.ioFolders.slice(1, i + 1).lastIndexOf(workflow.ioFolders[i] as string);
  const owner = j >= 0 ? workflow.stages[j] : undefined;
  return [owner ? { from: owner, name: stages[owner]?.mount?.out?.name ?? 'output', path: inPath } : { path: inPath }];
}

export function exportPipeline(values: Values, workflow: WorkflowSpec): PipelineDoc {
  const stages = stagesOf(values);
  const operators = workflow.stages.map((name, i): Operator => {
    const sp = stages[name] as StageSpec;
    const listed = workflow.inputs?.[i];
    const input = Array.isArray(listed) ? listed.map((x) => ({ ...(x.from ? { from: x.from } : {}), ...(x.name ? { name: x.name } : {}), path: x.path })) : derivedInput(sp, workflow, i, stages);
    const args = workflow.args[i];
    const command = [...(sp.command ?? []), ...(Array.isArray(args) ? args : [])];
    const r = sp.resources;
    const requests = r ? { ...(r.cpu !== undefined ? { cpu: cpuNumber(r.cpu) } : {}), ...(r.gpu !== undefined ? { gpu: r.gpu } : {}), ...(r.memory !== undefined ? { memory: memoryMb(r.memory) } : {}) } : undefined;
    return {
      name,
      ...(sp.description ? { description: sp.description } : {}),
      container: { image: sp.image.repository, tag: sp.image.tag, ...(command.length ? { command } : {}) },
      input,
      output: [{ name: sp.mount.out.name, path: path.posix.join(sp.appDir, sp.outputs) }, ...(sp.extraOutputs ?? []).map((o) => ({ name: o.name, path: o.path }))],
      ...(requests && Object.keys(requests).length ? { requests } : {}),
      ...(sp.env && Object.keys(sp.env).length ? { variables: { ...sp.env } } : {}),
    };
  });
  return { 'api-version': EXPORT_API_VERSION, name: workflow.name, ...(workflow.description ? { description: workflow.description } : {}), operators };
}

/** Pipeline YAML in a fixed key order, marked as generated. */
export function pipelineText(doc: PipelineDoc, from: string): string {
  const order = (op: Operator) => ({
    name: op.name,
    ...(op.description !== undefined ? { description: op.description } : {}),
    container: { image: op.container.image, ...(op.container.tag !== undefined ? { tag: op.container.tag } : {}), ...(op.container.command ? { command: op.container.command } : {}) },
    ...(op.input ? { input: op.input.map((i) => ({ ...(i.from !== undefined ? { from: i.from } : {}), ...(i.name !== undefined ? { name: i.name } : {}), ...(i.path !== undefined ? { path: i.path } : {}) })) } : {}),
    ...(op.output ? { output: op.output.map((o) => ({ ...(o.name !== undefined ? { name: o.name } : {}), path: o.path })) } : {}),
    ...(op.requests ? { requests: op.requests } : {}),
    ...(op.variables ? { variables: op.variables } : {}),
  });
  const body = { 'api-version': doc['api-version'], name: doc.name, ...(doc.description !== undefined ? { description: doc.description } : {}), operators: doc.operators.map(order) };
  return `# ${MARKER} (${from}). Edit the workflow in values.yaml, not this file.\n# values.yaml carries no services, models, pull-secrets or orchestrator: none are written.\n` + dump(body, { schema: YAML11_SCHEMA, lineWidth: -1, noRefs: true });
}

/** What a pipeline operator carries of a stage: two stages alike here export alike. */
export function operatorView(sp: StageSpec): unknown {
  const r = sp.resources ?? {};
  return {
    image: [sp.image.repository, sp.image.tag],
    command: sp.command ?? [],
    paths: [sp.appDir, sp.inputs, sp.outputs, sp.mount.out.name, ...(sp.extraOutputs ?? []).map((o) => `${o.name}=${o.path}`)],
    requests: [r.cpu !== undefined ? cpuNumber(r.cpu) : null, r.gpu ?? null, r.memory !== undefined ? memoryMb(r.memory) : null],
    env: Object.entries(sp.env ?? {}).sort(),
    description: sp.description ?? null,
  };
}

/** The operator's command past the existing stage's, when everything else about them is the same. */
function argsAfter(have: StageSpec, incoming: StageSpec): string[] | undefined {
  const own = have.command ?? [];
  const all = incoming.command ?? [];
  if (own.length > all.length || own.some((c, k) => c !== all[k])) return undefined;
  const same = JSON.stringify(operatorView({ ...incoming, command: have.command })) === JSON.stringify(operatorView(have));
  return same ? all.slice(own.length) : undefined;
}

/** operatorView's fields, one readable value each, for saying what differs. */
function stageFields(sp: StageSpec): Record<string, string> {
  const v = operatorView(sp) as { requests: (number | null)[] };
  const none = (x: unknown) => (x === null || x === undefined || x === '' ? '(none)' : String(x));
  return {
    image: `${sp.image.repository}:${sp.image.tag}`,
    command: sp.command?.length ? JSON.stringify(sp.command) : '(none)',
    appDir: sp.appDir,
    inputs: sp.inputs,
    outputs: sp.outputs,
    'output name': sp.mount.out.name,
    extraOutputs: none((sp.extraOutputs ?? []).map((o) => `${o.name}=${o.path}`).join(', ')),
    'requests.cpu': none(v.requests[0]),
    'requests.gpu': none(v.requests[1]),
    'requests.memory (MB)': none(v.requests[2]),
    env: none(Object.entries(sp.env ?? {}).sort().map(([k, val]) => `${k}=${val}`).join(', ')),
    description: JSON.stringify(sp.description ?? ''),
  };
}

export type StageFit = { kind: 'new' } | { kind: 'reuse'; args?: string[] } | { kind: 'conflict'; fields: { field: string; have: string; incoming: string }[] };

/**
 * Whether an imported stage fits a chart that has a stage of that name: the
 * same operator (image, command, folders, resources, env) is reused as it is;
 * one whose command starts with the stage's is reused with the rest as the
 * workflow's args (export joins command + args, as CPDL's container.command is
 * passed to the image's entrypoint); anything else conflicts, field by field.
 */
export function fitStage(have: StageSpec | undefined, incoming: StageSpec): StageFit {
  if (!have) return { kind: 'new' };
  const a = operatorView(have) as Record<string, unknown>;
  const b = operatorView(incoming) as Record<string, unknown>;
  if (JSON.stringify(a) === JSON.stringify(b)) return { kind: 'reuse' };
  const rest = argsAfter(have, incoming);
  if (rest) return rest.length ? { kind: 'reuse', args: rest } : { kind: 'reuse' };
  const x = stageFields(have);
  const y = stageFields(incoming);
  const fields = Object.keys(x).filter((k) => x[k] !== y[k]).map((k) => ({ field: k, have: x[k] as string, incoming: y[k] as string }));
  return { kind: 'conflict', fields };
}

// ---- pipeline → stages + workflow -------------------------------------------

export function stageNameOf(operator: string, prefix = ''): string {
  const name = prefix + operator.toLowerCase().replace(/_/g, '-');
  if (!DNS1123_LABEL.test(name)) throw new UsageError(`operator "${operator}" cannot become a stage name ("${name}" is not a DNS-1123 label: 1-63 lowercase letters, digits and '-'); rename it with --rename ${operator}=<stage>`);
  return name;
}

export interface ImportOptions {
  /** Workflow name (default: the pipeline's). */
  name?: string;
  /** Put before every stage name made from an operator ("lung-" → lung-dicom-reader). */
  prefix?: string;
  /** Operator (any case) → stage name, instead of the derived one. */
  rename?: Record<string, string>;
}

export interface ImportPlan {
  stages: { name: string; operator: string; spec: StageSpec }[];
  workflow: WorkflowSpec;
  /** What values.yaml does not carry, one sentence per field (import prints them as warnings). */
  dropped: string[];
  /** How the pipeline was fitted into the chart, one sentence each (import prints them as notes). */
  notes: string[];
}

/** "OLD=NEW" flags → a map; a malformed one is a usage error. */
export function renameMap(flags: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const m = /^([^=]+)=([^=]+)$/.exec(f);
    if (!m) throw new UsageError(`--rename ${f}: write --rename <operator>=<stage name>`);
    out[(m[1] as string).toLowerCase()] = m[2] as string;
  }
  return out;
}

/** Fields of a pipeline that have no place in values.yaml, said field by field. */
function droppedFields(doc: PipelineDoc): string[] {
  const out: string[] = [];
  // Clara's own orchestration is what the chart's Jobs and lock files reproduce: nothing is lost.
  if (doc.orchestrator === 'Argo') out.push(`orchestrator: Argo is not carried: the chart runs the stages as Kubernetes Jobs ordered by lock files (the engine is the chart's choice, not the workflow's)`);
  if (doc['pull-secrets']?.length) out.push(`pull-secrets (${doc['pull-secrets'].join(', ')}) are not carried per workflow: set them chart-wide as imagePullSecrets in values.yaml`);
  for (const op of doc.operators) {
    for (const svc of op.services ?? []) out.push(`operator ${op.name}: service ${svc.name} (${svc.container.image}${svc.container.tag ? `:${svc.container.tag}` : ''}) is not carried: run it yourself and give the stage its address in env${svc.connections?.http?.length ? ` (${svc.connections.http.map((c) => c.name).join(', ')})` : ''}`);
    if (op.models?.length) out.push(`operator ${op.name}: models (${op.models.map((m) => m.name).join(', ')}) are not carried: load them into your Triton server`);
    const typed = [...(op.input ?? []).map((x) => ['input', x] as const), ...(op.output ?? []).map((x) => ['output', x] as const)].filter(([, x]) => 'type' in x || 'element-type' in x || 'shape' in x);
    if (typed.length) out.push(`operator ${op.name}: the types of ${typed.map(([d, x]) => `${d} ${x.name ?? x.path}`).join(', ')} (type, element-type, shape) are not carried: a stage's folders are untyped`);
    const shared = [...(op.input ?? []).map((x) => ['input', x] as const), ...(op.output ?? []).map((x) => ['output', x] as const)].filter(([, x]) => !onDisk(x));
    if (shared.length) out.push(`operator ${op.name}: the shared-memory ${shared.map(([d, x]) => `${d} ${x.name ?? ('from' in x ? x.from : undefined) ?? ''}`).join(', ')} ${shared.length > 1 ? 'are' : 'is'} not carried: a stage exchanges folders only`);
    if (op.parameters && Object.keys(op.parameters).length) out.push(`operator ${op.name}: parameters (${Object.keys(op.parameters).join(', ')}) are not carried: their defaults were put in place of their placeholders`);
  }
  const top = (doc as { parameters?: Record<string, unknown> }).parameters;
  if (top && Object.keys(top).length) out.push(`parameters (${Object.keys(top).join(', ')}) are not carried: their defaults were put in place of their placeholders; to change one, edit the stage in values.yaml`);
  if ((doc as { import?: unknown }).import !== undefined) out.push(`import: the documents this one links are not read; only the operators in this file are imported`);
  return out;
}

/** An input or output that is a mounted folder (untyped, or a typed stream), not shared memory. */
const onDisk = (x: Typed & { path?: string }) => typeof x.path === 'string' && (x.type === undefined || x.type === 'stream');

/** Stages (one per operator, dependency order) and a workflow that exports back to the same pipeline. */
export function importPipeline(doc: PipelineDoc, opts: ImportOptions = {}): ImportPlan {
  const ops = topoOrder(doc);
  const rename = opts.rename ?? {};
  const unknown = Object.keys(rename).filter((k) => !ops.some((o) => o.name.toLowerCase() === k));
  if (unknown.length) throw new UsageError(`--rename names no operator of ${doc.name}: ${unknown.join(', ')} (operators: ${ops.map((o) => o.name).join(', ')})`);
  const names = ops.map((o) => {
    const to = rename[o.name.toLowerCase()];
    if (to === undefined) return stageNameOf(o.name, opts.prefix ?? '');
    if (!DNS1123_LABEL.test(to)) throw new UsageError(`--rename ${o.name}=${to}: "${to}" is not a stage name (1-63 lowercase letters, digits and '-')`);
    return to;
  });
  if (new Set(names).size !== names.length) throw new UsageError(`operator names collide once made stage names (${names.join(', ')}); pass --rename <operator>=<stage> for one of them`);
  const notes: string[] = [];
  if (doc['api-version'] !== EXPORT_API_VERSION) notes.push(`api-version ${doc['api-version']}: values.yaml keeps no api-version, so pipeline export writes ${EXPORT_API_VERSION} (the version that has everything a workflow carries, and no more)`);
  const stageOf = new Map(ops.map((o, i) => [o.name.toLowerCase(), names[i] as string]));
  // Paths as the container runtime reads them: "/input/" is "/input".
  const norm = <T extends { path?: string }>(x: T): T => (typeof x.path === 'string' ? { ...x, path: mountKey(x.path) } : x);
  const diskOut = (op: Operator) => (op.output ?? []).filter(onDisk).map(norm);
  const diskIn = (op: Operator) => (op.input ?? []).filter(onDisk).map(norm);
  const stages = ops.map((op, i) => {
    const stage = names[i] as string;
    // The first output is the stage's own output folder; the others become its extraOutputs.
    const outs = diskOut(op);
    const out = outs[0];
    const outPath = out?.path ?? '/output';
    // The stage's folder is its output's; an input elsewhere (e.g. /input/a,
    // /input/b for fan-in) is kept in the workflow's inputs and mounted there.
    const appDir = path.posix.dirname(outPath);
    const firstIn = diskIn(op)[0]?.path;
    const inputs = firstIn && path.posix.dirname(firstIn) === appDir ? path.posix.basename(firstIn) : 'input';
    if (path.posix.basename(outPath) === inputs) throw new UsageError(`operator ${op.name}: its output ${outPath} and input folder would be the same`);
    const r = op.requests;
    const spec = stageSpec(stage, {
      repository: op.container.image,
      tag: String(op.container.tag ?? 'latest'),
      appDir,
      inputs,
      outputs: path.posix.basename(outPath),
      command: op.container.command,
      // Variables under container (seen in published files) count as the operator's; the operator's own win.
      env: op.variables || op.container.variables ? Object.fromEntries(Object.entries({ ...op.container.variables, ...op.variables }).map(([k, v]) => [k, String(v)])) : undefined,
      cpu: r?.cpu !== undefined ? String(r.cpu) : undefined,
      memory: r?.memory !== undefined ? `${r.memory}Mi` : undefined,
      gpu: r?.gpu,
      description: op.description,
    });
    if (out?.name && out.name !== spec.mount.out.name) spec.mount.out.name = out.name;
    // The chart gives every stage a publish and a log folder; NVIDIA's lung and
    // COVID-19 pipelines name outputs there. Such an output *is* that folder.
    const reserved = (p: string) => (p === mountKey(spec.publishPath) ? 'publish' : p === mountKey(logFolderPath(spec)) ? 'log' : null);
    const firstReserved = reserved(outPath);
    if (out && firstReserved) throw new UsageError(`operator ${op.name}: its first output ${out.name ?? ''} is at ${outPath}, the ${firstReserved} folder every stage of the chart has; list another output first (the first output is the stage's own folder)`);
    const more = outs.slice(1);
    for (const o of more) {
      if (o.path === outPath || o.path === path.posix.join(appDir, inputs)) throw new UsageError(`operator ${op.name}: output ${o.name} at ${o.path} is the same folder as its ${o.path === outPath ? 'first output' : 'input'}`);
      const kind = reserved(o.path as string);
      if (kind) notes.push(`operator ${op.name}: output ${o.name} at ${o.path} is the stage's ${kind} folder (${kind === 'publish' ? `publish/${stage}` : 'logs'} in the job folder), mounted once; later stages read it from there`);
    }
    if (more.length) spec.extraOutputs = more.map((o) => ({ name: o.name as string, path: o.path as string }));
    return { name: stage, operator: op.name, spec };
  });
  const byName = new Map(stages.map((s) => [s.name, s.spec]));
  const stageRecord = Object.fromEntries(stages.map((s) => [s.name, s.spec]));
  const waitLocks = ops.map((op) => {
    const froms = (op.input ?? []).map((i) => i.from).filter((f): f is string => !!f).map((f) => stageOf.get(f.toLowerCase()) as string);
    const last = froms.sort((a, b) => names.indexOf(a) - names.indexOf(b)).pop();
    return last ? (byName.get(last)?.lockName ?? '') : '';
  });
  const ioFolders = [`${names[0]}/input`, ...names.map((n) => `${n}/output`)];
  // A stage lists its inputs unless it reads exactly what the seed's chain
  // gives it (the previous stage's output, or the payload for the first):
  // other upstreams (a DAG), several inputs (fan-in) and the payload read by a
  // later stage are listed, and the chart and runner mount each where it says.
  const inputs = ops.map((op, i): '' | StageInput[] => {
    const actual = diskIn(op).map((x) => {
      const from = x.from ? (stageOf.get(x.from.toLowerCase()) as string) : undefined;
      // The output's own spelling (names are case-insensitive in CPDL, not in values.yaml).
      const src = x.from ? operatorNamed(doc, x.from) : undefined;
      const name = x.name !== undefined ? (src?.output?.find((o) => o.name?.toLowerCase() === x.name?.toLowerCase())?.name ?? x.name) : undefined;
      return { ...(from ? { from } : {}), ...(name !== undefined ? { name } : {}), path: x.path as string };
    });
    const spec = stages[i]?.spec as StageSpec;
    const derived = derivedInput(spec, { stages: names, ioFolders }, i, stageRecord);
    if (JSON.stringify(actual) === JSON.stringify(derived)) return '';
    // No input at all (the reference's hello-world): the first stage reads the payload as the chain gives it; a later one is given the payload.
    if (!actual.length) return i === 0 ? '' : [{ path: path.posix.join(spec.appDir, spec.inputs) }];
    return actual as StageInput[];
  });
  const name = opts.name ?? doc.name;
  if (!/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(name)) throw new UsageError(`"${name}" cannot be a workflow name (1-63 letters, digits, '_', '.', '-'); pass --name`);
  const workflow: WorkflowSpec = {
    name,
    ...(doc.description ? { description: doc.description } : {}),
    stages: names,
    waitLocks,
    ioFolders,
    args: names.map(() => '' as const),
    ...(inputs.some((x) => x !== '') ? { inputs } : {}),
  };
  // What Kubernetes would refuse is refused here, in the pipeline's words, before values.yaml is touched.
  const problems = workflow.stages.flatMap((st, i) => duplicateMounts(stageMounts(workflow, i, stageRecord)).map(([a, b]) => `operator ${stages[i]?.operator}: ${b.source} and ${a.source} are both mounted at ${b.path}`));
  if (problems.length) throw new UsageError(`the pipeline would mount one path twice in a container (Kubernetes refuses such a pod):\n  ${problems.join('\n  ')}`);
  return { stages, workflow, dropped: droppedFields(doc), notes };
}
