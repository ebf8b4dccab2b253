// The ##BEGIN_<stage>## / ##END_<stage>## fences are a line-level layer over the
// YAML: a YAML library attaches comments to neighbouring nodes, so markers are
// found with a line scanner and edits splice whole lines.
import type { Finding } from './diagnostic.js';
import { pointer } from './diagnostic.js';

export interface StageFence {
  name: string;
  /** 0-based lines of the BEGIN and END markers. */
  begin: number;
  end: number;
}

export interface MarkerScan {
  fences: StageFence[];
  findings: Finding[];
}

const MARKER = /^([ \t]*)##(BEGIN|END)_(.*)##[ \t]*\r?$/;

export function scanMarkers(lines: readonly string[]): MarkerScan {
  const fences: StageFence[] = [];
  const findings: Finding[] = [];
  let open: { name: string; line: number } | null = null;
  const seen = new Map<string, number>();
  const err = (code: string, line: number, message: string, hint?: string) =>
    findings.push({ severity: 'error', code, message, hint, path: '/stages', line });

  lines.forEach((text, i) => {
    if (!text.includes('##')) return;
    const m = MARKER.exec(text);
    if (!m) return;
    const kind = m[2] as 'BEGIN' | 'END';
    const name = m[3] as string;
    if (kind === 'BEGIN') {
      if (open) {
        err('MARKER_UNCLOSED', open.line, `##BEGIN_${open.name}## has no ##END_${open.name}## before the next ##BEGIN_${name}##`, `add "##END_${open.name}##" after the ${open.name} stage`);
      }
      if (seen.has(name)) {
        err('MARKER_DUPLICATE', i, `a second ##BEGIN_${name}## block (the first is on line ${(seen.get(name) as number) + 1})`, 'each stage is fenced once; remove or rename one block');
      }
      seen.set(name, i);
      open = { name, line: i };
    } else if (!open) {
      err('MARKER_UNOPENED', i, `##END_${name}## has no matching ##BEGIN_${name}##`, `add "##BEGIN_${name}##" before the ${name} stage or remove this line`);
    } else if (open.name !== name) {
      err('MARKER_MISMATCH', i, `##END_${name}## closes the block opened by ##BEGIN_${open.name}## on line ${open.line + 1}`, `make both markers name the same stage`);
      open = null;
    } else {
      fences.push({ name, begin: open.line, end: i });
      open = null;
    }
  });
  if (open) {
    const o = open as { name: string; line: number };
    err('MARKER_UNCLOSED', o.line, `##BEGIN_${o.name}## is never closed`, `add "##END_${o.name}##" after the ${o.name} stage`);
  }
  return { fences, findings };
}

/**
 * Each fence must hold exactly one stage key, the one it names; every stage
 * should be fenced (so `cs` can regenerate it).
 * `stageKeyLines` maps each stage key under `stages:` to its 0-based line.
 */
export function fenceFindings(fences: readonly StageFence[], stageKeyLines: ReadonlyMap<string, number>): Finding[] {
  const out: Finding[] = [];
  const fenced = new Set<string>();
  // One sweep over stage keys sorted by line (files hold thousands of fences).
  const keys = [...stageKeyLines].sort((a, b) => a[1] - b[1]);
  const firstAfter = (line: number) => {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((keys[mid] as [string, number])[1] <= line) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (const f of fences) {
    const inside: [string, number][] = [];
    for (let i = firstAfter(f.begin); i < keys.length && (keys[i] as [string, number])[1] < f.end; i++) inside.push(keys[i] as [string, number]);
    if (inside.length === 0) {
      out.push({ severity: 'error', code: 'MARKER_EMPTY', path: '/stages', line: f.begin, message: `##BEGIN_${f.name}## ... ##END_${f.name}## fences no stage`, hint: `put the ${f.name} stage between its markers or remove them` });
    } else if (inside.length > 1) {
      out.push({ severity: 'error', code: 'MARKER_MULTIPLE', path: '/stages', line: f.begin, message: `the ${f.name} block fences ${inside.length} stages (${inside.map(([k]) => k).join(', ')})`, hint: 'give each stage its own ##BEGIN_/##END_ pair' });
    } else {
      const [key] = inside[0] as [string, number];
      if (key !== f.name) {
        out.push({ severity: 'error', code: 'MARKER_NAME_MISMATCH', path: pointer('stages', key), at: 'key', message: `stage "${key}" is fenced by markers named "${f.name}"`, hint: `rename the markers to ##BEGIN_${key}## / ##END_${key}## or the stage to ${f.name}` });
      }
      fenced.add(key);
    }
  }
  for (const [key] of stageKeyLines) {
    if (!fenced.has(key)) {
      out.push({ severity: 'warning', code: 'STAGE_UNFENCED', path: pointer('stages', key), at: 'key', message: `stage "${key}" has no ##BEGIN_${key}## / ##END_${key}## markers`, hint: `add the markers around it so \`clara-wf cs ${key}\` can regenerate it` });
    }
  }
  return out;
}
