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

// Transfer syntaxes the reader decodes. Uncompressed and deflated data dcmjs
// reads itself; big endian and compressed pixel data go through dcmjs-codecs
// (the same author's WebAssembly build of libjpeg-turbo, CharLS and OpenJPEG,
// MIT), which dcmjs-dimse uses for transcoding too.
const PLAIN = new Set(['1.2.840.10008.1.2', EXPLICIT_VR_LE, '1.2.840.10008.1.2.1.99']);
export const DECODED = {
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (Process 1)',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1 (Process 14)',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
};
const NOT_DECODED = {
  '1.2.840.10008.1.2.4.51': 'JPEG Extended (Process 2 & 4)',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless (Process 14)',
};
const SOP_CLASSES = {
  '1.2.840.10008.5.1.4.1.1.88.11': 'a Basic Text SR (structured report)',
  '1.2.840.10008.5.1.4.1.1.88.22': 'an Enhanced SR (structured report)',
  '1.2.840.10008.5.1.4.1.1.88.33': 'a Comprehensive SR (structured report)',
  '1.2.840.10008.5.1.4.1.1.481.5': 'an RT Plan',
  '1.2.840.10008.5.1.4.1.1.481.3': 'an RT Structure Set',
  '1.2.840.10008.5.1.4.1.1.9.1.1': 'a 12-lead ECG waveform',
  '1.2.840.10008.5.1.4.1.1.104.1': 'an Encapsulated PDF',
};

let codecs = null;
async function transcoder() {
  if (!codecs) {
    codecs = await import('dcmjs-codecs');
    codecs = codecs.default ?? codecs;
    await codecs.NativeCodecs.initializeAsync();
  }
  return codecs;
}

/** All DICOM files under `dir` (recursively), parsed and with their pixel data decoded; non-DICOM files are skipped. */
export async function readDicomFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const bytes = fs.readFileSync(file);
    if (bytes.length < 132 || bytes.toString('latin1', 128, 132) !== 'DICM') continue;
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const dict = DicomMessage.readFile(ab);
    const meta = DicomMetaDictionary.naturalizeDataset(dict.meta);
    const ts = meta.TransferSyntaxUID;
    let dataset = DicomMetaDictionary.naturalizeDataset(dict.dict);
    if (!PLAIN.has(ts) && dataset.PixelData !== undefined) {
      if (NOT_DECODED[ts] || !DECODED[ts]) throw new Error(`${file}: its pixel data is in ${NOT_DECODED[ts] ?? 'the transfer syntax'} (${ts}), which the example reader cannot decode; send it uncompressed or in one of: ${Object.values(DECODED).join(', ')}`);
      const { Transcoder } = await transcoder();
      const t = new Transcoder(ab);
      t.transcode(EXPLICIT_VR_LE);
      dataset = t.getElements();
    }
    out.push({ file, meta, dataset });
  }
  return out;
}

/** Why a file cannot be a slice of the example's volume, or null. */
function notAnImage(f) {
  const ds = f.dataset;
  if (ds.PixelData === undefined) {
    const what = SOP_CLASSES[ds.SOPClassUID] ?? `a ${ds.Modality ?? ''} object of SOP class ${ds.SOPClassUID}`.replace('a  object', 'an object');
    return `${f.file} is ${what}, not an image: the example reader takes one series of grayscale images (CT, MR)`;
  }
  if ((ds.SamplesPerPixel ?? 1) !== 1) return `${f.file} is a colour image (${ds.PhotometricInterpretation}, ${ds.SamplesPerPixel} samples per pixel): the example reader takes grayscale images (CT, MR)`;
  if (ds.BitsAllocated !== 8 && ds.BitsAllocated !== 16) return `${f.file} has ${ds.BitsAllocated}-bit pixels: the example reader takes 8- or 16-bit grayscale images`;
  if ((ds.NumberOfFrames ?? 1) > 1) return `${f.file} is a multi-frame image (${ds.NumberOfFrames} frames): the example reader takes one frame per file`;
  return null;
}

const num = (v, d) => (Array.isArray(v) ? Number(v[0]) : v === undefined || v === '' ? d : Number(v));

/** The slices of one series as a Float32 volume of stored values × slope + intercept (HU for CT). */
export function seriesToVolume(files) {
  if (!files.length) throw new Error('no DICOM files in the input folder');
  for (const f of files) {
    const why = notAnImage(f);
    if (why) throw new Error(why);
  }
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
    const raw = Array.isArray(ds.PixelData) ? ds.PixelData[0] : ds.PixelData;
    const signed = ds.PixelRepresentation === 1;
    const pixels = ds.BitsAllocated === 8 ? (signed ? new Int8Array(raw) : new Uint8Array(raw)) : signed ? new Int16Array(raw, 0, rows * columns) : new Uint16Array(raw, 0, rows * columns);
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
