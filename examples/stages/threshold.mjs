#!/usr/bin/env node
// Example stage "threshold": a binary threshold, the simplest segmentation.
// Voxels with HU >= --min (default 200) become 1, the rest 0. Reads
// volume.raw/json from $NVIDIA_CLARA_INPUT, writes mask.raw/json.
import { readVolume, writeVolume } from './dicom-io.mjs';

const args = process.argv.slice(2);
const i = args.indexOf('--min');
const min = i >= 0 ? Number(args[i + 1]) : 200;
if (!Number.isFinite(min)) {
  console.error(`--min takes a number of Hounsfield units, not ${args[i + 1]}`);
  process.exit(2);
}
// --delay <ms>: wait before working (a slow model, for demos and the crash tests).
const d = args.indexOf('--delay');
if (d >= 0) await new Promise((r) => setTimeout(r, Number(args[d + 1]) || 0));
const { header, voxels } = readVolume(process.env.NVIDIA_CLARA_INPUT, 'volume');
const mask = new Uint8Array(voxels.length);
let count = 0;
for (let v = 0; v < voxels.length; v++) {
  if (voxels[v] >= min) {
    mask[v] = 1;
    count++;
  }
}
writeVolume(process.env.NVIDIA_CLARA_OUTPUT, 'mask', { ...header, threshold: min, voxelsAbove: count }, mask, 'uint8');
console.log(`threshold ${min} HU: ${count} of ${voxels.length} voxels`);
