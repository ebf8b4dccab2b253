// The runtime seam (issue 25 §0): one Runtime interface in runner/, an engine
// a file, used alike by `clara-wf test` and `dicom serve`; adapters/ for the
// outside world alone, importing nothing above core/; no floor imports one above it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_MARKER } from '../src/adapters/processes.js';
import { dockerRuntime } from '../src/runner/docker.js';
import { processRuntime } from '../src/runner/process.js';
import { repoRoot } from './helpers.js';

/** The relative imports of every file under src/<dir>, as [file, imported folder under src/]. */
function importsOf(dir: string): [string, string][] {
  const root = path.join(repoRoot, 'src', dir);
  const out: [string, string][] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
          // A floor under src/, or generated/ (the precompiled schema validators, pure like core/).
          const target = path.relative(repoRoot, path.resolve(path.dirname(p), m[1] as string)).split(path.sep);
          out.push([path.relative(repoRoot, p), (target[0] === 'src' ? target[1] : target[0]) as string]);
        }
      }
    }
  };
  walk(root);
  return out;
}

// Floors from the bottom: what each may import (its own folder and those below).
const FLOORS = ['core', 'adapters', 'runner', 'gateway', 'cli'];

describe('layers', () => {
  it.each(FLOORS)('src/%s imports only its own floor and those below', (dir) => {
    const allowed = new Set(['generated', ...FLOORS.slice(0, FLOORS.indexOf(dir) + 1)]);
    const up = importsOf(dir).filter(([, to]) => !allowed.has(to));
    expect(up).toEqual([]);
  });
});

describe('runtimes on this machine', () => {
  it('process and docker are Runtimes of their names', () => {
    expect(processRuntime.name).toBe('process');
    expect(dockerRuntime().name).toBe('docker');
  });

  it('re-attaching after a restart stops what an earlier attempt left running (by marker, and by a recorded pid still the same process)', async () => {
    const marker = `seam-test-${process.pid}-${Date.now()}`;
    // A stage's descendant that escaped its process group: only its marker finds it.
    const child = spawn('sleep', ['60'], { env: { ...process.env, [RUN_MARKER]: `${marker}/stage-a/` }, detached: true, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 100));
    const gone = new Promise((r) => child.on('exit', r));
    const left = await processRuntime.reattach(null, { markers: [marker], pids: [{ pid: 999_999, start: 'not this process' }] }, { env: {}, runTimeoutMs: 1000, graceMs: 100 });
    expect(left).toEqual({ stopped: 1, run: null });
    await gone;
    expect(child.signalCode ?? child.exitCode).not.toBeNull();
  });
});
