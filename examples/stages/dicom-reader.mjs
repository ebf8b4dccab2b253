#!/usr/bin/env node
// Example stage "dicom-reader": reads the DICOM series in $NVIDIA_CLARA_INPUT
// and writes it as volume.raw (Float32 HU) + volume.json to $NVIDIA_CLARA_OUTPUT.
import { readDicomFiles, seriesToVolume, writeVolume } from './dicom-io.mjs';

const input = process.env.NVIDIA_CLARA_INPUT;
const output = process.env.NVIDIA_CLARA_OUTPUT;
const files = await readDicomFiles(input).catch((e) => {
  console.error(e.message);
  process.exit(2);
});
let volume;
try {
  volume = seriesToVolume(files);
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
const { header, voxels } = volume;
writeVolume(output, 'volume', header, voxels, 'float32');
console.log(`read ${files.length} DICOM files: ${header.columns}x${header.rows}x${header.slices} volume`);
