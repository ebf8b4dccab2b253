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

export function checkDocument(text: string, file: string, validate: Validator, rules: (data: unknown, yaml: ParsedYaml) => Finding[]): DocumentCheck {
  const parsed = parseYaml(text, file);
  if (!parsed.ok) return { yaml: null, data: null, diagnostics: [parsed.diagnostic], unparsable: true, ok: false };
  const { yaml } = parsed;
  // An empty document is an empty mapping to Helm.
  const data = yaml.data ?? {};
  const findings: Finding[] = [];
  if (!validate(data)) {
    findings.push(
      ...schemaFindings(validate.errors ?? [], (p) => {
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
  findings.push(...rules(data, yaml));
  const diagnostics = findings.map((f) => locate(f, yaml, file)).sort(byPosition);
  return { yaml, data, diagnostics, unparsable: false, ok: !hasErrors(diagnostics) };
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
