// Surgical edits of values.yaml: each function takes the text (and its check)
// and returns new text in which only the lines the command owns differ: the
// stage block between its markers, or one workflow entry.
import { pointer } from './diagnostic.js';
import { UsageError } from './errors.js';
import {
  entryEnd,
  indentBlock,
  indentOf,
  isBlank,
  joinLines,
  spliceLines,
  splitLines,
  withEol,
  type TextLines,
} from './text-lines.js';
import type { ValuesCheck } from './validate-values.js';

type Section = 'stages' | 'workflows';

interface SectionInfo {
  /** 0-based line of the `stages:` key, or -1 when absent. */
  keyLine: number;
  /** Child keys with their 0-based lines, in source order. */
  children: { key: string; line: number }[];
  flow: 'none' | 'empty' | 'filled';
  /** Indentation of the document's top-level keys. */
  rootIndent: number;
}

function section(check: ValuesCheck, name: Section): SectionInfo {
  const yaml = check.yaml;
  if (!yaml) throw new UsageError('values file is not YAML');
  const root = yaml.node('');
  if (root && root.kind !== 'mapping' && !(root.kind === 'scalar' && root.raw === '')) {
    throw new UsageError('values file must be a YAML mapping (stages:, workflows:)');
  }
  const first = root?.keys?.[0];
  const rootIndent = first ? yaml.lines.position(first.start).column - 1 : 0;
  const key = root?.keys?.find((k) => k.key === name);
  if (!key) return { keyLine: -1, children: [], flow: 'none', rootIndent };
  const node = yaml.node(pointer(name));
  const children = (node?.keys ?? []).map((k) => ({ key: k.key, line: yaml.lines.lineOf(k.start) }));
  let flow: SectionInfo['flow'] = 'none';
  if (node?.kind === 'mapping' && yaml.text[node.start] === '{') flow = children.length ? 'filled' : 'empty';
  return { keyLine: yaml.lines.lineOf(key.start), children, flow, rootIndent };
}

/** Where a new child goes, and its indentation. */
function insertionPoint(t: TextLines, info: SectionInfo, name: Section, lastEnd: (child: { key: string; line: number }) => number) {
  if (info.flow === 'filled') {
    throw new UsageError(`${name}: is written as a flow mapping ({...}); rewrite it in block style before editing it with clara-wf`);
  }
  if (info.keyLine === -1) return { kind: 'append' as const, indent: info.rootIndent + 2, rootIndent: info.rootIndent };
  if (info.children.length === 0) {
    return { kind: 'after' as const, line: info.keyLine, indent: indentOf(t.lines[info.keyLine] ?? '') + 2, emptyFlow: info.flow === 'empty' };
  }
  const first = info.children[0] as { line: number };
  const indent = indentOf(t.lines[first.line] ?? '');
  const last = info.children.reduce((a, b) => (b.line > a.line ? b : a));
  return { kind: 'after' as const, line: lastEnd(last), indent, emptyFlow: false };
}

function insertChild(t: TextLines, point: ReturnType<typeof insertionPoint>, name: Section, block: string[], blankBefore: boolean): TextLines {
  if (point.kind === 'append') {
    const lines = [...t.lines];
    // A text ending in a newline splits to a final "": new lines go before it.
    const endsWithNewline = lines[lines.length - 1] === '';
    if (endsWithNewline) lines.pop();
    else if (lines.length && t.eol === '\r\n') lines[lines.length - 1] += '\r';
    return { lines: [...lines, ...withEol(t, [' '.repeat(point.rootIndent) + name + ':', ...block]), ''], eol: t.eol };
  }
  let cur = t;
  if (point.emptyFlow) {
    const keyLine = cur.lines[point.line] as string;
    const fixed = keyLine.replace(/:[ \t]*\{[ \t]*\}/, ':');
    cur = spliceLines(cur, point.line, point.line, [fixed]);
  }
  const insert = withEol(cur, blankBefore ? ['', ...block] : block);
  return spliceLines(cur, point.line + 1, point.line, insert);
}

/** Insert or regenerate a stage block (`cs`). */
export function upsertStageBlock(text: string, check: ValuesCheck, name: string, blockLines: string[]): string {
  const t = splitLines(text);
  const fence = check.fences.find((f) => f.name === name);
  const info = section(check, 'stages');
  if (fence) {
    const indent = indentOf(t.lines[fence.begin] ?? '');
    const block = indentBlock(blockLines, indent, indent || 2);
    return joinLines(spliceLines(t, fence.begin, fence.end, withEol(t, block)));
  }
  if (info.children.some((c) => c.key === name)) {
    throw new UsageError(
      `stage "${name}" exists without ##BEGIN_${name}## / ##END_${name}## markers, so clara-wf will not rewrite it; add the markers around it (or remove it) and run again`,
    );
  }
  const fenceEnd = (child: { key: string; line: number }) => check.fences.find((f) => f.name === child.key)?.end ?? entryEnd(t.lines, child.line);
  const point = insertionPoint(t, info, 'stages', fenceEnd);
  const block = indentBlock(blockLines, point.indent, point.indent || 2);
  // Follow the file's habit: blank lines between blocks if the last two are separated so.
  const fences = [...check.fences].sort((a, b) => a.begin - b.begin);
  const lastTwo = fences.slice(-2);
  const blankBefore = lastTwo.length === 2 && isBlank(t.lines[(lastTwo[1] as { begin: number }).begin - 1] ?? 'x');
  return joinLines(insertChild(t, point, 'stages', block, blankBefore));
}

/** Remove a stage: its fenced block (or, unfenced, its entry lines). */
export function removeStageBlock(text: string, check: ValuesCheck, name: string): string {
  const t = splitLines(text);
  const fence = check.fences.find((f) => f.name === name);
  if (fence) return joinLines(spliceLines(t, fence.begin, fence.end, []));
  const child = section(check, 'stages').children.find((c) => c.key === name);
  if (!child) throw new UsageError(`no stage "${name}"`);
  return joinLines(spliceLines(t, child.line, entryEnd(t.lines, child.line), []));
}

/** Append a workflow entry under `workflows:`. */
export function insertWorkflowEntry(text: string, check: ValuesCheck, entryLines: string[]): string {
  const t = splitLines(text);
  const info = section(check, 'workflows');
  const point = insertionPoint(t, info, 'workflows', (c) => entryEnd(t.lines, c.line));
  const block = indentBlock(entryLines, point.indent, point.indent || 2);
  const kids = info.children;
  const blankBefore =
    kids.length >= 2 && isBlank(t.lines[(kids[kids.length - 1] as { line: number }).line - 1] ?? 'x');
  return joinLines(insertChild(t, point, 'workflows', block, blankBefore));
}

/** Remove one workflow entry (its key line and everything indented under it). */
export function removeWorkflowEntry(text: string, check: ValuesCheck, id: string): string {
  const t = splitLines(text);
  const child = section(check, 'workflows').children.find((c) => c.key === id);
  if (!child) throw new UsageError(`no workflow "${id}"`);
  return joinLines(spliceLines(t, child.line, entryEnd(t.lines, child.line), []));
}
