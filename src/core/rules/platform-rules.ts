// Rules the systems we render for enforce, ported from their sources so that
// validate reports them at a values.yaml line before helm or a cluster does.
import { pointer, type Finding } from '../diagnostic.js';
import { stageDependencies } from '../graph.js';
import { stagesOf, workflowsOf, type Values, type WorkflowSpec } from '../model.js';
import { catalogEntry, catalogEntryBytes, resolveWorkflow } from '../workflow.js';
import { MWM_RESERVED_TEMPLATES } from '../monai.js';
import { estimateReleaseBytes, SECRET_MAX_BYTES } from '../release-size.js';

/** The WorkflowTemplate name part the chart derives from a workflow name (clara.workflowTemplateName). */
const workflowObjectName = (name: string): string => name.toLowerCase().replace(/[_.]/g, '-');

export function platformRules(values: unknown): Finding[] {
  const out: Finding[] = [];
  const v = (values ?? {}) as { engine?: unknown; volume?: { type?: unknown; pinToNode?: unknown; nodeSelector?: unknown } };
  const engine = v.engine ?? 'jobs';
  const volType = v.volume?.type ?? 'hostPath';
  const volumeAt = v.volume?.type !== undefined ? pointer('volume', 'type') : v.engine !== undefined ? pointer('engine') : '';

  // Two objects of one kind may not share a name in a namespace; the chart lowercases workflow names and writes "_" and "." as "-".
  const objects = new Map<string, string>();
  for (const [id, wf] of Object.entries(workflowsOf(values))) {
    if (typeof wf?.name !== 'string') continue;
    const key = workflowObjectName(wf.name);
    const prev = objects.get(key);
    if (prev !== undefined && prev !== wf.name) {
      out.push({ severity: 'error', code: 'WORKFLOW_OBJECT_NAME_DUPLICATE', path: pointer('workflows', id, 'name'), message: `workflow names "${prev}" and "${wf.name}" both become the object name …-${key} (names are lowercased, "_" and "." become "-"), so engine argo would render two WorkflowTemplates of one name`, hint: 'rename one of them' });
    } else if (prev === undefined) objects.set(key, wf.name);
  }

  // Templates MWM's Argo plug-in adds to every Workflow it submits (monai.ts MWM_RESERVED_TEMPLATES): export monai refuses a stage of one of these names.
  for (const name of Object.keys(stagesOf(values))) {
    if (MWM_RESERVED_TEMPLATES.includes(name)) out.push({ severity: 'warning', code: 'MWM_TEMPLATE_NAME_RESERVED', path: pointer('stages', name), at: 'key', message: `stage "${name}" has the name of a template MONAI Deploy's Argo plug-in adds to every Workflow, so export monai refuses it`, hint: 'rename the stage if the workflow is to run under MONAI Deploy' });
  }

  // Run mode (_guards.tpl): job.workflow names a workflow by UUID or name (clara.jobWorkflowId), and job.id is a DNS label.
  const job = (v as { job?: { workflow?: unknown; id?: unknown } }).job;
  if (job?.workflow) {
    const ref = String(job.workflow);
    if (!Object.entries(workflowsOf(values)).some(([id, wf]) => id === ref || String(wf?.name) === ref)) {
      out.push({ severity: 'error', code: 'JOB_WORKFLOW_UNKNOWN', path: pointer('job', 'workflow'), message: `job.workflow "${ref}" names no workflow in values (use its UUID or name)`, hint: 'clara-wf workflow list shows them' });
    }
    if (!/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/.test(String(job.id ?? ''))) {
      out.push({ severity: 'error', code: 'JOB_ID_INVALID', path: job.id === undefined ? pointer('job') : pointer('job', 'id'), message: `job.id "${String(job.id ?? '')}" must be a lowercase UUID or DNS label of at most 40 characters when job.workflow is set`, hint: 'clara-wf render --workflow <w> --job <id> sets both' });
    }
  }

  // templates/catalog.yaml: one workflow's resolved JSON must fit in one ConfigMap shard of catalog.maxBytes.
  const catalogMode = !((v as { job?: { workflow?: unknown } }).job?.workflow);
  const maxBytes = Number((v as { catalog?: { maxBytes?: unknown } }).catalog?.maxBytes ?? 1048576) || 1048576;
  if (catalogMode) {
    const stages = stagesOf(values);
    for (const [id, wf] of Object.entries(workflowsOf(values))) {
      // Only a workflow that resolves (the other rules report the rest).
      if (!wf || !Array.isArray(wf.stages) || !wf.stages.every((s) => typeof s === 'string' && stages[s]) || !Array.isArray(wf.ioFolders) || !Array.isArray(wf.waitLocks) || !Array.isArray(wf.args)) continue;
      if (wf.inputs !== undefined && (!Array.isArray(wf.inputs) || wf.inputs.some((e) => Array.isArray(e) && e.some((x) => typeof x?.path !== 'string')))) continue;
      const bytes = catalogEntryBytes(id, catalogEntry(resolveWorkflow(values as Values, id, wf as WorkflowSpec)));
      if (bytes > maxBytes) {
        out.push({ severity: 'error', code: 'CATALOG_ENTRY_TOO_LARGE', path: pointer('workflows', id), at: 'key', message: `workflow ${id} (${wf.name}) resolves to ${bytes} bytes, more than a ConfigMap holds (catalog.maxBytes ${maxBytes}), so helm's catalog guard fails`, hint: "split its stages' specs or the workflow, or raise catalog.maxBytes (at most 1048576, the API server's limit)" });
      }
    }
  }

  const gateway = (v as { gateway?: { enabled?: unknown } }).gateway;
  if (catalogMode && gateway?.enabled === true) {
    const gatewayAt = pointer('gateway', 'enabled');
    // The gateway writes each study into the job folder before the run starts (templates/gateway.yaml).
    if (volType === 'volumeClaimTemplate') {
      out.push({ severity: 'error', code: 'GATEWAY_VOLUME_PER_RUN', path: gatewayAt, message: 'gateway.enabled with volume.type volumeClaimTemplate: each Argo run gets a new claim, created after the gateway has written the study, which it never sees', hint: 'use volume.type: persistentVolumeClaim (a ReadWriteMany claim the gateway and every stage pod mount)' });
    }
    const selector = v.volume?.nodeSelector;
    if (volType === 'hostPath' && !(selector && typeof selector === 'object' && Object.keys(selector).length > 0)) {
      out.push({ severity: 'error', code: 'GATEWAY_HOSTPATH_UNPINNED', path: gatewayAt, message: "gateway.enabled with a hostPath volume: the gateway writes job folders on its own node's disk, which stage pods see only on that node (the chart fails unless the cluster has exactly one node)", hint: 'pin the gateway and the stages with volume.nodeSelector (kubernetes.io/hostname: <node>), or use volume.type: persistentVolumeClaim (ReadWriteMany)' });
    }
  }

  if (engine === 'jobs' && volType === 'volumeClaimTemplate') {
    out.push({ severity: 'error', code: 'VOLUME_TYPE_ENGINE', path: volumeAt, message: 'volume.type volumeClaimTemplate needs engine argo (Argo creates a claim per run); engine jobs has nothing to create it', hint: 'use a ReadWriteMany persistentVolumeClaim or hostPath, or set engine: argo' });
  }

  if (engine === 'argo') {
    // Pod affinity cannot keep an Argo run on one node: kube-scheduler lets a pod that
    // matches its own term go anywhere when no matching pod runs ("the first pod in a
    // series", kubernetes pkg/scheduler/framework/plugins/interpodaffinity/filtering.go,
    // satisfyPodAffinity), and Argo starts each stage after the previous one finished.
    const selector = v.volume?.nodeSelector;
    const pinned = selector && typeof selector === 'object' && Object.keys(selector).length > 0;
    if (volType === 'hostPath' && v.volume?.pinToNode !== false && !pinned) {
      out.push({ severity: 'error', code: 'ARGO_HOSTPATH_UNPINNED', path: volumeAt, message: "engine argo with a hostPath volume: the stages of a run start one after another, and nothing keeps them on the node that holds the run's folder, so a later stage can find it empty", hint: 'set volume.nodeSelector (e.g. kubernetes.io/hostname: <node>), or use a persistentVolumeClaim or volumeClaimTemplate' });
    }
    // argoproj/argo-workflows workflow/validate/validate.go, validateDAG: "name cannot begin
    // with a digit when using either 'depends' or 'dependencies'".
    for (const [id, wf] of Object.entries(workflowsOf(values))) {
      // Only a workflow well-formed enough to have a graph; the other rules report the rest.
      if (!hasGraph(wf)) continue;
      const deps = stageDependencies(values as Values, wf);
      wf.stages.forEach((s, i) => {
        if (/^[0-9]/.test(s) && deps.get(s)?.length) out.push({ severity: 'error', code: 'ARGO_TASK_NAME_DIGIT', path: pointer('workflows', id, 'stages', i), message: `stage "${s}" starts with a digit: Argo refuses it as the name of a DAG task that depends on another`, hint: `rename the stage (e.g. "s${s}")` });
      });
    }
  }
  const estimate = estimateReleaseBytes(values, String(engine));
  if (estimate >= 0.8 * SECRET_MAX_BYTES) {
    const mib = (n: number) => `${(n / SECRET_MAX_BYTES).toFixed(2)} MiB`;
    const over = estimate >= SECRET_MAX_BYTES;
    out.push({
      severity: over ? 'error' : 'warning',
      code: 'RELEASE_TOO_LARGE',
      path: pointer('workflows'),
      at: 'key',
      message: `helm keeps each release in one Secret, and the API server refuses one over 1 MiB; with ${Object.keys(workflowsOf(values)).length} workflows and engine ${String(engine)} this release's record is estimated at ${mib(estimate)}${over ? '' : ', near the limit'}`,
      hint: `split the workflows over several releases (each its own values file)${engine === 'argo' ? ', or use engine jobs (about half the size)' : ''}`,
    });
  }
  return out;
}

function hasGraph(wf: unknown): wf is WorkflowSpec {
  const w = wf as Partial<WorkflowSpec> | null;
  const strings = (a: unknown) => Array.isArray(a) && a.every((x) => typeof x === 'string');
  return !!w && strings(w.stages) && Array.isArray(w.waitLocks) && Array.isArray(w.ioFolders) && (w.inputs === undefined || (Array.isArray(w.inputs) && w.inputs.every((e) => e === '' || (Array.isArray(e) && e.every((x) => x && typeof x === 'object')))));
}
