// Diagnostics for CI: GitHub workflow commands (annotations on a pull
// request's lines) and SARIF 2.1.0 (code scanning). Pure: diagnostics in, text out.
import type { Diagnostic } from './diagnostic.js';
import { ruleInfo } from './rule-catalog.js';

export const FORMATS = ['text', 'json', 'github', 'sarif'] as const;
export type ReportFormat = (typeof FORMATS)[number];

// GitHub's escaping of workflow command data and properties
// (actions/toolkit, packages/core/src/command.ts: escapeData, escapeProperty).
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One `::error file=…,line=…,col=…,title=CODE::message` line per diagnostic (`::warning` for warnings). */
export function githubAnnotations(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => {
      const props = [d.file ? `file=${escapeProperty(d.file)}` : '', d.line > 0 ? `line=${d.line}` : '', d.line > 0 && d.column > 0 ? `col=${d.column}` : '', `title=${escapeProperty(d.code)}`].filter(Boolean);
      return `::${d.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${escapeData(d.hint ? `${d.message}; ${d.hint}` : d.message)}\n`;
    })
    .join('');
}

export interface SarifTool {
  version: string;
  /** Where the codes are explained, for each rule's help text. */
  docs: string;
}

/**
 * A SARIF 2.1.0 log (OASIS sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json):
 * one run, a rule for each code that occurs (its meaning from the rule
 * catalog as help), a result for each diagnostic with its location. File
 * paths are relative to %SRCROOT% (the working folder), as code scanning wants.
 */
export function sarifLog(diagnostics: readonly Diagnostic[], tool: SarifTool): Record<string, unknown> {
  const codes = [...new Set(diagnostics.map((d) => d.code))].sort();
  const index = new Map(codes.map((c, i) => [c, i]));
  const rules = codes.map((code) => {
    const text = ruleInfo(code)?.text ?? code;
    const levels = new Set(diagnostics.filter((d) => d.code === code).map((d) => d.severity));
    return {
      id: code,
      name: code.toLowerCase().replace(/_(.)/g, (_, c: string) => c.toUpperCase()).replace(/^./, (c) => c.toUpperCase()),
      shortDescription: { text },
      fullDescription: { text },
      help: { text: `${text}. Every code is explained in ${tool.docs}.`, markdown: `${text}.\n\nEvery code is explained in \`${tool.docs}\`.` },
      defaultConfiguration: { level: levels.has('error') ? 'error' : 'warning' },
    };
  });
  const results = diagnostics.map((d) => ({
    ruleId: d.code,
    ruleIndex: index.get(d.code) as number,
    level: d.severity === 'error' ? 'error' : 'warning',
    message: { text: d.hint ? `${d.message}; ${d.hint}` : d.message },
    ...(d.file
      ? {
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: encodeURI(d.file.split('\\').join('/')), uriBaseId: '%SRCROOT%' },
                ...(d.line > 0 ? { region: { startLine: d.line, ...(d.column > 0 ? { startColumn: d.column } : {}) } } : {}),
              },
              ...(d.path ? { logicalLocations: [{ fullyQualifiedName: d.path, kind: 'member' }] } : {}),
            },
          ],
        }
      : {}),
  }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'clara-wf', version: tool.version, semanticVersion: tool.version, rules } },
        columnKind: 'unicodeCodePoints',
        results,
      },
    ],
  };
}
