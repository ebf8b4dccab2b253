// The gateway's instance files: syncing a folder, and checking a file against
// the length and CRC-32 its record names.
import fs from 'node:fs';
import { crc32 } from 'node:zlib';

export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether a file has the length and CRC-32 its journal record names: null
 * when it does, else what is wrong with it.
 */
export function fileMatches(file: string, bytes: number, crc: number): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'is missing';
    throw e;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size !== bytes) return `has ${size} of its ${bytes} bytes`;
    const buf = Buffer.allocUnsafe(Math.min(bytes, 1 << 20) || 1);
    let sum = 0;
    for (let off = 0; off < bytes; ) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, bytes - off), off);
      if (n <= 0) return `ends after ${off} of its ${bytes} bytes`;
      sum = crc32(buf.subarray(0, n), sum);
      off += n;
    }
    return sum === crc ? null : 'does not match its CRC-32';
  } finally {
    fs.closeSync(fd);
  }
}
