// Real-world DICOM nobody here wrote: the sample files pydicom ships (Debian's
// python3-pydicom, data/test_files; see its README.txt for each file's origin).
// The same MR image in every transfer syntax must give the same mask; objects
// the example cannot read get a message saying what they are.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, repoRoot, tempDir } from './helpers.js';
import { dicomProject, freePort, hasDcmtk, startServe, type Serve } from './dicom-loop.js';

const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
if (!fs.existsSync(path.join(PYDICOM, 'MR_small.dcm'))) throw new Error(`${PYDICOM} is missing: .ci/run installs python3-pydicom`);
if (!hasDcmtk) throw new Error('dcmtk is not installed: .ci/run installs it');

const JOB = '22222222-2222-2222-2222-222222222222';
// MR_small in every lossless encoding pydicom has: identical pixels.
const LOSSLESS = ['MR_small.dcm', 'MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'MR_small_expb.dcm', 'MR_small_RLE.dcm', 'MR_small_jpeg_ls_lossless.dcm', 'MR_small_jp2klossless.dcm', 'MR_small_padded.dcm'];

/** Run the example threshold workflow locally on one file; the mask's voxel count or the reader's message. */
async function threshold(file: string): Promise<{ code: number; above: number | null; message: string }> {
  const data = tempDir();
  const input = path.join(data, JOB, 'dicom-reader', 'input');
  fs.mkdirSync(input, { recursive: true });
  fs.copyFileSync(path.join(PYDICOM, file), path.join(input, file));
  const r = await cli(['test', 'threshold-example', JOB, '--runtime', 'process', '--data', data, '--json'], { cwd: repoRoot });
  const mask = path.join(data, JOB, 'threshold', 'output', 'mask.json');
  const log = fs.readFileSync(path.join(data, JOB, 'logs', 'dicom-reader.log'), 'utf8');
  return { code: r.code, above: fs.existsSync(mask) ? JSON.parse(fs.readFileSync(mask, 'utf8')).voxelsAbove : null, message: log };
}

describe('the example reader on pydicom sample files', () => {
  it('MR_small in 8 encodings (implicit, big endian, RLE, JPEG-LS, JPEG 2000, padded): 2377 voxels ≥ 300 every time', async () => {
    const counts: Record<string, number | null> = {};
    for (const f of LOSSLESS) {
      const r = await threshold(f);
      expect(r.code, `${f}: ${r.message}`).toBe(0);
      counts[f] = r.above;
    }
    expect(new Set(Object.values(counts))).toEqual(new Set([2377]));
  });

  it('deflated data (image_dfl.dcm) is read', async () => {
    expect((await threshold('image_dfl.dcm')).code).toBe(0);
  });

  for (const [file, says] of [
    ['JPGExtended.dcm', /JPEG Extended \(Process 2 & 4\) \(1\.2\.840\.10008\.1\.2\.4\.51\), which the example reader cannot decode/],
    ['test-SR.dcm', /is a Comprehensive SR \(structured report\), not an image/],
    ['rtplan.dcm', /is an RT Plan, not an image/],
    ['waveform_ecg.dcm', /is a 12-lead ECG waveform, not an image/],
    ['SC_rgb_rle.dcm', /is a colour image \(RGB, 3 samples per pixel\)/],
  ] as const) {
    it(`${file}: refused with a message saying what it is`, async () => {
      const r = await threshold(file);
      expect(r.code).toBe(1);
      expect(r.message).toMatch(says);
      expect(r.message).not.toMatch(/only 16-bit pixel data/);
    });
  }
});

describe('dicom serve stores what it accepts as received; the masks agree across syntaxes', () => {
  let project: Awaited<ReturnType<typeof dicomProject>>;
  let serve: Serve;
  beforeAll(async () => {
    project = await dicomProject({ pacsPort: await freePort(), downPort: await freePort() });
    serve = await startServe(project.chart, project.data);
  });
  afterAll(async () => {
    serve?.child.kill('SIGTERM');
    await serve?.exited;
  });

  it('storescu proposing RLE, JPEG-LS and JPEG 2000 (and plain): every job\'s mask has 2377 voxels', async () => {
    const sends: [string, string[]][] = [
      ['MR_small.dcm', []],
      ['MR_small_RLE.dcm', ['-xr']],
      ['MR_small_jpeg_ls_lossless.dcm', ['-xt']],
      ['MR_small_jp2klossless.dcm', ['-xv']],
      ['image_dfl.dcm', ['-xd']],
    ];
    for (const [file, flags] of sends) {
      const child = spawnSync('storescu', [...flags, '-aet', 'DCM4CHEE', '-aec', 'THRESH_AI', '127.0.0.1', String(serve.port), path.join(PYDICOM, file)], { env: { ...process.env, TCP_NODELAY: '1' }, encoding: 'utf8' });
      expect(child.status, `${file}: ${child.stderr}`).toBe(0);
    }
    const t0 = Date.now();
    let jobs: any[] = [];
    while (Date.now() - t0 < 30_000) {
      jobs = (await serve.jobs()).filter((j) => j.calledAe === 'THRESH_AI');
      if (jobs.length === sends.length && jobs.every((j) => ['done', 'failed'].includes(j.state))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(jobs).toHaveLength(sends.length);
    const counts = jobs.map((j) => {
      const mask = path.join(project.data, j.id, 'threshold', 'output', 'mask.json');
      return fs.existsSync(mask) ? JSON.parse(fs.readFileSync(mask, 'utf8')).voxelsAbove : `${j.state}: ${j.reason}`;
    });
    // image_dfl is another image; the four MR encodings must agree.
    expect(counts.filter((c) => c === 2377)).toHaveLength(4);
    // Stored as received: the job inputs keep each sender's transfer syntax.
    const syntaxes = jobs.map((j) => {
      const input = path.join(project.data, j.id, 'dicom-reader', 'input');
      const f = fs.readdirSync(input)[0] as string;
      return /\[([0-9.]+)\]/.exec(spawnSync('dcmdump', ['-Un', '+P', '0002,0010', path.join(input, f)], { encoding: 'utf8' }).stdout)?.[1];
    });
    expect(new Set(syntaxes)).toEqual(new Set(['1.2.840.10008.1.2.1', '1.2.840.10008.1.2.5', '1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.1.99']));
  });
});




