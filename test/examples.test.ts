// The README's local run: synthetic CT series → example workflow → DICOM output.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import dcmjs from 'dcmjs';
import { describe, expect, it } from 'vitest';
import { cli, repoRoot, tempDir } from './helpers.js';

const JOB = '11111111-1111-1111-1111-111111111111';

describe('example workflow (threshold-example)', () => {
  it('runs end to end on a synthetic series; the output is a DICOM series that parses', async () => {
    const data = tempDir();
    const input = path.join(data, JOB, 'dicom-reader', 'input');
    const made = spawnSync(process.execPath, [path.join(repoRoot, 'examples', 'make-test-series.mjs'), input, '--slices', '12', '--size', '48'], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const r = await cli(['test', 'threshold-example', JOB, '--runtime', 'process', '--data', data, '--json'], { cwd: repoRoot });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).stages.map((s: any) => `${s.name}:${s.status}`)).toEqual(['dicom-reader:done', 'threshold:done', 'dicom-writer:done']);

    const outDir = path.join(data, JOB, 'dicom-writer', 'output');
    const files = fs.readdirSync(outDir).sort();
    expect(files).toHaveLength(12);
    const inputStudy = new Set<string>();
    for (const f of fs.readdirSync(input)) {
      const b = fs.readFileSync(path.join(input, f));
      inputStudy.add(dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)).dict).StudyInstanceUID);
    }
    let maskVoxels = 0;
    const series = new Set<string>();
    for (const f of files) {
      const b = fs.readFileSync(path.join(outDir, f));
      const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)).dict);
      expect(ds.ImageType).toEqual(['DERIVED', 'SECONDARY', 'MASK']);
      expect(inputStudy.has(ds.StudyInstanceUID)).toBe(true);
      series.add(ds.SeriesInstanceUID);
      const px = new Int16Array(ds.PixelData[0]);
      for (const v of px) if (v === 1000) maskVoxels++;
    }
    expect(series.size).toBe(1);
    // make-test-series reports how many voxels it set to 400 HU; threshold 300 finds exactly those.
    expect(maskVoxels).toBe(Number(/\((\d+) voxels at 400 HU\)/.exec(made.stdout)?.[1]));

    const dcmdump = spawnSync('dcmdump', ['--version'], { encoding: 'utf8' });
    if (dcmdump.status === 0) {
      const d = spawnSync('dcmdump', [path.join(outDir, files[0] as string)], { encoding: 'utf8' });
      expect(d.status, d.stderr).toBe(0);
      expect(d.stdout).toContain('Threshold mask (HU >= 300)');
    } else {
      console.log('dcmdump not installed: skipped the dcmtk check of the example output');
    }
  });
});
