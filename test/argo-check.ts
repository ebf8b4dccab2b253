// Our semantic check of an Argo DAG WorkflowTemplate (what
// @kubernetes-models/argo-workflows does not check), shared by the tests.
/* eslint-disable @typescript-eslint/no-explicit-any */
/** The fields that give an Argo artifact a location (wfv1.ArtifactLocation), or a source. */
const ARTIFACT_LOCATIONS = ['s3', 'git', 'http', 'artifactory', 'hdfs', 'raw', 'oss', 'gcs', 'azure', 'from', 'fromExpression'];

/** Our semantic check of an Argo DAG template: what Argo would refuse or run wrongly, as messages. */
export function argoProblems(wt: any): string[] {
  const out: string[] = [];
  const templates = new Map<string, any>((wt.spec?.templates ?? []).map((t: any) => [t.name, t]));
  const entry = templates.get(wt.spec?.entrypoint);
  if (!entry) return [`entrypoint ${wt.spec?.entrypoint} is not a template`];
  const tasks: any[] = entry.dag?.tasks ?? [];
  const names = new Set(tasks.map((t) => t.name));
  if (names.size !== tasks.length) out.push('two tasks share a name');
  for (const t of tasks) {
    if (!templates.has(t.template)) out.push(`task ${t.name}: template ${t.template} does not exist`);
    for (const d of t.dependencies ?? []) if (!names.has(d)) out.push(`task ${t.name}: dependency ${d} is not a task`);
    // `argo lint` / `argo template create`: an input artifact the task does not pass needs a location or
    // optional: true (argo-workflows workflow/common/util.go, substituteArgs: "inputs.artifacts.%s was not supplied").
    const passed = new Set((t.arguments?.artifacts ?? []).map((a: any) => a.name));
    for (const a of templates.get(t.template)?.inputs?.artifacts ?? []) {
      const located = ARTIFACT_LOCATIONS.some((k) => a[k] !== undefined);
      if (!passed.has(a.name) && !a.optional && !located) out.push(`task ${t.name}: templates.${t.template}.inputs.artifacts.${a.name} was not supplied`);
    }
  }
  // No cycles (Kahn).
  const left = new Map(tasks.map((t) => [t.name, new Set<string>(t.dependencies ?? [])]));
  while (left.size) {
    const ready = [...left].filter(([, deps]) => [...deps].every((d) => !left.has(d)));
    if (!ready.length) {
      out.push(`the tasks ${[...left.keys()].join(', ')} form a cycle`);
      break;
    }
    for (const [n] of ready) left.delete(n);
  }
  return out;
}

