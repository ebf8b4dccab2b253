// Line-level view of a text file that keeps its bytes: line endings (LF or
// CRLF), a missing final newline, every comment and blank line.
export interface TextLines {
  /** Lines without their "\n"; a CRLF file keeps the "\r" on each line. */
  lines: string[];
  eol: '\n' | '\r\n';
}

export function splitLines(text: string): TextLines {
  const eol = /\r\n/.test(text.slice(0, (text.indexOf('\n') + 1) || text.length)) ? '\r\n' : '\n';
  return { lines: text.split('\n'), eol };
}

export function joinLines(t: TextLines): string {
  return t.lines.join('\n');
}

/** Lines in the file's own line-ending style (CRLF files get "\r" appended). */
export function withEol(t: TextLines, lines: readonly string[]): string[] {
  return t.eol === '\r\n' ? lines.map((l) => l + '\r') : [...lines];
}

export const stripCr = (l: string): string => (l.endsWith('\r') ? l.slice(0, -1) : l);
export const isBlank = (l: string): boolean => stripCr(l).trim() === '';
export const isComment = (l: string): boolean => stripCr(l).trimStart().startsWith('#');
export const indentOf = (l: string): number => /^[ ]*/.exec(l)?.[0].length ?? 0;

/**
 * The lines of a mapping entry whose key is on `keyLine`: every following line
 * indented deeper than the key, up to the last such non-blank line. Comment
 * lines at or left of the key's column belong to it only when deeper content follows.
 */
export function entryEnd(lines: readonly string[], keyLine: number): number {
  const keyIndent = indentOf(lines[keyLine] ?? '');
  let end = keyLine;
  for (let i = keyLine + 1; i < lines.length; i++) {
    const l = lines[i] as string;
    if (isBlank(l)) continue;
    if (indentOf(l) <= keyIndent) {
      if (isComment(l)) continue;
      break;
    }
    end = i;
  }
  return end;
}

/** Re-indent block lines written with 2-space steps to a base indent and step. */
export function indentBlock(lines: readonly string[], base: number, step: number): string[] {
  return lines.map((l) => {
    if (l === '') return l;
    const lead = indentOf(l);
    return ' '.repeat(base + (lead / 2) * step) + l.slice(lead);
  });
}

/** Replace lines [from, to] (inclusive) with `insert`; to = from - 1 inserts before `from`. */
export function spliceLines(t: TextLines, from: number, to: number, insert: readonly string[]): TextLines {
  const lines = [...t.lines];
  lines.splice(from, to - from + 1, ...insert);
  return { lines, eol: t.eol };
}
