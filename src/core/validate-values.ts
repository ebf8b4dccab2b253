// values.yaml → diagnostics: YAML (as Helm reads it), JSON Schema, markers, rules.
import validateSchema from '../../generated/validate-values.js';
import type { Diagnostic } from './diagnostic.js';
import { checkDocument } from './check-document.js';
import { fenceFindings, scanMarkers, type StageFence } from './markers.js';
import type { Values } from './model.js';
import { platformRules } from './rules/platform-rules.js';
import { stageRules } from './rules/stage-rules.js';
import { workflowRules } from './rules/workflow-rules.js';
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
  let fences: StageFence[] = [];
  const doc = checkDocument(text, file, validateSchema, (data, yaml) => {
    const scan = scanMarkers(text.split('\n'));
    fences = scan.fences;
    const stageKeyLines = new Map<string, number>();
    for (const k of yaml.node('/stages')?.keys ?? []) stageKeyLines.set(k.key, yaml.lines.lineOf(k.start));
    return [...scan.findings, ...fenceFindings(scan.fences, stageKeyLines), ...stageRules(data), ...workflowRules(data), ...platformRules(data)];
  });
  return { values: doc.unparsable ? null : (doc.data as Values), yaml: doc.yaml, fences, diagnostics: doc.diagnostics, unparsable: doc.unparsable, ok: doc.ok };
}
