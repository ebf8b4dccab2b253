#!/usr/bin/env node
// Synthesises a small CT-like series: an elliptical body (40 HU) in air
// (-1000 HU) holding a dense sphere (400 HU), 16-bit signed, one file per slice.
// Usage: node examples/make-test-series.mjs <out-dir> [--slices N] [--size N] [--patient ID]
import fs from 'node:fs';
import path from 'node:path';
import { newUid, writeCtSlice } from './stages/dicom-io.mjs';

const args = process.argv.slice(2);
const out = args.find((a) => !a.startsWith('--'));
const opt = (name, d) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
if (!out) {
  console.error('usage: node examples/make-test-series.mjs <out-dir> [--slices 16] [--size 64] [--patient CLARA-WF-0001]');
  process.exit(2);
}
const slices = opt('slices', 16);
const size = opt('size', 64);
const p = args.indexOf('--patient');
const patient = p >= 0 ? args[p + 1] : 'CLARA-WF-0001';
fs.mkdirSync(out, { recursive: true });
const study = newUid();
const series = newUid();
const frame = newUid();
const spacing = 250 / size;
const thickness = 2.5;
let dense = 0;
for (let k = 0; k < slices; k++) {
  const pixels = new Int16Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const bx = (x - size / 2) / (size * 0.45);
      const by = (y - size / 2) / (size * 0.35);
      const sx = x - size * 0.55;
      const sy = y - size * 0.5;
      const sz = (k - slices / 2) * (thickness / spacing);
      let hu = -1000;
      if (bx * bx + by * by <= 1) hu = 40;
      if (sx * sx + sy * sy + sz * sz <= (size * 0.15) ** 2) {
        hu = 400;
        dense++;
      }
      pixels[y * size + x] = hu;
    }
  }
  writeCtSlice(
    path.join(out, `slice-${String(k + 1).padStart(3, '0')}.dcm`),
    {
      PatientName: 'Synthetic^Phantom',
      PatientID: patient,
      StudyInstanceUID: study,
      StudyDate: '20261121',
      StudyTime: '120000',
      StudyID: '1',
      AccessionNumber: 'WF0001',
      SeriesInstanceUID: series,
      SeriesNumber: '1',
      SeriesDescription: 'Synthetic CT phantom',
      Modality: 'CT',
      FrameOfReferenceUID: frame,
      SOPInstanceUID: newUid(),
      InstanceNumber: String(k + 1),
      ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
      Rows: size,
      Columns: size,
      PixelSpacing: [String(spacing), String(spacing)],
      SliceThickness: String(thickness),
      ImageOrientationPatient: ['1', '0', '0', '0', '1', '0'],
      ImagePositionPatient: ['-125', '-125', String(k * thickness)],
      WindowCenter: '40',
      WindowWidth: '400',
    },
    pixels,
  );
}
console.log(`wrote ${slices} slices of ${size}x${size} to ${out} (${dense} voxels at 400 HU)`);
