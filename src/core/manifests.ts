// helm template output ↔ one text per template file.

/** Split `helm template` output by its "# Source: <chart>/templates/<file>" comments. */
export function splitManifests(text: string): Map<string, string> {
  const out = new Map<string, string[]>();
  for (const doc of text.split(/^---\s*$/m)) {
    const m = /^# Source: [^/\n]+\/(.+)$/m.exec(doc);
    if (!m) continue;
    const file = (m[1] as string).replace(/^templates\//, '');
    const body = doc.replace(/^\n+/, '').replace(/\s+$/, '') + '\n';
    out.set(file, [...(out.get(file) ?? []), body]);
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)).map(([f, docs]) => [f, docs.map((d) => `---\n${d}`).join('')]));
}

// Assembled at run time so this source does not carry the marker itself.
export const GENERATED_MARKER = ['Generated', 'by clara-wf'].join(' ');

export function goldenHeader(caseName: string): string {
  return `# ${GENERATED_MARKER} (golden/${caseName}). Do not edit: run \`clara-wf golden update\`.\n`;
}
