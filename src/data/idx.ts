// Strict parser for unsigned-byte IDX files (the MNIST container: a magic number, big-endian
// dimension sizes, then raw bytes). Environment-agnostic: takes bytes, never touches the file system
// and never gunzips (datasets.ts does that on the Node side). Only data type 0x08 (ubyte) is read.

import { FileFormatError } from '../util/errors.js';

/** A parsed IDX file: `dims` e.g. [60000, 28, 28]; `data` is a view of length prod(dims). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;
// IDX data types: ubyte, sbyte, short, int, float, double. Only UBYTE is read.
const IDX_TYPES = new Set([0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e]);
const MAX_DIMS = 4;

function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

function readU32BE(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/**
 * Parses an unsigned-byte IDX file. `file` names it in error messages.
 * Magic: 0x00 0x00 0x08 <ndims>, e.g. 0x00000803 for images (N,H,W), 0x00000801 for labels (N).
 * The returned `data` is a subarray of `bytes` (no copy). Trailing bytes are an error.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) {
    throw new FileFormatError(file, `file has ${bytes.length} bytes, too short for an IDX header (at least 4 bytes)`);
  }
  const magic = readU32BE(bytes, 0);
  if (bytes[0] !== 0 || bytes[1] !== 0 || !IDX_TYPES.has(bytes[2]!)) {
    throw new FileFormatError(
      file,
      `bad magic ${hex32(magic)}, expected 0x00000803 (images) or 0x00000801 (labels)`,
    );
  }
  if (bytes[2] !== UBYTE) {
    const found = '0x' + bytes[2]!.toString(16).padStart(2, '0');
    throw new FileFormatError(
      file,
      `magic ${hex32(magic)} declares data type ${found}, expected 0x08 (unsigned byte)`,
    );
  }
  const ndims = bytes[3]!;
  if (ndims < 1 || ndims > MAX_DIMS) {
    throw new FileFormatError(
      file,
      `magic ${hex32(magic)} declares ${ndims} dimensions, expected 1 to ${MAX_DIMS}`,
    );
  }

  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new FileFormatError(
      file,
      `file has ${bytes.length} bytes but its header declares ${ndims} dimensions and needs ${headerBytes} bytes`,
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(readU32BE(bytes, 4 + 4 * i));

  // The product of four u32 values can exceed 2^53; it is then inexact but still far beyond any file.
  const dataBytes = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + dataBytes;
  if (bytes.length !== expected) {
    const problem = bytes.length < expected ? '' : `: ${bytes.length - expected} trailing bytes`;
    throw new FileFormatError(
      file,
      `file has ${bytes.length} bytes but header declares ${dims.join('x')} = ${dataBytes} bytes ` +
        `of data after a ${headerBytes}-byte header (${expected} in all)${problem}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes, expected) };
}

/**
 * The whole size (header + data) an IDX file declares, from its first bytes; null when they are
 * too few or not an IDX header (parseIdx then says why). Used to bound gzip inflation.
 */
export function idxDeclaredBytes(prefix: Uint8Array): number | null {
  if (prefix.length < 4 || prefix[0] !== 0 || prefix[1] !== 0 || !IDX_TYPES.has(prefix[2]!)) return null;
  const ndims = prefix[3]!;
  if (ndims < 1 || ndims > MAX_DIMS || prefix.length < 4 + 4 * ndims) return null;
  const size = [0x08, 0x09].includes(prefix[2]!) ? 1 : prefix[2] === 0x0b ? 2 : prefix[2] === 0x0e ? 8 : 4;
  let n = size;
  for (let i = 0; i < ndims; i++) n *= readU32BE(prefix, 4 + 4 * i);
  return 4 + 4 * ndims + n;
}

/** Builds an unsigned-byte IDX file (for tests and for writing small subsets). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const size = dims.reduce((a, b) => a * b, 1);
  if (dims.length < 1 || dims.length > MAX_DIMS || size !== data.length) {
    throw new Error(`encodeIdx: dims [${dims.join(', ')}] do not fit ${data.length} bytes`);
  }
  const out = new Uint8Array(4 + 4 * dims.length + size);
  const view = new DataView(out.buffer);
  view.setUint32(0, (UBYTE << 8) | dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
