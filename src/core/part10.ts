// DICOM Part 10 file framing for instances stored byte for byte as received:
// 128-byte preamble, "DICM", then the group 0002 file meta information in
// Explicit VR Little Endian. The dataset that follows is the sender's bytes.

export const UID_RE = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** A UID safe to use as a file name: well-formed and at most 64 characters. */
export function isSafeUid(uid: unknown): uid is string {
  return typeof uid === 'string' && uid.length > 0 && uid.length <= 64 && UID_RE.test(uid);
}

const IMPLEMENTATION_CLASS_UID = '2.25.279817405214830862425393155437460519212';
const IMPLEMENTATION_VERSION = 'CLARA_WF_0.1';

function element(group: number, elem: number, vr: string, value: Buffer): Buffer {
  const longVr = vr === 'OB';
  const head = Buffer.alloc(longVr ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elem, 2);
  head.write(vr, 4, 'latin1');
  if (longVr) head.writeUInt32LE(value.length, 8);
  else head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

const padded = (s: string, pad: string) => Buffer.from(s.length % 2 ? s + pad : s, 'latin1');

export function part10Header(sopClassUid: string, sopInstanceUid: string, transferSyntaxUid: string): Buffer {
  const body = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', padded(sopClassUid, '\0')),
    element(0x0002, 0x0003, 'UI', padded(sopInstanceUid, '\0')),
    element(0x0002, 0x0010, 'UI', padded(transferSyntaxUid, '\0')),
    element(0x0002, 0x0012, 'UI', padded(IMPLEMENTATION_CLASS_UID, '\0')),
    element(0x0002, 0x0013, 'SH', padded(IMPLEMENTATION_VERSION, ' ')),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length, 0);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), element(0x0002, 0x0000, 'UL', length), body]);
}
