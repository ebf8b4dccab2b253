// What every command gets: resolved global options and the output streams.
import fs from 'node:fs';
import path from 'node:path';
import { packageVersion } from '../adapters/package-files.js';
import { formatDiagnostic, summary, toJson, type Diagnostic } from '../core/diagnostic.js';
import { FORMATS, githubAnnotations, sarifLog, type ReportFormat } from '../core/report-formats.js';
import { UsageError } from '../core/errors.js';

export interface Io {
  stdout: { write(s: string | Uint8Array): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface GlobalOptions {
  chart?: string;
  valuesFile?: string;
  dicomConfig?: string;
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  debug?: boolean;
}

/**
 * The chart a command works on when --chart is not given, as helm users
 * expect from a project folder: the nearest `charts/clara-workflow` from the
 * working folder up, or the clara-workflow chart the working folder is in.
 * Nothing found: `<cwd>/charts/clara-workflow` (whose absence is then reported).
 */
export function findChart(cwd: string): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const nested = path.join(dir, 'charts', 'clara-workflow');
    if (fs.existsSync(path.join(nested, 'Chart.yaml'))) return nested;
    try {
      if (/^name:\s*["']?clara-workflow["']?\s*$/m.test(fs.readFileSync(path.join(dir, 'Chart.yaml'), 'utf8'))) return dir;
    } catch {
      /* no chart here */
    }
    if (path.dirname(dir) === dir) return path.resolve(cwd, 'charts', 'clara-workflow');
  }
}

export class Ctx {
  readonly chartDir: string;
  readonly valuesFile: string;
  /** The DICOM adapter configuration; `dicomConfigExplicit` when given with --dicom-config. */
  readonly dicomConfigFile: string;
  readonly dicomConfigExplicit: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly color: boolean;
  readonly debug: boolean;

  constructor(
    readonly io: Io,
    g: GlobalOptions,
  ) {
    this.chartDir = g.chart !== undefined ? path.resolve(io.cwd, g.chart) : findChart(io.cwd);
    this.valuesFile = path.resolve(io.cwd, g.valuesFile ?? path.join(this.chartDir, 'values.yaml'));
    this.dicomConfigFile = path.resolve(io.cwd, g.dicomConfig ?? path.join(this.chartDir, 'files', 'dicom-server-config.yaml'));
    this.dicomConfigExplicit = g.dicomConfig !== undefined;
    this.json = !!g.json;
    this.quiet = !!g.quiet;
    this.debug = !!g.debug;
    this.color = g.color !== false && !io.env.NO_COLOR && !!io.stderr.isTTY;
  }

  /**
   * When there is no chart where the command looked: how to start one. Every
   * command's error carries it, so a user in an empty folder learns of init.
   */
  noChartHint(): string | undefined {
    if (fs.existsSync(path.join(this.chartDir, 'Chart.yaml'))) return undefined;
    return `no clara-workflow chart ${path.resolve(this.chartDir) === path.resolve(this.io.cwd, 'charts', 'clara-workflow') ? `in ${this.display(this.io.cwd) || '.'} or a folder above it` : `at ${this.display(this.chartDir)}`}: start a project with \`clara-wf init\` (or point --chart at a chart)`;
  }

  /** The data folder of `test` and `dicom serve` (and what reads serve's): --data, else test-data next to the chart folder. */
  dataDir(flag?: string): string {
    return path.resolve(this.io.cwd, flag ?? path.join(this.chartDir, '..', '..', 'test-data'));
  }

  /** A path as the user should see it: relative to the working folder when inside it. */
  display(p: string): string {
    const rel = path.relative(this.io.cwd, p);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
  }

  /** Primary output (always printed). */
  out(line: string): void {
    this.io.stdout.write(line + '\n');
  }
  /** Progress and confirmations: suppressed by --quiet and --json. */
  info(line: string): void {
    if (!this.quiet && !this.json) this.io.stderr.write(line + '\n');
  }
  err(line: string): void {
    this.io.stderr.write(line + '\n');
  }
  printJson(value: unknown): void {
    this.io.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  /** Human diagnostics on stderr, with code frames from `sources` (file → text). */
  printDiagnostics(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>): void {
    for (const d of diagnostics) {
      if (this.quiet && d.severity === 'warning') continue;
      this.err(formatDiagnostic(d, { color: this.color, sources }));
    }
    if (diagnostics.length && !this.quiet) this.err(summary(diagnostics));
  }

  diagnosticsJson(diagnostics: readonly Diagnostic[]): Record<string, unknown>[] {
    return diagnostics.map(toJson);
  }

  /** --format, else --json, else github inside GitHub Actions (GITHUB_ACTIONS=true), else text. */
  reportFormat(flag?: string): ReportFormat {
    if (flag !== undefined) {
      if (!(FORMATS as readonly string[]).includes(flag)) throw new UsageError(`--format takes one of ${FORMATS.join(', ')}, not "${flag}"`);
      return flag as ReportFormat;
    }
    if (this.json) return 'json';
    return this.io.env.GITHUB_ACTIONS === 'true' ? 'github' : 'text';
  }

  /**
   * A check's diagnostics in the chosen format: text (stderr, code frames,
   * `okLine` when clean), json (`{ ok, diagnostics, ...extra }`), github
   * (workflow command lines on stdout, the summary on stderr) or sarif (a
   * SARIF 2.1.0 log on stdout).
   */
  printReport(format: ReportFormat, diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>, r: { ok: boolean; okLine?: string; extra?: Record<string, unknown> }): void {
    if (format === 'json') {
      this.io.stdout.write(JSON.stringify({ ok: r.ok, diagnostics: this.diagnosticsJson(diagnostics), ...r.extra }) + '\n');
    } else if (format === 'sarif') {
      this.printJson(sarifLog(diagnostics, { version: packageVersion(), docs: 'docs/commands.md (Diagnostic codes) of clara-wf' }));
    } else if (format === 'github') {
      this.io.stdout.write(githubAnnotations(diagnostics));
      if (!this.quiet) this.err(r.ok && r.okLine ? r.okLine : summary(diagnostics));
    } else {
      this.printDiagnostics(diagnostics, sources);
      if (r.ok && r.okLine && !this.quiet) this.err(r.okLine);
    }
  }
}
