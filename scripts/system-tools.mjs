#!/usr/bin/env node
// The system tools the test suite uses, in one list (npm's `pretest` and
// .ci/run both run this). A missing one is installed with apt-get when we are
// root on a machine with apt; otherwise we stop at once and name the one
// command that installs them all, before vitest loads a suite that needs them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const onPath = (cmd) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;
const exists = (file) => fs.existsSync(file);

/** Each check, the Debian package that satisfies it, and which tests need it. */
const TOOLS = [
  { pkg: 'dcmtk', ok: () => onPath('storescu') && onPath('storescp'), why: 'DICOM peers (storescu, storescp, echoscu) for the gateway suites' },
  { pkg: 'chromium', ok: () => exists(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'), why: 'the dashboard test drives a headless browser' },
  { pkg: 'python3-pydicom', ok: () => exists('/usr/lib/python3/dist-packages/pydicom/data/test_files/MR_small.dcm'), why: "pydicom's sample files: real DICOM in every transfer syntax" },
  { pkg: 'orthanc', ok: () => exists('/usr/sbin/Orthanc'), why: 'Orthanc as a real PACS peer of dicom serve' },
  { pkg: 'jq', ok: () => onPath('jq'), why: "the README's curl | jq lines run as written" },
  { pkg: 'curl', ok: () => onPath('curl'), why: "the README's curl | jq lines run as written" },
  { pkg: 'pre-commit', ok: () => onPath('pre-commit'), why: '.pre-commit-hooks.yaml is tested with the real pre-commit' },
  { pkg: 'git', ok: () => onPath('git'), why: 'pre-commit works in a git repository' },
];

function main() {
  const missing = TOOLS.filter((t) => !t.ok());
  if (!missing.length) return 0;
  const pkgs = missing.map((t) => t.pkg);
  for (const t of missing) process.stderr.write(`missing for the tests: ${t.pkg} (${t.why})\n`);
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !onPath('apt-get')) {
    const cmd = `${root ? '' : 'sudo '}apt-get install -y ${pkgs.join(' ')}`;
    process.stderr.write(`run this once, then npm test again:\n  ${cmd}\n`);
    return 1;
  }
  process.stderr.write(`installing ${pkgs.join(' ')} with apt-get\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0;
  if (!run(['update', '-qq']) || !run(['install', '-y', '-qq', ...pkgs])) {
    process.stderr.write(`apt-get could not install ${pkgs.join(' ')}\n`);
    return 1;
  }
  const still = TOOLS.filter((t) => !t.ok()).map((t) => t.pkg);
  if (still.length) {
    process.stderr.write(`still missing after apt-get: ${still.join(' ')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = main();
