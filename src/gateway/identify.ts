// The identifiers intake groups by, read from the head of a received dataset
// (the sender's bytes, before the Part 10 header we add): patient, study,
// series and SOP instance. Only the elements up to group 0020 are parsed, so a
// 500 MB instance costs the same as a small one.
import fs from 'node:fs';
import { createRequire } from 'node:module';

export interface InstanceIds {
  sopInstanceUid: string;
  sopClassUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  patientId: string;
}

/** How many bytes of each dataset intake keeps in memory to read the identifiers. */
export const HEAD_BYTES = 64 * 1024;

const DEFLATED = '1.2.840.10008.1.2.1.99';

/* eslint-disable @typescript-eslint/no-explicit-any */
let dcmjsData: any;
function data(): any {
  if (!dcmjsData) {
    const require = createRequire(import.meta.url);
    const dcmjs = require('dcmjs');
    dcmjs.log?.setLevel?.('silent');
    dcmjsData = dcmjs.data;
  }
  return dcmjsData;
}

/** An element's first value as text, trailing padding removed ('' when absent). */
export const first = (dict: Record<string, any>, tag: string): string => {
  const v = dict[tag]?.Value?.[0];
  return typeof v === 'string' ? v.replace(/[\0 ]+$/, '').trim() : v === undefined || v === null ? '' : String(v);
};

/**
 * Identifiers from a dataset's first bytes. `whole` reads the complete dataset
 * when the head is not enough (deflated data, a header larger than the head).
 */
export function identify(head: Buffer, transferSyntaxUid: string, whole: () => Buffer): InstanceIds {
  const d = data();
  const read = (buf: Buffer) => {
    // dcmjs reads an ArrayBuffer from its start: a buffer that starts its own
    // ArrayBuffer is read in place up to its length, any other is copied.
    const inPlace = buf.byteOffset === 0;
    const ab = inPlace ? buf.buffer : buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const whole = new d.ReadBufferStream(ab, undefined, { start: 0, stop: buf.byteLength, noCopy: false });
    const stream = transferSyntaxUid === DEFLATED ? new d.DeflatedReadBufferStream(whole, {}) : whole;
    const syntax = transferSyntaxUid === '1.2.840.10008.1.2' || transferSyntaxUid === '1.2.840.10008.1.2.2' ? transferSyntaxUid : '1.2.840.10008.1.2.1';
    // Stop at the first element past (0020,000E): nothing beyond is needed (dcmjs
    // does not read the value of untilTag itself, hence the tag after it).
    return d.DicomMessage._read(stream, syntax, { ignoreErrors: true, untilTag: '0020000F', stopOnGreaterTag: true }) as Record<string, any>;
  };
  let dict: Record<string, any> = {};
  try {
    dict = transferSyntaxUid === DEFLATED ? {} : read(head);
  } catch {
    dict = {};
  }
  if (!first(dict, '0020000D') || !first(dict, '00080018')) {
    try {
      dict = read(whole());
    } catch {
      /* reported below as missing identifiers */
    }
  }
  return {
    sopInstanceUid: first(dict, '00080018'),
    sopClassUid: first(dict, '00080016'),
    studyInstanceUid: first(dict, '0020000D'),
    seriesInstanceUid: first(dict, '0020000E'),
    patientId: first(dict, '00100020'),
  };
}

/** The dataset of a Part 10 file we wrote (header length known). */
export function datasetOf(file: string, headerLength: number): Buffer {
  return fs.readFileSync(file).subarray(headerLength);
}
