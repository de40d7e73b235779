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

/** Inflates the image data to check it; non-interlaced images must give exactly the rows they need. */
function checkImageData(idat: Uint8Array[], header: PngHeader, file: string): void {
  const channels = CHANNELS[header.colorType] ?? 4;
  const rowBytes = Math.ceil((header.width * channels * header.bitDepth) / 8) + 1; // + filter byte
  const needed = rowBytes * header.height; // interlaced images need somewhat less
  let raw: Uint8Array;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: needed + 1 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw invalid(file, `image data inflates to more than ${needed} bytes, expected ${needed} for ${header.width}x${header.height}`);
    }
    throw invalid(file, `corrupt image data: ${(e as Error).message}`);
  }
  if (!header.interlaced && raw.length !== needed) {
    throw invalid(file, `image data inflates to ${raw.length} bytes, expected ${needed} for ${header.width}x${header.height}`);
  }
}

/** Decodes a PNG (any colour type / depth) to grey; alpha is composited over white. */
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
  for (let p = 0, i = 0; p < grey.length; p++, i += 4) {
    const luma = (WR * rgba[i]! + WG * rgba[i + 1]! + WB * rgba[i + 2]!) / 255;
    const alpha = rgba[i + 3]! / 255;
    grey[p] = Math.min(1, alpha * luma + (1 - alpha));
  }
  return { grey, width, height };
}
