// values.yaml → diagnostics: YAML (as Helm reads it), JSON Schema, markers, rules.
import validateSchema from '../../generated/validate-values.js';
import { byPosition, hasErrors, pointer, type Diagnostic, type Finding } from './diagnostic.js';
import { locate } from './locate.js';
import { fenceFindings, scanMarkers, type StageFence } from './markers.js';
import type { Values } from './model.js';
import { stageRules } from './rules/stage-rules.js';
import { workflowRules } from './rules/workflow-rules.js';
import { schemaFindings } from './schema-errors.js';
import { parseYaml, type ParsedYaml } from './yaml-source.js';

export interface ValuesCheck {
  /** Parsed data; null when the text is not YAML. */
  values: Values | null;
  yaml: ParsedYaml | null;
  fences: StageFence[];
  diagnostics: Diagnostic[];
  /** The file could not be parsed (exit 2 rather than 1). */
  unparsable: boolean;
  ok: boolean;
}

/**
 * Parse and scan markers only: enough to plan an edit (the result is then
 * fully checked). `diagnostics` holds only a parse error, if any.
 */
export function readValues(text: string, file: string): ValuesCheck {
  const parsed = parseYaml(text, file);
  if (!parsed.ok) {
    return { values: null, yaml: null, fences: [], diagnostics: [parsed.diagnostic], unparsable: true, ok: false };
  }
  const data = parsed.yaml.data ?? {};
  return { values: data as Values, yaml: parsed.yaml, fences: scanMarkers(text.split('\n')).fences, diagnostics: [], unparsable: false, ok: true };
}

export function checkValues(text: string, file: string): ValuesCheck {
  const parsed = parseYaml(text, file);
  if (!parsed.ok) {
    return { values: null, yaml: null, fences: [], diagnostics: [parsed.diagnostic], unparsable: true, ok: false };
  }
  const { yaml } = parsed;
  // An empty document is an empty mapping to Helm.
  const data = yaml.data ?? {};
  const findings: Finding[] = [];

  if (!validateSchema(data)) {
    findings.push(
      ...schemaFindings(validateSchema.errors ?? [], (p) => {
        const n = yaml.node(p);
        return n?.kind === 'scalar' ? { raw: n.raw ?? '', plain: n.plain ?? false } : undefined;
      }),
    );
  }
  for (const d of yaml.duplicates()) {
    findings.push({
      severity: 'error',
      code: 'DUPLICATE_KEY',
      path: d.path + pointer(d.key),
      message: `duplicate key "${d.key}"${d.path ? ` in ${d.path.slice(1).split('/').join('.')}` : ''}`,
      hint: 'Helm keeps only one of them; remove or rename the repeat',
      line: yaml.lines.lineOf(d.start),
    });
  }

  const lines = text.split('\n');
  const scan = scanMarkers(lines);
  findings.push(...scan.findings);
  const stageKeyLines = new Map<string, number>();
  const stagesNode = yaml.node('/stages');
  for (const k of stagesNode?.keys ?? []) stageKeyLines.set(k.key, yaml.lines.lineOf(k.start));
  findings.push(...fenceFindings(scan.fences, stageKeyLines));

  findings.push(...stageRules(data), ...workflowRules(data));

  const diagnostics = findings.map((f) => locate(f, yaml, file)).sort(byPosition);
  return {
    values: (data ?? null) as Values | null,
    yaml,
    fences: scan.fences,
    diagnostics,
    unparsable: false,
    ok: !hasErrors(diagnostics),
  };
}
