// Edits of values.yaml when the file system does not cooperate: a symlinked
// values.yaml, leftovers of a killed run, and write errors (injected with
// CLARA_WF_FAULT_WRITE_ERRNO where the error happens: after the temp file is
// written, before the rename).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceValues, runCli, tempDir } from './helpers.js';

const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => f !== 'values.yaml' && f !== 'real' && f !== 'link.yaml');

describe('values.yaml edits and the file system', () => {
  it('a symlinked values.yaml is edited through the link: the target changes, the link stays', async () => {
    const dir = tempDir({ 'real/values.yaml': referenceValues });
    const link = path.join(dir, 'link.yaml');
    fs.symlinkSync(path.join(dir, 'real', 'values.yaml'), link);
    const r = await runCli(['--values-file', link, 'cs', 'via-link']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'real', 'values.yaml'), 'utf8')).toContain('##BEGIN_via-link##');
    expect(fs.readdirSync(path.join(dir, 'real'))).toEqual(['values.yaml']);
  });

  it('temp and lock files a killed run left behind are removed by the next edit; no empty lock ever', async () => {
    const dir = tempDir({ 'values.yaml': referenceValues });
    const file = path.join(dir, 'values.yaml');
    // pid 2^22+1 is above Linux's pid_max default: never alive.
    const dead = 4194305;
    fs.writeFileSync(path.join(dir, `.values.yaml.${dead}.abcd1234.tmp`), 'half a file');
    fs.writeFileSync(path.join(dir, `.values.yaml.lock.${dead}.abcd1234.lock-tmp`), `${dead} x`);
    fs.writeFileSync(`${file}.lock`, `${dead} deadbeef`);
    const r = await runCli(['--values-file', file, 'cs', 'after-crash']);
    expect(r.code, r.stderr).toBe(0);
    expect(leftovers(dir)).toEqual([]);
  });

  for (const [errno, words] of [
    ['ENOSPC', 'the disk is full'],
    ['EROFS', 'the file system is read-only'],
    ['EPERM', 'the operation is not permitted'],
  ] as const) {
    it(`${errno} is a user error (exit 2) naming the cause; the file keeps its bytes and nothing is left over`, async () => {
      const dir = tempDir({ 'values.yaml': referenceValues });
      const file = path.join(dir, 'values.yaml');
      const r = await runCli(['--values-file', file, 'cs', 'no-room'], { env: { CLARA_WF_FAULT_WRITE_ERRNO: errno } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`cannot write ${file}: ${words} (${errno}`);
      expect(r.stderr).toContain('nothing was changed');
      expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
      expect(fs.readFileSync(file, 'utf8')).toBe(referenceValues);
      expect(leftovers(dir)).toEqual([]);
    });
  }
});
