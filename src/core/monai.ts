// export monai: Clara workflows and the DICOM adapter configuration as MONAI
// Deploy Workflow Manager (MWM) workflow definitions and Informatics Gateway
// (MIG) configuration payloads. Pure: values + DICOM config in, documents,
// a report and problems out. Formats and rules from MWM's
// guidelines/mwm-workflow-spec.md and its Argo plug-in (StaticValues/Keys.cs),
// and MIG's docs/api/rest/config.md (MonaiApplicationEntity,
// SourceApplicationEntity, DestinationApplicationEntity).
import { createHash } from 'node:crypto';
import type { DicomConfig } from './dicom-config.js';
import { stageDependencies } from './graph.js';
import { stagesOf, workflowsOf, type Values, type WorkflowSpec } from './model.js';
import { stageMounts, type StageMount } from './mounts.js';

/** MIG AE titles: 1-15 of [A-Za-z0-9_-] (Clara accepts 16 and spaces). */
export const MIG_AE_TITLE = /^[A-Za-z0-9_-]{1,15}$/;
/** MWM task ids. */
export const MWM_TASK_ID = /^[a-zA-Z0-9-_]+$/;
/**
 * The args MWM accepts on an argo task: Project-MONAI/monai-deploy-workflow-manager
 * src/WorkflowManager/Common/Configuration/ArgoParameters.cs, VaildParameters
 * (the workflow validator refuses others); workflow_template_name is required.
 */
export const MWM_ARGO_ARGS = ['namespace', 'server_url', 'allow_insecure', 'workflow_template_name', 'timeoutSeconds', 'apiToken', 'endpoint', 'username', 'password', 'exchange', 'virtualHost', 'resources', 'parameters', 'priority', 'cpu', 'memory', 'gpu_required'];
/**
 * Template names MWM's Argo plug-in adds to the Workflow it submits
 * (src/TaskManager/Plug-ins/Argo/StaticValues/Strings.cs: WorkflowEntrypoint,
 * ExitHookTemplateName, ExitHookTemplateSendTemplateName, and the older
 * ExitHookTemplateGenerateTemplateName): a stage of one of these names clashes.
 */
export const MWM_RESERVED_TEMPLATES = ['md-workflow-entrypoint', 'exit-message-template', 'send-message', 'generate-message'];
/** MIG grouping tags: ValidationExtensions.cs AllowedGroupingTags (PatientID, StudyInstanceUID, SeriesInstanceUID). */
export const MIG_GROUPING = ['0010,0020', '0020,000D', '0020,000E'];
/**
 * MIG host names and IPv4 addresses: Project-MONAI/monai-deploy-informatics-gateway
 * src/Configuration/ValidationExtensions.cs, IsValidHostNameIp. No IPv6.
 */
