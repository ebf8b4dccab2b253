#!/usr/bin/env node
// Example stage "dicom-writer": writes mask.raw/json from $NVIDIA_CLARA_INPUT
// as a derived DICOM series (mask voxels 1000, background 0) in the same study
// and frame of reference, one file per slice, to $NVIDIA_CLARA_OUTPUT.
import path from 'node:path';
import { newUid, readVolume, writeCtSlice } from './dicom-io.mjs';

const { header, voxels } = readVolume(process.env.NVIDIA_CLARA_INPUT, 'mask');
const series = newUid();
const perSlice = header.rows * header.columns;
const src = header.source ?? {};
for (let k = 0; k < header.slices; k++) {
  const pixels = new Int16Array(perSlice);
  for (let i = 0; i < perSlice; i++) pixels[i] = voxels[k * perSlice + i] ? 1000 : 0;
  writeCtSlice(
    path.join(process.env.NVIDIA_CLARA_OUTPUT, `mask-${String(k + 1).padStart(3, '0')}.dcm`),
    {
      ...src,
      StudyInstanceUID: src.StudyInstanceUID ?? newUid(),
      FrameOfReferenceUID: src.FrameOfReferenceUID ?? newUid(),
      Modality: 'CT',
      SeriesInstanceUID: series,
      SeriesNumber: String(Number(src.SeriesNumber ?? 1) + 1000),
      SeriesDescription: `Threshold mask (HU >= ${header.threshold})`,
      ImageType: ['DERIVED', 'SECONDARY', 'MASK'],
      SOPInstanceUID: newUid(),
      InstanceNumber: String(k + 1),
      Rows: header.rows,
      Columns: header.columns,
      PixelSpacing: header.pixelSpacing.map(String),
      SliceThickness: String(header.sliceThickness),
      ImageOrientationPatient: header.orientation.map(String),
      ImagePositionPatient: header.positions[k].map(String),
      WindowCenter: '500',
      WindowWidth: '1000',
    },
    pixels,
  );
}
console.log(`wrote ${header.slices} mask slices (series ${series})`);
