// Surgical edits of YAML block sequences (lists of mappings such as
// dicom.scp.ae-titles): append an item after the last one, remove one item's
// lines. Everything else in the file keeps its bytes.
import { YAML11_SCHEMA, dump } from 'js-yaml';
import { pointer, pointerSegments } from './diagnostic.js';
import { UsageError } from './errors.js';
import { entryEnd, indentOf, joinLines, spliceLines, splitLines, stripCr, withEol, type TextLines } from './text-lines.js';
import { parseYaml, type ParsedYaml } from './yaml-source.js';

/** An item as block YAML lines at indent 0, first line prefixed "- " (quoted the way Helm would need). */
export function itemLines(item: Record<string, unknown>): string[] {
  const body = dump(item, { schema: YAML11_SCHEMA, lineWidth: -1, noRefs: true }).replace(/\n$/, '').split('\n');
  return body.map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`));
}

const indent = (lines: string[], n: number) => lines.map((l) => ' '.repeat(n) + l);

/** The file's indentation step: the smallest indentation of any content line (2 if none). */
export function indentStep(lines: readonly string[]): number {
  let step = 0;
  for (const l of lines) {
    const body = stripCr(l);
    if (!body.trim() || body.trimStart().startsWith('#')) continue;
    const n = indentOf(body);
    if (n > 0 && (step === 0 || n < step)) step = n;
  }
  return step || 2;
}

/** Append `item` to the block sequence at `path` (creating `key: [...]` under its parent mapping if needed). */
export function appendToSequence(text: string, yaml: ParsedYaml, path: string, item: Record<string, unknown>): string {
  const t = splitLines(text);
  const lines = itemLines(item);
  const node = yaml.node(path);
  const segs = pointerSegments(path);
  const key = segs[segs.length - 1] as string;
  const parentPath = segs.length > 1 ? pointer(...segs.slice(0, -1)) : '';

  const step = indentStep(t.lines);
  if (node?.kind === 'sequence') {
    const count = countItems(yaml, path);
    if (yaml.text[node.start] === '[') {
      if (count > 0) throw new UsageError(`${segs.join('.')} is a flow list ([...]); rewrite it as a block list before editing it with clara-wf`);
      return joinLines(replaceEmptyFlow(t, yaml, node.keyStart ?? node.start, lines, step));
    }
    const last = yaml.node(`${path}/${count - 1}`);
    const dashLine = yaml.lines.lineOf(last?.start ?? node.start);
    const dashIndent = stripCr(t.lines[dashLine] ?? '').indexOf('-');
    const end = entryEnd(t.lines, dashLine);
    return joinLines(spliceLines(t, end + 1, end, withEol(t, indent(lines, dashIndent))));
  }
  if (node && node.keyStart !== undefined && (node.kind === 'scalar' && (node.raw ?? '') === '')) {
    // `key:` with no value: items go after the comments that belong to it.
    const keyLine = yaml.lines.lineOf(node.keyStart);
    const at = indentOf(t.lines[keyLine] ?? '') + step;
    const end = entryEnd(t.lines, keyLine);
    return joinLines(spliceLines(t, end + 1, end, withEol(t, indent(lines, at))));
  }
  if (node) throw new UsageError(`${segs.join('.')} is not a list`);

  // The key is missing: add it at the end of its parent mapping.
  const parent = yaml.node(parentPath);
  if (!parent || parent.kind !== 'mapping' || !parent.keys?.length) throw new UsageError(`${segs.slice(0, -1).join('.') || 'the file'} must exist before clara-wf can add ${key}`);
  if (yaml.text[parent.start] === '{') throw new UsageError(`${segs.slice(0, -1).join('.')} is a flow mapping ({...}); rewrite it in block style first`);
  const children = parent.keys.map((k) => yaml.lines.lineOf(k.start));
  const childIndent = indentOf(t.lines[children[0] as number] ?? '');
  const lastEnd = entryEnd(t.lines, Math.max(...children));
  const block = [' '.repeat(childIndent) + `${key}:`, ...indent(lines, childIndent + step)];
  return joinLines(spliceLines(t, lastEnd + 1, lastEnd, withEol(t, block)));
}

function replaceEmptyFlow(t: TextLines, yaml: ParsedYaml, keyStart: number, lines: string[], step: number): TextLines {
  const keyLine = yaml.lines.lineOf(keyStart);
  const fixed = (t.lines[keyLine] as string).replace(/:[ \t]*\[[ \t]*\]/, ':');
  const at = indentOf(t.lines[keyLine] ?? '') + step;
  const t2 = spliceLines(t, keyLine, keyLine, [fixed]);
  return spliceLines(t2, keyLine + 1, keyLine, withEol(t2, indent(lines, at)));
}

export function countItems(yaml: ParsedYaml, path: string): number {
  let n = 0;
  while (yaml.node(`${path}/${n}`)) n++;
  return n;
}

/** Remove item `index` of the block sequence at `path`; the last item leaves `key: []`. */
export function removeSequenceItem(text: string, yaml: ParsedYaml, path: string, index: number): string {
  const t = splitLines(text);
  const node = yaml.node(path);
  const item = yaml.node(`${path}/${index}`);
  if (!node || !item) throw new UsageError(`no item ${index} in ${pointerSegments(path).join('.')}`);
  if (yaml.text[node.start] === '[') throw new UsageError(`${pointerSegments(path).join('.')} is a flow list ([...]); rewrite it as a block list before editing it with clara-wf`);
  const dashLine = yaml.lines.lineOf(item.start);
  const end = entryEnd(t.lines, dashLine);
  let out = spliceLines(t, dashLine, end, []);
  if (countItems(yaml, path) === 1 && node.keyStart !== undefined) {
    const keyLine = yaml.lines.lineOf(node.keyStart);
    const line = out.lines[keyLine] as string;
    const cr = line.endsWith('\r') ? '\r' : '';
    const body = stripCr(line);
    const m = /^(\s*[^#]*?:)(\s*#.*)?$/.exec(body);
    out = spliceLines(out, keyLine, keyLine, [m ? `${m[1]} []${m[2] ?? ''}${cr}` : line]);
  }
  return joinLines(out);
}

/**
 * Remove several items of the block sequence at `path`, by index in `text`:
 * from the last up, the text read again between removals, so each removal
 * lands on its own item's lines.
 */
export function removeSequenceItems(text: string, file: string, path: string, indices: readonly number[]): string {
  let out = text;
  for (const i of [...indices].sort((a, b) => b - a)) {
    const parsed = parseYaml(out, file);
    if (!parsed.ok) throw new UsageError(`${file} is not valid YAML`);
    out = removeSequenceItem(out, parsed.yaml, path, i);
  }
  return out;
}

/** Replace item `index` of the block sequence at `path` in place (same position, same indentation). */
export function replaceSequenceItem(text: string, yaml: ParsedYaml, path: string, index: number, item: Record<string, unknown>): string {
  const t = splitLines(text);
  const node = yaml.node(`${path}/${index}`);
  if (!node) throw new UsageError(`no item ${index} in ${pointerSegments(path).join('.')}`);
  const dashLine = yaml.lines.lineOf(node.start);
  const dashIndent = stripCr(t.lines[dashLine] ?? '').indexOf('-');
  const end = entryEnd(t.lines, dashLine);
  return joinLines(spliceLines(t, dashLine, end, withEol(t, indent(itemLines(item), dashIndent))));
}
