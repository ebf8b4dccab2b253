// The checking pipeline every YAML input goes through: parse (as Helm reads
// YAML), JSON Schema (precompiled), duplicate keys, the input's own rules, and
// positions for every finding.
import { byPosition, hasErrors, pointer, type Diagnostic, type Finding } from './diagnostic.js';
import { locate } from './locate.js';
import { schemaFindings, type SchemaError } from './schema-errors.js';
import { parseYaml, type ParsedYaml } from './yaml-source.js';

export type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

export interface DocumentCheck {
  yaml: ParsedYaml | null;
  /** The parsed data ({} for an empty document), or null when the text is not YAML. */
  data: unknown;
  diagnostics: Diagnostic[];
  unparsable: boolean;
  ok: boolean;
}

/**
 * Who reads the document, for the wording of YAML hazards. Helm (values.yaml)
 * reads YAML 1.1 and its typing is final: an unquoted 18.04 where text is
 * expected is an error. A pipeline file is read by Clara, not by Helm: there
 * the same scalar is a warning, and clara-wf takes it as the text written.
 */
export interface DocumentReader {
  /** "Helm keeps only one of them" — who keeps which duplicate key. */
  duplicateHint: string;
  /** Unquoted YAML 1.1 numbers/booleans where the schema wants text: errors (Helm) or warnings read as written (Clara). */
  yaml11: 'error' | 'as-written';
  /** "a values file" — for the one-document rule. */
  fileKind?: string;
}
const HELM: DocumentReader = { duplicateHint: 'Helm keeps only one of them; remove or rename the repeat', yaml11: 'error' };

export function checkDocument(text: string, file: string, validate: Validator, rules: (data: unknown, yaml: ParsedYaml) => Finding[], reader: DocumentReader = HELM): DocumentCheck {
  const parsed = parseYaml(text, file, reader.fileKind);
  if (!parsed.ok) return { yaml: null, data: null, diagnostics: [parsed.diagnostic], unparsable: true, ok: false };
  const { yaml } = parsed;
  // An empty document is an empty mapping to Helm.
  let data = yaml.data ?? {};
  const findings: Finding[] = [];
  const scalar = (p: string) => {
    const n = yaml.node(p);
    return n?.kind === 'scalar' ? { raw: n.raw ?? '', plain: n.plain ?? false } : undefined;
  };
  if (!validate(data)) {
    let found = schemaFindings(validate.errors ?? [], scalar);
    if (reader.yaml11 === 'as-written' && found.some((f) => f.code === 'YAML11_NUMBER' || f.code === 'YAML11_BOOLEAN')) {
      // Read each such scalar as the text written, say so, and check again.
      data = structuredClone(data);
      const hazards = found.filter((f) => f.code === 'YAML11_NUMBER' || f.code === 'YAML11_BOOLEAN');
      for (const f of hazards) setAt(data, f.path, scalar(f.path)?.raw ?? '');
      findings.push(...hazards.map((f) => ({ ...f, severity: 'warning' as const, message: f.message.replace(/^(.*?): Helm reads the unquoted (\S+) as the (\w+) (.*), not the string "(.*)"$/, '$1: a YAML 1.1 reader (as Clara\'s may be) takes the unquoted $2 as the $3 $4; clara-wf reads it as the text "$5" written') })));
      found = validate(data) ? [] : schemaFindings(validate.errors ?? [], scalar);
    }
    findings.push(...found);
  }
  for (const d of yaml.duplicates()) {
    findings.push({
      severity: 'error',
      code: 'DUPLICATE_KEY',
      path: d.path + pointer(d.key),
      message: `duplicate key "${d.key}"${d.path ? ` in ${d.path.slice(1).split('/').join('.')}` : ''}`,
      hint: reader.duplicateHint,
      line: yaml.lines.lineOf(d.start),
    });
  }
  findings.push(...rules(data, yaml));
  const diagnostics = findings.map((f) => locate(f, yaml, file)).sort(byPosition);
  return { yaml, data, diagnostics, unparsable: false, ok: !hasErrors(diagnostics) };
}

/** Set the value at a JSON pointer (the parent exists: the pointer came from a schema error on it). */
function setAt(data: unknown, p: string, value: unknown): void {
  const keys = p.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = keys.pop();
  let at = data as Record<string, unknown>;
  for (const k of keys) at = at?.[k] as Record<string, unknown>;
  if (at && last !== undefined) at[last] = value;
}

/** A cycle in a directed graph of n nodes (as node indexes, first repeated last), or null. */
export function findCycle(n: number, edges: readonly [number, number][]): number[] | null {
  const next: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) if (a < n && b < n) next[a]?.push(b);
  const state = new Array<number>(n).fill(0);
  const stack: number[] = [];
  const visit = (v: number): number[] | null => {
    state[v] = 1;
    stack.push(v);
    for (const w of next[v] ?? []) {
      if (state[w] === 1) return [...stack.slice(stack.indexOf(w)), w];
      if (state[w] === 0) {
        const c = visit(w);
        if (c) return c;
      }
    }
    stack.pop();
    state[v] = 2;
    return null;
  };
  for (let v = 0; v < n; v++) {
    if (state[v] === 0) {
      const c = visit(v);
      if (c) return c;
    }
  }
  return null;
}