export function migHostValid(host: string): boolean {
  return /^\S/.test(host) && (/^((25[0-5]|(2[0-4]|1\d|[1-9]|)\d)\.?\b){4}$/.test(host) || /^(([a-zA-Z]|[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([A-Za-z]|[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9])$/.test(host));
}
/** A Kubernetes label value (md-task-id carries the task id): at most 63, alphanumeric at both ends. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export interface MwmArtifact {
  name: string;
  value?: string;
  mandatory?: boolean;
}
export interface MwmTask {
  id: string;
  description?: string;
  type: string;
  timeout_minutes?: number;
  args?: Record<string, string>;
  artifacts?: { input?: MwmArtifact[]; output?: MwmArtifact[] };
  task_destinations?: { name: string; conditions?: string[] }[];
  export_destinations?: { name: string; conditions?: string[] }[];
}
export interface MwmWorkflow {
  name: string;
  version: string;
  description?: string;
  informatics_gateway: { ae_title: string; data_origins: string[]; export_destinations: string[] };
  tasks: MwmTask[];
}
export interface MigAe {
  name: string;
  aeTitle: string;
  grouping: string;
  timeout: number;
  workflows: string[];
  ignoredSopClasses?: string[];
}
export interface MigSource {
  name: string;
  aeTitle: string;
  hostIp: string;
}
export interface MigDestination {
  name: string;
  aeTitle: string;
  hostIp: string;
  port: number;
}

export interface MonaiExport {
  workflows: { file: string; workflow: MwmWorkflow; id: string; template: string }[];
  ae: MigAe[];
  sources: MigSource[];
  destinations: MigDestination[];
  /** What has no MONAI equivalent, one line each. */
  report: string[];
  /** Rule violations: nothing is written when there is one. */
  problems: string[];
}


/** MWM's rules for a workflow definition (WorkflowValidator), as messages. */
export function mwmProblems(w: MwmWorkflow): string[] {
  const out: string[] = [];
  const at = `MWM workflow ${w.name}`;
  if (!w.name) out.push(`${at}: name is required`);
  if (!w.version) out.push(`${at}: version is required`);
  if (!MIG_AE_TITLE.test(w.informatics_gateway?.ae_title ?? '')) out.push(`${at}: informatics_gateway.ae_title "${w.informatics_gateway?.ae_title}" must be 1-15 of A-Z a-z 0-9 _ -`);
  if (!w.tasks?.length) out.push(`${at}: it has no tasks`);
  const ids = new Set<string>();
  for (const t of w.tasks ?? []) {
    if (!MWM_TASK_ID.test(t.id)) out.push(`${at}: task id "${t.id}" must match ^[a-zA-Z0-9-_]+$`);
    // MWM's Argo plug-in labels the Workflow with md-task-id (Strings.cs TaskIdLabelSelectorName).
    if (t.type === 'argo' && (t.id.length > 63 || !LABEL_VALUE.test(t.id))) out.push(`${at}: task id "${t.id}" becomes the label md-task-id, which Kubernetes limits to 63 characters, alphanumeric at both ends`);
    if (ids.has(t.id)) out.push(`${at}: task id "${t.id}" is used twice`);
    ids.add(t.id);
    if (t.type !== 'router' && !(t.artifacts?.input?.length ?? 0)) out.push(`${at}: task ${t.id} (${t.type}) has no input artifacts`);
    for (const d of t.export_destinations ?? []) {
      if (!w.informatics_gateway.export_destinations.includes(d.name)) out.push(`${at}: task ${t.id} exports to ${d.name}, which informatics_gateway.export_destinations does not list`);
    }
    if (t.type === 'export' && (t.artifacts?.output?.length ?? 0)) out.push(`${at}: export task ${t.id} must not list output artifacts`);
    if (t.type === 'argo') {
      const args = t.args ?? {};
      if (!args.workflow_template_name) out.push(`${at}: argo task ${t.id} needs args.workflow_template_name`);
      for (const k of Object.keys(args)) if (!MWM_ARGO_ARGS.includes(k)) out.push(`${at}: argo task ${t.id} has args.${k}, which MWM's Argo plug-in does not read (it reads ${MWM_ARGO_ARGS.join(', ')})`);
    }
  }
  for (const t of w.tasks ?? []) for (const d of t.task_destinations ?? []) if (!ids.has(d.name)) out.push(`${at}: task ${t.id} goes on to ${d.name}, which is not a task`);
  return out;
}

/** MIG's rules for its configuration payloads, as messages. */
export function migProblems(ae: MigAe[], sources: MigSource[], destinations: MigDestination[]): string[] {
  const out: string[] = [];
  const title = (what: string, t: string) => (MIG_AE_TITLE.test(t) ? [] : [`MIG ${what}: AE title "${t}" must be 1-15 of A-Z a-z 0-9 _ - (use --rename "${t}=NEW")`]);
  const names = new Set<string>();
  for (const a of ae) {
    out.push(...title(`AE ${a.name}`, a.aeTitle));
    if (!MIG_GROUPING.includes(a.grouping)) out.push(`MIG AE ${a.name}: grouping ${a.grouping} must be 0010,0020 (patient), 0020,000D (study) or 0020,000E (series)`);
    if (!(Number.isInteger(a.timeout) && a.timeout >= 0)) out.push(`MIG AE ${a.name}: timeout must be a whole number of seconds ≥ 0`);
    if (names.has(a.aeTitle)) out.push(`MIG AE ${a.name}: AE title ${a.aeTitle} is used twice`);
    names.add(a.aeTitle);
  }
  const sourceNames = new Set<string>();
  for (const s of sources) {
    if (sourceNames.has(s.name)) out.push(`MIG source ${s.name}: the name is used twice (MIG refuses the second with 409)`);
    sourceNames.add(s.name);
    out.push(...title(`source ${s.name}`, s.aeTitle));
    if (!migHostValid(s.hostIp)) out.push(`MIG source ${s.name}: hostIp "${s.hostIp}" is not an IPv4 address or host name (MIG's IsValidHostNameIp takes no IPv6; give the source a host name or its IPv4 address)`);
  }
  for (const d of destinations) {
    out.push(...title(`destination ${d.name}`, d.aeTitle));
    if (!migHostValid(d.hostIp)) out.push(`MIG destination ${d.name}: hostIp "${d.hostIp}" is not an IPv4 address or host name (MIG's IsValidHostNameIp takes no IPv6; use a host name or its IPv4 address)`);
    if (!(Number.isInteger(d.port) && d.port >= 1 && d.port <= 65535)) out.push(`MIG destination ${d.name}: port ${d.port} must be 1-65535`);
  }
  return out;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9-_]+/g, '-');
/** A task id that fits the md-task-id label (63, alphanumeric at both ends): long ones keep 52 characters and a hash. */
const taskId = (id: string): string => {
  const t = id.replace(/^[^a-z0-9]+/, '');
  return t.length <= 63 ? t : `${t.slice(0, 52).replace(/[^a-z0-9]+$/, '')}-${createHash('sha256').update(id).digest('hex').slice(0, 10)}`;
};

/**
 * The export of the workflows mapped to Clara AE titles (or the named ones).
 * templateName maps a workflow's name to its WorkflowTemplate (engine argo).
 */
export function exportMonai(opts: { values: Values; config: DicomConfig; only?: string[]; renames?: Map<string, string>; namespace: string; serverUrl?: string; templateName: (workflowName: string) => string }): MonaiExport {
  const { values, config } = opts;
  const rename = (t: string) => opts.renames?.get(t) ?? t;
  const wfs = workflowsOf(values);
  const stages = stagesOf(values);
  const mappings = config.workflows ?? [];
  const report: string[] = [];
  const problems: string[] = [];
  const wanted = opts.only?.length
    ? opts.only.map((ref) => {
        const hit = Object.entries(wfs).find(([id, w]) => id === ref || w?.name === ref);
        if (!hit) problems.push(`no workflow "${ref}"`);
        return hit?.[0];
      })
    : [...new Set(mappings.map((m) => m.workflow))];
  const aeRules = new Map((config.dicom.scp['ae-titles'] ?? []).map((a) => [a['ae-title'], a]));
  // MIG keys a source by its name (a second of one name is refused, 409): one AE title on two hosts gets two names.
  const sourceNames = new Set<string>();
  const sources: MigSource[] = (config.dicom.scp.sources ?? []).map((s) => {
    const aeTitle = rename(s['ae-title']);
    let name = aeTitle;
    if (sourceNames.has(name)) {
      name = `${aeTitle}-${slug(s['host-ip'])}`;
      report.push(`source ${aeTitle} at ${s['host-ip']}: MIG names sources uniquely, so this one is named ${name} (its AE title stays ${aeTitle})`);
    }
    sourceNames.add(name);
    return { name, aeTitle, hostIp: s['host-ip'] };
  });
  const destinations: MigDestination[] = (config.dicom.scu.destinations ?? []).map((d) => ({ name: d.name, aeTitle: rename(d['ae-title']), hostIp: d['host-ip'], port: d.port }));
  const aeByTitle = new Map<string, MigAe>();
  const workflows: MonaiExport['workflows'] = [];
  for (const id of wanted) {
    if (!id) continue;
    const wf = wfs[id] as WorkflowSpec;
    const mapped = mappings.filter((m) => m.workflow === id);
    if (!mapped.length) {
      problems.push(`workflow ${wf.name} is mapped to no Clara AE title: MWM triggers a workflow by the AE title that received the study (map it: clara-wf dicom map <AE> --workflow ${wf.name})`);
      continue;
    }
    for (const s of wf.stages) if (MWM_RESERVED_TEMPLATES.includes(s)) problems.push(`workflow ${wf.name}: stage ${s} has the name of a template MWM's Argo plug-in adds to every Workflow (${MWM_RESERVED_TEMPLATES.join(', ')}); rename the stage`);
    const template = opts.templateName(wf.name);
    const timeoutSeconds = wf.stages.reduce((n, s) => n + Number(stages[s]?.timeout ?? 0), 0);
    const art = monaiArtifacts(wf, values, id);
    // One MWM workflow per AE title it is mapped to: an MWM workflow names one informatics_gateway.ae_title.
    mapped.forEach((mapping, k) => {
      const claraAe = mapping['clara-ae-title'];
      const ae = rename(claraAe);
      const rules = aeRules.get(claraAe);
      const grouping = rules?.grouping ?? '0020,000D';
      if (rules?.trigger === 'release') report.push(`AE ${claraAe}: trigger "release" (start at the association's release) has no MIG equivalent; MIG waits timeout seconds after the last instance`);
      // workflows stays empty: MWM assigns workflow IDs when they are registered, and
      // starts every workflow whose informatics_gateway.ae_title is this AE title.
      const entry = aeByTitle.get(ae) ?? { name: slug(ae), aeTitle: ae, grouping, timeout: rules?.timeout ?? 5, workflows: [], ...(rules?.['ignored-sop-classes']?.length ? { ignoredSopClasses: rules['ignored-sop-classes'] } : {}) };
      aeByTitle.set(ae, entry);
      const name = k === 0 ? wf.name : `${wf.name}-${slug(ae)}`;
      if (k > 0) report.push(`workflow ${wf.name} is mapped to ${mapped.length} AE titles; an MWM workflow has one, so it is exported once per AE title (${name} for ${ae})`);
      const argoId = taskId(`${slug(name)}-argo`);
      const dest = mapping['destination-name'];
      const exportId = `export-${slug(dest ?? '')}`;
      const tasks: MwmTask[] = [
        {
          id: argoId,
          description: `Clara workflow ${wf.name} (${id}): ${wf.stages.join(' → ')}, as the Argo WorkflowTemplate ${template}`,
          type: 'argo',
          timeout_minutes: Math.max(1, Math.ceil(timeoutSeconds / 60)),
          args: { workflow_template_name: template, namespace: opts.namespace, ...(opts.serverUrl ? { server_url: opts.serverUrl } : {}), timeoutSeconds: String(timeoutSeconds) },
          artifacts: { input: [{ name: 'input-dicom', value: '{{ context.input.dicom }}', mandatory: true }], output: art.outputs.map((o) => ({ name: o.name, mandatory: true })) },
          ...(dest ? { task_destinations: [{ name: exportId }] } : {}),
        },
      ];
      if (dest) {
        tasks.push({
          id: exportId,
          description: `Send the results to ${dest}`,
          type: 'export',
          export_destinations: [{ name: dest }],
          artifacts: { input: art.outputs.map((o) => ({ name: o.name, value: `{{ context.executions.${argoId}.artifacts.${o.name} }}`, mandatory: true })) },
        });
      } else report.push(`workflow ${name}: its mapping names no destination, so the MWM workflow has no export task`);
      const workflow: MwmWorkflow = {
        name,
        version: '1.0.0',
        description: wf.description ?? `Exported by clara-wf from Clara workflow ${wf.name} (${id})`,
        informatics_gateway: { ae_title: ae, data_origins: [...new Set(sources.map((s) => s.aeTitle))], export_destinations: dest ? [dest] : [] },
        tasks,
      };
      problems.push(...mwmProblems(workflow));
      workflows.push({ file: `${slug(name)}.json`, workflow, id, template });
    });
  }
  for (const m of config['pipeline-mappings'] ?? []) report.push(`pipeline mapping ${m.name} (${m['clara-ae-title']} → Clara pipeline ${m['pipeline-id']}): Clara pipelines do not run on MONAI Deploy; import the pipeline as a workflow first (clara-wf pipeline import)`);
  report.push(`reject-unknown-sources: ${config.dicom.scp['reject-unknown-sources'] ?? true}: not part of MIG's REST configuration; set InformaticsGateway.dicom.scp.rejectUnknownSources in MIG's appsettings.json`);
  if (config.dicom.scp['max-associations'] !== undefined) report.push(`max-associations ${config.dicom.scp['max-associations']}: MIG sets its association limit in its appsettings.json (InformaticsGateway.dicom.scp.maximumNumberOfAssociations), not through the REST API`);
  if (config.dicom.scp.port !== 104) report.push(`SCP port ${config.dicom.scp.port}: MIG's SCP port is in its appsettings.json (InformaticsGateway.dicom.scp.port)`);
  const ae = [...aeByTitle.values()];
  problems.push(...migProblems(ae, sources, destinations));
  for (const [from, to] of opts.renames ?? []) report.push(`AE title ${from} exported as ${to} (--rename)`);
  if (workflows.length) report.push("stage resources: each stage's CPU, memory and GPU are in its WorkflowTemplate container; MWM's cpu / memory / gpu_required task args (ArgoParameters.cs) would put one limit on every stage, so they are not set");
  if (workflows.length) report.push("stage folders: each Argo run gets its own claim (volumeClaimTemplate) for the stages' folders; MWM's storage (MinIO) carries only the study in (input-dicom, at every folder a stage reads the payload from) and the results out (every output of every end stage), so intermediate folders are not kept after the run as Clara's payloads were");
  return { workflows, ae, sources, destinations, report, problems };
}

/** The files export monai writes: relative path → text (JSON pretty-printed, stable key order). */
export function monaiFiles(x: MonaiExport, templates: Map<string, string>, migUrl: string): Map<string, string> {
  const files = new Map<string, string>();
  const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
  for (const w of x.workflows) files.set(`mwm/${w.file}`, json(w.workflow));
  files.set('mig/ae.json', json(x.ae));
  files.set('mig/source.json', json(x.sources));
  files.set('mig/destination.json', json(x.destinations));
  for (const [name, text] of templates) files.set(`argo/${name}.yaml`, text);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const post = (what: string, body: unknown) => `curl --fail --location --request POST "$MIG_URL/config/${what}" --header 'Content-Type: application/json' --data-raw ${q(JSON.stringify(body))}`;
  files.set(
    'mig/apply.sh',
    [
      '#!/bin/sh',
      '# Generated by clara-wf export monai. Applies the MONAI Deploy Informatics Gateway',
      '# configuration (docs/api/rest/config.md): sources, destinations, then AE titles.',
      '# Review it, then run it: MIG_URL=http://mig:5000 sh mig/apply.sh',
      'set -eu',
      `MIG_URL="\${MIG_URL:-${migUrl}}"`,
      ...x.sources.map((s) => post('source', s)),
      ...x.destinations.map((d) => post('destination', d)),
      ...x.ae.map((a) => post('ae', a)),
      '',
    ].join('\n'),
  );
  files.set('REPORT.md', ['# What has no MONAI Deploy equivalent', '', ...(x.report.length ? x.report.map((r) => `- ${r}`) : ['- nothing']), ''].join('\n'));
  return files;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface ArgoTemplateDoc {
  kind: string;
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: { arguments?: { parameters?: { name: string; value?: string }[] }; templates: any[]; [k: string]: unknown };
}

/**
 * What MWM carries through its storage for one workflow: the study in, at
 * every folder a stage reads the job's payload from (the first stage's input,
 * and any later input with no "from"), and the results out, from every output
 * of every end stage (one no other stage waits on or reads from).
 */
export function monaiArtifacts(wf: WorkflowSpec, values: Values, id = ''): { inputs: { stage: string; path: string }[]; outputs: { stage: string; name: string; path: string }[] } {
  const specs = stagesOf(values);
  const payload = wf.ioFolders[0];
  const inputs: { stage: string; path: string }[] = [];
  const ends: { stage: string; mounts: StageMount[] }[] = [];
  const needed = new Set([...stageDependencies(values, wf).values()].flat());
  wf.stages.forEach((s, i) => {
    const mounts = stageMounts(wf, i, specs, id);
    for (const m of mounts) if (m.role === 'input' && m.folder === payload) inputs.push({ stage: s, path: m.path });
    if (!needed.has(s)) ends.push({ stage: s, mounts });
  });
  const outs = ends.flatMap(({ stage, mounts }) => mounts.filter((m) => m.role === 'output').map((m) => ({ stage, out: m.outputs?.[0] ?? 'output', path: m.path })));
  const outputs = outs.map((o) => ({ stage: o.stage, name: outs.length === 1 ? 'output' : `output-${o.stage}-${o.out}`.replace(/[^A-Za-z0-9_-]+/g, '-'), path: o.path }));
  return { inputs, outputs };
}

/**
 * The engine argo WorkflowTemplate as MWM runs it. MWM's Argo plug-in
 * (ArgoPlugin.cs) copies the template's templates and top-level fields into a
 * Workflow of its own and gives each container template's input and output
 * artifacts, matched by name, its storage (monaiArtifacts says which). The
 * input artifacts are optional: `argo lint` and `argo template create` refuse
 * an input artifact with neither a value nor a location, and only MWM gives it
 * one. MWM passes no parameters, so "job" gets a value (each run has its own
 * claim, so one name serves every run).
 */
export function forMonai(doc: ArgoTemplateDoc, wf: WorkflowSpec, values: Values, id = ''): ArgoTemplateDoc {
  const out = structuredClone(doc);
  out.spec.arguments = { parameters: [{ name: 'job', value: 'monai' }] };
  const art = monaiArtifacts(wf, values, id);
  for (const t of out.spec.templates) {
    const ins = art.inputs.filter((a) => a.stage === t.name);
    const outs = art.outputs.filter((a) => a.stage === t.name);
    if (ins.length) {
      // The artifact is placed at the folder: the volume's mount there would clash with it.
      t.inputs = { artifacts: ins.map((a) => ({ name: 'input-dicom', path: a.path, optional: true })) };
      t.container.volumeMounts = (t.container.volumeMounts ?? []).filter((m: any) => !ins.some((a) => a.path === m.mountPath));
    }
    if (outs.length) t.outputs = { artifacts: outs.map((a) => ({ name: a.name, path: a.path })) };
  }
  return out;
}
