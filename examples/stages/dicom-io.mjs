// DICOM reading and writing for the example stages, with dcmjs.
// Volumes travel between stages as <name>.raw (little-endian voxels, slice by
// slice) plus <name>.json (geometry and the DICOM attributes to carry over).
import fs from 'node:fs';
import path from 'node:path';
import dcmjs from 'dcmjs';

const { DicomMessage, DicomMetaDictionary, DicomDict } = dcmjs.data;
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
const IMPLEMENTATION_UID = '2.25.279817405214830862425393155437460519212';

dcmjs.log.setLevel?.('error');

/** All DICOM files under `dir` (recursively), parsed; non-DICOM files are skipped. */
export function readDicomFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const bytes = fs.readFileSync(file);
    if (bytes.length < 132 || bytes.toString('latin1', 128, 132) !== 'DICM') continue;
    const dict = DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    out.push({ file, meta: DicomMetaDictionary.naturalizeDataset(dict.meta), dataset: DicomMetaDictionary.naturalizeDataset(dict.dict) });
  }
  return out;
}

const num = (v, d) => (Array.isArray(v) ? Number(v[0]) : v === undefined || v === '' ? d : Number(v));

/** The slices of one series as a Float32 volume of stored values × slope + intercept (HU for CT). */
export function seriesToVolume(files) {
  if (!files.length) throw new Error('no DICOM files in the input folder');
  const series = new Map();
  for (const f of files) {
    const uid = f.dataset.SeriesInstanceUID;
    series.set(uid, [...(series.get(uid) ?? []), f]);
  }
  if (series.size > 1) throw new Error(`the input holds ${series.size} series; the example reader takes one`);
  const slices = [...series.values()][0];
  const z = (s) => (s.dataset.ImagePositionPatient ? Number(s.dataset.ImagePositionPatient[2]) : num(s.dataset.InstanceNumber, 0));
  slices.sort((a, b) => z(a) - z(b));
  const first = slices[0].dataset;
  const rows = first.Rows;
  const columns = first.Columns;
  const voxels = new Float32Array(rows * columns * slices.length);
  slices.forEach((s, k) => {
    const ds = s.dataset;
    if (ds.Rows !== rows || ds.Columns !== columns) throw new Error(`slice ${s.file} is ${ds.Rows}x${ds.Columns}, not ${rows}x${columns}`);
    if (ds.BitsAllocated !== 16) throw new Error(`slice ${s.file}: only 16-bit pixel data is supported`);
    const raw = Array.isArray(ds.PixelData) ? ds.PixelData[0] : ds.PixelData;
    const pixels = ds.PixelRepresentation === 1 ? new Int16Array(raw) : new Uint16Array(raw);
    const slope = num(ds.RescaleSlope, 1);
    const intercept = num(ds.RescaleIntercept, 0);
    for (let i = 0; i < rows * columns; i++) voxels[k * rows * columns + i] = pixels[i] * slope + intercept;
  });
  const keep = ['StudyInstanceUID', 'StudyDate', 'StudyTime', 'StudyID', 'AccessionNumber', 'PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'FrameOfReferenceUID', 'Modality', 'SeriesNumber', 'SeriesDescription'];
  return {
    header: {
      rows,
      columns,
      slices: slices.length,
      pixelSpacing: (first.PixelSpacing ?? [1, 1]).map(Number),
      sliceThickness: num(first.SliceThickness, 1),
      orientation: (first.ImageOrientationPatient ?? [1, 0, 0, 0, 1, 0]).map(Number),
      positions: slices.map((s) => (s.dataset.ImagePositionPatient ?? [0, 0, z(s)]).map(Number)),
      source: Object.fromEntries(keep.filter((k) => first[k] !== undefined).map((k) => [k, first[k]])),
    },
    voxels,
  };
}

export function writeVolume(dir, name, header, voxels, type) {
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ ...header, type }, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, `${name}.raw`), Buffer.from(voxels.buffer, voxels.byteOffset, voxels.byteLength));
}

export function readVolume(dir, name) {
  const header = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const bytes = fs.readFileSync(path.join(dir, `${name}.raw`));
  const Type = { float32: Float32Array, uint8: Uint8Array, int16: Int16Array }[header.type];
  if (!Type) throw new Error(`${name}.json: unknown voxel type ${header.type}`);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const voxels = new Type(copy.buffer);
  if (voxels.length !== header.rows * header.columns * header.slices) throw new Error(`${name}.raw holds ${voxels.length} voxels, the header says ${header.rows}x${header.columns}x${header.slices}`);
  return { header, voxels };
}

/** A fresh UID under the 2.25 (UUID) root. */
export function newUid() {
  return DicomMetaDictionary.uid();
}

/** Write one 16-bit signed slice as a CT Image Storage file (Explicit VR Little Endian). */
export function writeCtSlice(file, attrs, pixels) {
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: CT_IMAGE_STORAGE,
    MediaStorageSOPInstanceUID: attrs.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LE,
    ImplementationClassUID: IMPLEMENTATION_UID,
    ImplementationVersionName: 'CLARA_WF_EXAMPLE',
  };
  const dataset = {
    SOPClassUID: CT_IMAGE_STORAGE,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 1,
    RescaleSlope: '1',
    RescaleIntercept: '0',
    ...attrs,
    PixelData: pixels.buffer.slice(pixels.byteOffset, pixels.byteOffset + pixels.byteLength),
    _vrMap: { PixelData: 'OW' },
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  fs.writeFileSync(file, Buffer.from(dict.write()));
}
