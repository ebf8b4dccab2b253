// The values helm will install (values.yaml + -f overlays + --set), checked
// with the same schema and rules as values.yaml alone. Each diagnostic points
// at whatever supplied the offending value: the overlay's line, the --set
// argument, or values.yaml.
import validateSchema from '../../generated/validate-values.js';
import { byPosition, hasErrors, pointerSegments, type Diagnostic, type Finding } from './diagnostic.js';
import { applySet, coalesce, mergeInto, SetSyntaxError, supplies, type SetKind } from './helm-values.js';
import { locate } from './locate.js';
import type { Values } from './model.js';
import { platformRules } from './rules/platform-rules.js';
import { stageRules } from './rules/stage-rules.js';
import { workflowRules } from './rules/workflow-rules.js';
import { schemaFindings } from './schema-errors.js';
import { parseYaml, type ParsedYaml } from './yaml-source.js';

export type ValuesLayer = { kind: 'file'; file: string; text: string } | { kind: SetKind; arg: string };

export interface MergedCheck {
  values: Values | null;
  diagnostics: Diagnostic[];
  /** Texts the diagnostics point into, for code frames (a --set argument is its own one-line text). */
  sources: Map<string, string>;
  /** An overlay is not YAML, or a --set argument does not parse (exit 2). */
  unparsable: boolean;
  ok: boolean;
}

/** How a --set argument is shown as a diagnostic's file. */
export const setLabel = (kind: SetKind, arg: string) => `--${kind} ${arg}`;

export function checkMergedValues(base: { values: Values; yaml: ParsedYaml; file: string; text: string }, layers: readonly ValuesLayer[], readFile?: (path: string) => string): MergedCheck {
  const sources = new Map<string, string>([[base.file, base.text]]);
  const user: Record<string, unknown> = {};
  const own: { layer: ValuesLayer; data: Record<string, unknown>; yaml?: ParsedYaml }[] = [];
  const findings: { finding: Finding; at: number }[] = [];
  const files = layers.filter((l) => l.kind === 'file');
  // helm 3's order: every -f file, then --set-json, --set, --set-string, --set-file.
  const ordered = [...files, ...(['set-json', 'set', 'set-string', 'set-file'] as const).flatMap((k) => layers.filter((l) => l.kind === k))];
  for (const layer of ordered) {
    if (layer.kind === 'file') {
      sources.set(layer.file, layer.text);
      const parsed = parseYaml(layer.text, layer.file);
      if (!parsed.ok) return { values: null, diagnostics: [parsed.diagnostic], sources, unparsable: true, ok: false };
      const data = parsed.yaml.data ?? {};
      if (typeof data !== 'object' || Array.isArray(data)) {
        return { values: null, diagnostics: [{ severity: 'error', code: 'VALUES_NOT_MAPPING', message: `${layer.file} must be a mapping of values (as values.yaml is), not a ${Array.isArray(data) ? 'list' : typeof data}`, file: layer.file, line: 1, column: 1, path: '' }], sources, unparsable: true, ok: false };
      }
      own.push({ layer, data: data as Record<string, unknown>, yaml: parsed.yaml });
      for (const d of parsed.yaml.duplicates()) {
        findings.push({ finding: { severity: 'error', code: 'DUPLICATE_KEY', path: d.path, message: `duplicate key "${d.key}"`, hint: 'helm keeps only one of them; remove or rename the repeat', line: parsed.yaml.lines.lineOf(d.start) }, at: own.length - 1 });
      }
      mergeInto(user, structuredClone(data) as Record<string, unknown>);
    } else {
      const label = setLabel(layer.kind, layer.arg);
      sources.set(label, layer.arg);
      const data: Record<string, unknown> = {};
      try {
        applySet(data, layer.arg, layer.kind, readFile);
        applySet(user, layer.arg, layer.kind, readFile);
      } catch (e) {
        if (!(e instanceof SetSyntaxError)) throw e;
        return { values: null, diagnostics: [{ severity: 'error', code: 'SET_SYNTAX', message: `${label}: ${e.message}`, hint: e.hint ?? 'helm syntax: key.path=value, list[0]=value, list={a,b}; a backslash escapes , . = [', file: label, line: 1, column: 1, path: '' }], sources, unparsable: true, ok: false };
      }
      own.push({ layer, data });
    }
  }
  const merged = coalesce(base.values as Record<string, unknown>, user) as Values;
  const origin = (path: string) => {
    const segs = pointerSegments(path);
    for (let i = own.length - 1; i >= 0; i--) if (supplies((own[i] as (typeof own)[number]).data, segs)) return i;
    return -1;
  };
  const all: Finding[] = [];
  if (!validateSchema(merged)) {
    all.push(
      ...schemaFindings(validateSchema.errors ?? [], (p) => {
        const at = origin(p);
        const yaml = at < 0 ? base.yaml : own[at]?.yaml;
        const n = yaml?.node(p);
        return n?.kind === 'scalar' ? { raw: n.raw ?? '', plain: n.plain ?? false } : undefined;
      }),
    );
  }
  all.push(...stageRules(merged), ...workflowRules(merged), ...platformRules(merged));
  const diagnostics: Diagnostic[] = [];
  for (const { finding, at } of findings) diagnostics.push(locateIn(finding, own[at]));
  for (const f of all) {
    const at = origin(f.path);
    if (at < 0) {
      const { line, ...rest } = f;
      diagnostics.push(locate(line !== undefined ? f : rest, base.yaml, base.file));
    } else diagnostics.push(locateIn(f, own[at]));
  }
  diagnostics.sort(byPosition);
  return { values: merged, diagnostics, sources, unparsable: false, ok: !hasErrors(diagnostics) };
}

function locateIn(f: Finding, layer: { layer: ValuesLayer; yaml?: ParsedYaml } | undefined): Diagnostic {
  if (layer?.layer.kind === 'file' && layer.yaml) return locate(f, layer.yaml, layer.layer.file);
  const { at: _at, line: _line, ...rest } = f;
  const label = layer && layer.layer.kind !== 'file' ? setLabel(layer.layer.kind, layer.layer.arg) : '--set';
  // --set types its values (600 a number, true a boolean, null null); --set-string does not.
  const typedBySet = layer?.layer.kind === 'set' && f.code === 'WRONG_TYPE' && /must be a string/.test(f.message);
  const hint = typedBySet ? `--set types its values (600 is a number, true a boolean); --set-string ${pointerSegments(f.path).join('.')}=… keeps it a string` : rest.hint;
  return { ...rest, ...(hint ? { hint } : {}), file: label, line: 1, column: 1, message: `${f.message} (set by ${label})` };
}
