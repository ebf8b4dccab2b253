// Runtime "docker": each stage's image in a container on this machine, the
// job folders bind-mounted where the chart mounts them; stopped with docker kill.
import { spawn } from 'node:child_process';
import { containerName, dockerArgv } from './plan.js';
import { localRuntime, type LocalEngine } from './runner.js';
import type { Runtime } from './runtime.js';

/** A Docker engine answers `docker info` (the client alone is not enough). */
export function dockerAvailable(env: Record<string, string | undefined>, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', env: env as NodeJS.ProcessEnv });
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(false);
    }, timeoutMs);
    child.on('error', () => {
      clearTimeout(t);
      resolve(false);
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve(code === 0);
    });
  });
}

/** Containers run as this user (uid:gid), so what they write stays the user's. */
export function dockerRuntime(opts: { bin?: string; user?: string } = {}): Runtime {
  const bin = opts.bin ?? 'docker';
  const engine: LocalEngine = {
    name: 'docker',
    argv: (plan, s) => [bin, ...dockerArgv(plan, s, { user: opts.user })],
    stop: (plan, s) => {
      spawn(bin, ['kill', containerName(plan, s)], { stdio: 'ignore' }).on('error', () => {});
    },
  };
  return localRuntime(engine);
}

/** The user containers run as: this process's uid:gid. */
export const currentUser = (): string | undefined => (process.getuid ? `${process.getuid()}:${process.getgid?.() ?? 0}` : undefined);
