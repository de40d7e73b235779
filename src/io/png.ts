// Reads a PNG file into grey intensities in [0,1] (Node: decodes with the pure-JS pngjs package).
// Before decoding it checks the signature, the IHDR size (absurd dimensions are refused without
// allocating), every chunk's length and CRC, and that the image data inflates: pngjs's sync
// decoder turns some corrupt data into black pixels silently. It does not resize or centre digits.

import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { FileFormatError } from '../util/errors.js';

export interface GreyImage {
  /** (height, width) row-major, 0 = black, 1 = white. */
  grey: Float32Array;
  width: number;
  height: number;
}

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IHDR_END = 8 + 4 + 4 + 13; // signature, chunk length, chunk type, IHDR payload
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }; // by colour type

// ITU-R BT.601 luma, as in PIL's convert('L').
const WR = 0.299, WG = 0.587, WB = 0.114;
// Less grey-level spread than this is a blank picture (as in data/digit.ts).
const MIN_CONTRAST = 0.05;

function invalid(file: string, problem: string): FileFormatError {
  return new FileFormatError(file, `not a valid PNG: ${problem}`);
}

/** The IHDR fields; throws FileFormatError if the file does not start like a PNG. */
export function pngHeader(bytes: Uint8Array, file: string): PngHeader {
  if (bytes.length < SIGNATURE.length || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    const found = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new FileFormatError(file, `not a PNG file: signature is [${found}], expected [89 50 4e 47 0d 0a 1a 0a]`);
  }
  if (bytes.length < IHDR_END) throw invalid(file, `file has ${bytes.length} bytes, too short for the IHDR chunk`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (type !== 'IHDR' || view.getUint32(8) !== 13) {
    throw invalid(file, `first chunk is "${type}" of ${view.getUint32(8)} bytes, expected "IHDR" of 13`);
  }
  return {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: bytes[24]!,
    colorType: bytes[25]!,
    interlaced: bytes[28] === 1,
  };
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Walks the chunks (each must fit and match its CRC, the last must be IEND); returns IDAT payloads. */
function checkChunks(bytes: Uint8Array, file: string): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let at = SIGNATURE.length;
  while (at < bytes.length) {
    if (bytes.length - at < 12) throw invalid(file, `truncated chunk header at byte ${at}`);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const remain = bytes.length - at - 12;
    if (length > remain) {
      throw invalid(file, `truncated: chunk "${type}" at byte ${at} declares ${length} bytes, only ${remain} remain`);
    }
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) {
      throw invalid(file, `CRC mismatch in chunk "${type}" at byte ${at}`);
    }
    if (type === 'IDAT') idat.push(bytes.subarray(at + 8, at + 8 + length));
    at += 12 + length;
    if (type === 'IEND') return idat;
  }
  throw invalid(file, 'truncated: no IEND chunk');
}

// Adam7 passes: first column and row, column and row step.
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

/** Bytes of filtered scanlines the image data must inflate to (each row: a filter byte + pixels). */
export function imageDataBytes(h: PngHeader): number {
  const channels = CHANNELS[h.colorType] ?? 4;
  const rows = (w: number, n: number) => (w > 0 && n > 0 ? n * (Math.ceil((w * channels * h.bitDepth) / 8) + 1) : 0);
  if (!h.interlaced) return rows(h.width, h.height);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy)), 0);
}

/** Inflates the image data to check it gives exactly the scanlines the header needs (Adam7 too). */
function checkImageData(idat: Uint8Array[], header: PngHeader, file: string): void {
  const needed = imageDataBytes(header);
  let raw: Uint8Array;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: needed + 1 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw invalid(file, `image data inflates to more than ${needed} bytes, expected ${needed} for ${header.width}x${header.height}`);
    }
    throw invalid(file, `corrupt image data: ${(e as Error).message}`);
  }
  if (raw.length !== needed) {
    throw invalid(file, `image data inflates to ${raw.length} bytes, expected ${needed} for ${header.width}x${header.height}${header.interlaced ? ' interlaced' : ''}`);
  }
}

/**
 * Decodes a PNG (any colour type / depth, interlaced or not) to grey; alpha is composited over
 * white, unless only the alpha channel has contrast: then it is the ink.
 */
export function readPngGrey(bytes: Uint8Array, file: string, maxPixels = 4096 * 4096): GreyImage {
  const header = pngHeader(bytes, file);
  const { width, height } = header;
  if (width === 0 || height === 0) {
    throw new FileFormatError(file, `image is ${width}x${height}, expected at least 1x1 pixels`);
  }
  if (width * height > maxPixels) {
    throw new FileFormatError(file, `image is ${width}x${height} = ${width * height} pixels, more than the limit of ${maxPixels}`);
  }
  checkImageData(checkChunks(bytes, file), header, file);

  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw invalid(file, (e as Error).message);
  }
  // pngjs always hands back 8-bit RGBA: data is (height, width, 4).
  const rgba = png.data;
  if (png.width !== width || png.height !== height || rgba.length !== width * height * 4) {
    throw invalid(file, `decoded ${png.width}x${png.height}, header says ${width}x${height}`);
  }
  const grey = new Float32Array(width * height);
  let lo = 1, hi = 0, alphaLo = 1, alphaHi = 0;
  for (let p = 0, i = 0; p < grey.length; p++, i += 4) {
    const luma = (WR * rgba[i]! + WG * rgba[i + 1]! + WB * rgba[i + 2]!) / 255;
    const alpha = rgba[i + 3]! / 255;
    const v = Math.min(1, alpha * luma + (1 - alpha));
    grey[p] = v;
    lo = Math.min(lo, v), hi = Math.max(hi, v), alphaLo = Math.min(alphaLo, alpha), alphaHi = Math.max(alphaHi, alpha);
  }
  // White ink on a transparent background composites to white on white: when the colours carry
  // no contrast but the alpha does, the alpha is the drawing (opaque = ink, drawn dark on white).
  if (hi - lo < MIN_CONTRAST && alphaHi - alphaLo >= MIN_CONTRAST) {
    for (let p = 0; p < grey.length; p++) grey[p] = 1 - rgba[4 * p + 3]! / 255;
  }
  return { grey, width, height };
}
