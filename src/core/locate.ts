import { pointerSegments, type Diagnostic, type Finding } from './diagnostic.js';
import type { ParsedYaml } from './yaml-source.js';

/** Give a finding its line and column: the node at its path, or the nearest ancestor present. */
export function locate(f: Finding, yaml: ParsedYaml, file: string): Diagnostic {
  const { at, line: knownLine, ...rest } = f;
  if (knownLine !== undefined) {
    const start = yaml.lines.lineStart(knownLine);
    const text = yaml.text.slice(start, yaml.lines.lineStart(knownLine + 1));
    const indent = /^[ \t]*/.exec(text)?.[0].length ?? 0;
    return { ...rest, file, line: knownLine + 1, column: indent + 1 };
  }
  const segs = pointerSegments(f.path);
  for (let n = segs.length; n >= 0; n--) {
    const p = n === 0 ? '' : '/' + segs.slice(0, n).map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
    const node = yaml.node(p);
    if (!node) continue;
    // Exact node: a scalar points at its value unless the key was asked for; a
    // collection points at its key. An ancestor (missing child) points at its key.
    const exact = n === segs.length;
    const offset = exact && at !== 'key' && node.kind === 'scalar' ? node.start : (node.keyStart ?? node.start);
    return { ...rest, file, ...yaml.lines.position(offset) };
  }
  return { ...rest, file, line: 1, column: 1 };
}
