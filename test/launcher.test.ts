// The command as installed: bin/clara-wf (sh: defers NODE_EXTRA_CA_CERTS) →
// bin/clara-wf.cjs (compiles the bundle with the build's V8 code cache).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeTestServer } from './kube/server.js';
import { binJs, repoRoot, tempDir, type CliResult } from './helpers.js';

const launcher = path.join(repoRoot, 'bin', 'clara-wf');

/** Run `cmd args` with exactly `env` (plus PATH and HOME from here). */
function run(cmd: string, args: string[], env: Record<string, string>, cwd = repoRoot): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const servers: KubeTestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

describe('bin/clara-wf.cjs: the bundle with its code cache', () => {
  // V8 flags (e.g. in NODE_OPTIONS) would make V8 reject the cache: none here.
  const plainEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

  it('the cache made by the build is accepted by this Node', () => {
    const r = spawnSync(process.execPath, ['-e', `process.stdout.write(String(require(${JSON.stringify(binJs)}).loadBundle().cacheAccepted))`], { encoding: 'utf8', env: plainEnv });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true');
  });

  it('a cache V8 rejects (corrupt, or from another Node) only costs the speed-up', () => {
    const pkg = tempDir();
    for (const f of ['bin/clara-wf', 'bin/clara-wf.cjs', 'dist/clara-wf.cjs']) {
      fs.mkdirSync(path.join(pkg, path.dirname(f)), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, f), path.join(pkg, f));
    }
    fs.writeFileSync(path.join(pkg, 'dist', 'clara-wf.code-cache'), 'not a code cache');
    const js = path.join(pkg, 'bin', 'clara-wf.cjs');
    const accepted = spawnSync(process.execPath, ['-e', `process.stdout.write(String(require(${JSON.stringify(js)}).loadBundle().cacheAccepted))`], { encoding: 'utf8', env: plainEnv });
    expect(accepted.stdout).toBe('false');
    const v = spawnSync(process.execPath, [js, '--version'], { encoding: 'utf8' });
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe('0.1.0');
    fs.rmSync(path.join(pkg, 'dist', 'clara-wf.code-cache'));
    expect(spawnSync(process.execPath, [js, '--version'], { encoding: 'utf8' }).stdout.trim()).toBe('0.1.0');
  });

  it('without a build it says how to make one (exit 70, no stack trace)', () => {
    const pkg = tempDir();
    fs.mkdirSync(path.join(pkg, 'bin'));
    fs.copyFileSync(binJs, path.join(pkg, 'bin', 'clara-wf.cjs'));
    const r = spawnSync(process.execPath, [path.join(pkg, 'bin', 'clara-wf.cjs'), '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(70);
    expect(r.stderr).toMatch(/clara-wf\.cjs is missing: run `npm ci` \(or `npm run build`\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('bin/clara-wf: the launcher', () => {
  it('runs through a symlink, as npm links it into node_modules/.bin', async () => {
    const dir = tempDir();
    fs.symlinkSync(launcher, path.join(dir, 'clara-wf'));
    const r = await run(path.join(dir, 'clara-wf'), ['--version'], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('0.1.0');
    const v = await run(path.join(dir, 'clara-wf'), ['--chart', path.join(repoRoot, 'charts', 'clara-workflow'), 'validate', '--json'], {}, dir);
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout).ok).toBe(true);
  });

  it('passes arguments through untouched (spaces, quotes, globs, empty)', async () => {
    const dir = tempDir();
    const r = await run(launcher, ['--chart', path.join(dir, 'no such * $HOME chart'), '', 'stage', 'list'], {});
    expect(r.code).toBe(2);
    const again = await run(launcher, ['--chart', path.join(dir, 'no such * $HOME chart'), 'stage', 'list'], {});
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${dir}/no such * $HOME chart/values.yaml`);
  });

  it('programs clara-wf starts still get NODE_EXTRA_CA_CERTS as the user set it', async () => {
    const dir = tempDir();
    const helm = path.join(dir, 'helm');
    fs.writeFileSync(
      helm,
      '#!/bin/sh\ncase "$1" in\n  version) echo v3.10.1 ;;\n  template) cat <<EOF\n---\n# Source: clara-workflow/templates/env.yaml\nextra: "$NODE_EXTRA_CA_CERTS"\ndeferred: "${CLARA_WF_DEFERRED_NODE_EXTRA_CA_CERTS-unset}"\nEOF\n  ;;\nesac\n',
      { mode: 0o755 },
    );
    const r = await run(launcher, ['render'], { HELM_BIN: helm, XDG_CACHE_HOME: dir, NODE_EXTRA_CA_CERTS: '/etc/some dir/extra.pem' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('extra: "/etc/some dir/extra.pem"\ndeferred: "unset"');
  });

  describe('cluster connections trust NODE_EXTRA_CA_CERTS where the kubeconfig names no CA', () => {
    async function setup() {
      const server = await KubeTestServer.start({ tls: true });
      servers.push(server);
      server.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sh.helm.release.v1.clara-workflow.v1', namespace: 'default', labels: { owner: 'helm', name: 'clara-workflow', status: 'deployed', version: '1' } }, type: 'helm.sh/release.v1', data: {} });
      const dir = tempDir();
      const kubeconfig = server.kubeconfig(dir);
      fs.writeFileSync(kubeconfig, fs.readFileSync(kubeconfig, 'utf8').replace(/^ {4}certificate-authority-data: .*\n/m, ''));
      expect(fs.readFileSync(kubeconfig, 'utf8')).not.toMatch(/certificate-authority/);
      const ca = path.join(dir, 'extra-ca.pem');
      fs.writeFileSync(ca, server.ca as string);
      return { args: ['status', '--kubeconfig', kubeconfig, '--json'], ca, dir };
    }

    it.each([
      ['bin/clara-wf (deferred)', launcher, [] as string[]],
      ['node bin/clara-wf.cjs (Node loads it)', process.execPath, [binJs]],
    ])('%s', async (_, cmd, pre) => {
      const { args, ca, dir } = await setup();
      const ok = await run(cmd, [...pre, ...args], { NODE_EXTRA_CA_CERTS: ca, HOME: dir });
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ release: 'clara-workflow', status: 'deployed', revision: 1 });
      // The control: without the extra CA the server's certificate is not trusted.
      const no = await run(cmd, [...pre, ...args], { HOME: dir });
      expect(no.code).toBe(4);
      expect(no.stdout).toMatch(/certificate/i);
    });
  });
});
