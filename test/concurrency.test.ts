// Real processes: concurrent edits serialise under the lock, and kill -9 in
// the middle of a write leaves the old or the new file, never a partial one.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPackageText } from '../src/adapters/package-files.js';
import { stageSpec, stageTemplateData } from '../src/core/stage.js';
import { renderTemplate } from '../src/core/text-templates.js';
import { checkValues } from '../src/core/validate-values.js';
import { upsertStageBlock } from '../src/core/values-edit.js';
import { prng, referenceValues, runCli, spawnCli, tempDir } from './helpers.js';

describe('concurrent cs', () => {
  it('10 processes at once: all 10 blocks present, file valid', async () => {
    const dir = tempDir({ 'values.yaml': referenceValues });
    const file = path.join(dir, 'values.yaml');
    const names = Array.from({ length: 10 }, (_, i) => `par-${i}`);
    const results = await Promise.all(names.map((n) => runCli(['--values-file', file, 'cs', n, '--tag', '1.0'])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const check = checkValues(fs.readFileSync(file, 'utf8'), 'v');
    expect(check.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const n of names) expect(check.fences.map((f) => f.name)).toContain(n);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    // Everything that was there before is still there, byte for byte.
    expect(fs.readFileSync(file, 'utf8').startsWith(referenceValues.slice(0, referenceValues.indexOf('  ##END_dicom-writer##')))).toBe(true);
  });
});

describe('kill -9 during writes', () => {
  it('the file is always the old or the new content', async () => {
    const dir = tempDir({ 'values.yaml': referenceValues });
    const file = path.join(dir, 'values.yaml');
    const template = readPackageText('templates', 'stage-block.hbs');
    const rnd = prng(7);
    let current = referenceValues;
    let killedMidWrite = 0;
    let completed = 0;
    for (let i = 0; i < 16; i++) {
      const name = `kill-${i}`;
      const check = checkValues(current, 'v');
      const next = upsertStageBlock(current, check, name, renderTemplate(template, stageTemplateData(name, stageSpec(name, { tag: '1' }))));
      // Half the runs pause halfway through writing the temp file (fault
      // injection), so the kill lands mid-write; the others die at random.
      const pause = i % 2 === 0;
      const child = spawnCli(['--values-file', file, 'cs', name, '--tag', '1'], { env: pause ? { CLARA_WF_FAULT_PAUSE_MS: '2000' } : {} });
      const closed = new Promise((r) => child.on('close', r));
      let tempSeen = false;
      if (pause) {
        // Wait until the partial temp file exists, then kill.
        const t0 = Date.now();
        while (Date.now() - t0 < 10_000) {
          if (fs.readdirSync(dir).some((f) => f.endsWith('.tmp'))) {
            tempSeen = true;
            break;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      } else {
        await new Promise((r) => setTimeout(r, Math.floor(rnd() * 150)));
      }
      child.kill('SIGKILL');
      await closed;
      const now = fs.readFileSync(file, 'utf8');
      expect([current, next]).toContain(now);
      if (tempSeen) {
        killedMidWrite++;
        expect(now).toBe(current);
      }
      if (now === next) completed++;
      current = now;
      expect(checkValues(current, 'v').ok).toBe(true);
    }
    expect(killedMidWrite).toBeGreaterThanOrEqual(6);
    // A stale lock left by a killed process does not block the next run.
    const r = await runCli(['--values-file', file, 'cs', 'after-kills', '--tag', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(checkValues(fs.readFileSync(file, 'utf8'), 'v').fences.map((f) => f.name)).toContain('after-kills');
    expect(completed + killedMidWrite).toBeLessThanOrEqual(16);
  });
});
