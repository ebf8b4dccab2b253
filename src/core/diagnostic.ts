// One Diagnostic type for every check in clara-wf (errors as values, with a position).
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Stable, documented code, e.g. UNKNOWN_KEY. */
  code: string;
  /** What is wrong and how to fix it. */
  message: string;
  /** Extra advice, e.g. "did you mean ...". Shown on its own line; folded into message in JSON. */
  hint?: string;
  file: string;
  /** 1-based; 0 when the problem has no place in a file. */
  line: number;
  column: number;
  /** JSON pointer of the offending node ("" for the document). */
  path: string;
}

/** A diagnostic before it has a place: rules produce these, the locator fills in line/column. */
export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  hint?: string;
  path: string;
  /** Point at the key of `path` rather than its value (unknown keys, bad names). */
  at?: 'key' | 'value';
  /** A known 0-based line, for problems found by the line scanner (markers). */
  line?: number;
}

export const hasErrors = (ds: readonly { severity: Severity }[]): boolean => ds.some((d) => d.severity === 'error');

export function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code);
}

/** JSON pointer helpers (RFC 6901). */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
export function pointerSegments(p: string): string[] {
  if (p === '') return [];
  return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Plain JSON shape printed by `--json` (exactly the documented keys). */
export function toJson(d: Diagnostic): Record<string, unknown> {
  return {
    severity: d.severity,
    code: d.code,
    message: d.hint ? `${d.message}; ${d.hint}` : d.message,
    file: d.file,
    line: d.line,
    column: d.column,
    path: d.path,
  };
}

export interface FormatOptions {
  color: boolean;
  /** Source text by file name, for code frames. */
  sources?: ReadonlyMap<string, string>;
}

const paint = (on: boolean, code: string, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** Human output: `file:line:col severity code message`, a code frame, and the hint. */
export function formatDiagnostic(d: Diagnostic, opts: FormatOptions): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  const sev = d.severity === 'error' ? paint(opts.color, '31;1', 'error') : paint(opts.color, '33;1', 'warning');
  const out = [`${paint(opts.color, '1', where)} ${sev} ${paint(opts.color, '2', d.code)} ${d.message}`];
  const src = opts.sources?.get(d.file);
  if (src !== undefined && d.line > 0) out.push(...codeFrame(src, d.line, d.column, opts.color));
  if (d.hint) out.push(`  ${paint(opts.color, '36', 'hint:')} ${d.hint}`);
  return out.join('\n');
}

/** Two lines of context before the offending line, and a caret under the column. */
export function codeFrame(text: string, line: number, column: number, color = false): string[] {
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, line - 2);
  const width = String(line).length;
  const out: string[] = [];
  for (let n = first; n <= Math.min(line, lines.length); n++) {
    const mark = n === line ? '>' : ' ';
    out.push(`  ${mark} ${String(n).padStart(width)} | ${lines[n - 1] ?? ''}`);
  }
  const lineText = lines[line - 1] ?? '';
  const pad = lineText.slice(0, Math.max(0, column - 1)).replace(/[^\t]/g, ' ');
  out.push(`    ${' '.repeat(width)} | ${pad}${paint(color, '31;1', '^')}`);
  return out;
}

export function summary(ds: readonly Diagnostic[]): string {
  const e = ds.filter((d) => d.severity === 'error').length;
  const w = ds.length - e;
  return `${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}`;
}
