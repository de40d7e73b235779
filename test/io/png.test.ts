// Tests for readPngGrey with PNGs made here by pngjs: colour to grey, alpha over white, grey and
// 16-bit inputs, and each kind of broken file mapped to a FileFormatError.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG, type ColorType } from 'pngjs';
import { deflateSync } from 'node:zlib';
import { pngHeader, readPngGrey } from '../../src/io/png.js';
import { FileFormatError } from '../../src/util/errors.js';

/** Encodes (height,width) RGBA pixels given as 8-bit [r,g,b,a] per pixel. */
function makePng(width: number, height: number, pixels: number[][], colorType: ColorType = 6, bitDepth: 8 | 16 = 8): Uint8Array {
  const png = new PNG({ width, height });
  pixels.forEach((px, i) => png.data.set(px, i * 4));
  if (bitDepth === 16) {
    // pngjs reads 16-bit input as native-endian u16 RGBA: scale 0..255 to 0..65535.
    png.data = Buffer.from(Uint16Array.from(png.data, (v) => v * 257).buffer);
  }
  return new Uint8Array(PNG.sync.write(png, { colorType, bitDepth, inputColorType: 6 }));
}

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
}

test('colour becomes luminance; alpha composites over white', () => {
  const pixels = [
    [255, 0, 0, 255],
    [0, 255, 0, 255],
    [0, 0, 255, 255],
    [255, 255, 255, 255],
    [0, 0, 0, 255],
    [0, 0, 0, 0],
    [0, 0, 0, 51],
    [100, 100, 100, 255],
  ];
  const { grey, width, height } = readPngGrey(makePng(4, 2, pixels), 'c.png');
  assert.deepEqual([width, height], [4, 2]);
  close(grey, [0.299, 0.587, 0.114, 1, 0, 1, 0.8, 100 / 255]);
});

test('greyscale, grey+alpha, RGB and 16-bit files decode the same', () => {
  const pixels = [[0, 0, 0, 255], [128, 128, 128, 255], [255, 255, 255, 255]];
  for (const [colorType, depth] of [[0, 8], [4, 8], [2, 8], [6, 16]] as Array<[ColorType, 8 | 16]>) {
    const { grey } = readPngGrey(makePng(3, 1, pixels, colorType, depth), 'g.png');
    close(grey, [0, 128 / 255, 1], 1e-3);
  }
});

test('pngHeader reads IHDR without decoding', () => {
  assert.deepEqual(pngHeader(makePng(7, 3, [], 4), 'x.png'), { width: 7, height: 3, bitDepth: 8, colorType: 4, interlaced: false });
});

/** A valid PNG with its IHDR width/height replaced (the IHDR CRC then no longer matches). */
function withSize(width: number, height: number): Uint8Array {
  const bytes = makePng(2, 2, []).slice();
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return bytes;
}

/** Keeps signature + IHDR (33 bytes), then one IDAT with `payload` and a valid CRC, then IEND. */
function withIdat(bytes: Uint8Array, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(33 + 12 + payload.length + 12);
  const view = new DataView(out.buffer);
  out.set(bytes.subarray(0, 33));
  view.setUint32(33, payload.length);
  out.set([0x49, 0x44, 0x41, 0x54], 37); // IDAT
  out.set(payload, 41);
  view.setUint32(41 + payload.length, crc32(out.subarray(37, 41 + payload.length)));
  out.set(bytes.subarray(bytes.length - 12), 45 + payload.length); // IEND
  return out;
}

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

test('broken files are FileFormatErrors', () => {
  const good = makePng(4, 4, Array.from({ length: 16 }, () => [10, 20, 30, 255]));
  const corruptCrc = good.slice();
  corruptCrc[good.length - 20]! ^= 0xff; // inside IDAT (the last 12 bytes are IEND)
  const cases: Array<[string, Uint8Array, string, number?]> = [
    ['empty', new Uint8Array(0), 'e.png: not a PNG file: signature is [], expected [89 50 4e 47 0d 0a 1a 0a]'],
    ['jpeg', Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0), 'e.png: not a PNG file: signature is [ff d8 ff e0 00 00 00 00]'],
    ['signature only', good.slice(0, 8), 'too short for the IHDR chunk'],
    ['no IHDR first', Uint8Array.from([...good.slice(0, 12), 0x49, 0x44, 0x41, 0x54, ...good.slice(16)]), 'first chunk is "IDAT" of 13 bytes, expected "IHDR"'],
    ['zero width', withSize(0, 5), 'image is 0x5, expected at least 1x1 pixels'],
    ['absurd size', withSize(100000, 100000), 'image is 100000x100000 = 10000000000 pixels, more than the limit of 16777216'],
    ['over a custom limit', good, 'image is 4x4 = 16 pixels, more than the limit of 15', 15],
    ['truncated', good.slice(0, good.length - 30), 'e.png: not a valid PNG: truncated: chunk "IDAT" at byte 33 declares'],
    ['no IEND', good.slice(0, good.length - 12), 'e.png: not a valid PNG: truncated: no IEND chunk'],
    ['bad CRC', corruptCrc, 'e.png: not a valid PNG: CRC mismatch in chunk "IDAT" at byte 33'],
    ['IHDR CRC', withSize(3, 3), 'e.png: not a valid PNG: CRC mismatch in chunk "IHDR" at byte 8'],
    ['garbage image data', withIdat(good, new Uint8Array(20).fill(0xff)), 'e.png: not a valid PNG: corrupt image data: '],
    ['too little image data', withIdat(good, deflateSync(new Uint8Array(10))), 'image data inflates to 10 bytes, expected 68 for 4x4'],
    ['too much image data', withIdat(good, deflateSync(new Uint8Array(100))), 'image data inflates to more than 68 bytes, expected 68'],
  ];
  for (const [name, bytes, fragment, limit] of cases) {
    assert.throws(
      () => readPngGrey(bytes, 'e.png', limit),
      (e: unknown) => e instanceof FileFormatError && e.message.includes(fragment),
      `${name}: expected "${fragment}"`,
    );
  }
});

/**
 * A grey PNG written here by the spec (pngjs cannot write these): Adam7-interlaced by the spec's pass
 * table or not, 8-bit or 1-bit (pixels 0/1 packed MSB first, rows padded to a byte), its image data
 * split over `parts` IDAT chunks.
 */
function handPng(width: number, height: number, pixel: (x: number, y: number) => number, o: { interlaced?: boolean; bitDepth?: 1 | 8; parts?: number } = {}): Uint8Array {
  const { interlaced = false, bitDepth = 8, parts = 1 } = o;
  const passes = interlaced ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] : [[0, 0, 1, 1]];
  const raw: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    const xs: number[] = [];
    for (let x = x0!; x < width; x += dx!) xs.push(x);
    if (xs.length === 0) continue; // an empty pass has no scanlines at all
    for (let y = y0!; y < height; y += dy!) {
      raw.push(0); // filter type 0
      if (bitDepth === 8) raw.push(...xs.map((x) => pixel(x, y)));
      else for (let i = 0; i < xs.length; i += 8) raw.push(xs.slice(i, i + 8).reduce((b, x, k) => b | (pixel(x, y) << (7 - k)), 0));
    }
  }
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(Buffer.from(type, 'latin1'), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([bitDepth, 0, 0, 0, interlaced ? 1 : 0], 8); // grey, deflate, filter 0
  const z = deflateSync(Uint8Array.from(raw));
  const idats = Array.from({ length: parts }, (_, i) => chunk('IDAT', z.subarray(Math.floor((i * z.length) / parts), Math.floor(((i + 1) * z.length) / parts))));
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return new Uint8Array(Buffer.concat([Uint8Array.from(sig), chunk('IHDR', ihdr), ...idats, chunk('IEND', new Uint8Array(0))]));
}

test('Adam7-interlaced files decode to the same pixels, for sizes that leave passes empty', () => {
  for (const [w, h] of [[13, 11], [1, 1], [3, 2], [5, 9], [28, 28]] as const) {
    const px = (x: number, y: number) => (x * 37 + y * 11) % 256;
    const bytes = handPng(w, h, px, { interlaced: true });
    assert.equal(pngHeader(bytes, 'i.png').interlaced, true);
    const { grey, width, height } = readPngGrey(bytes, 'i.png');
    assert.deepEqual([width, height], [w, h]);
    close(grey, Array.from({ length: w * h }, (_, i) => px(i % w, Math.floor(i / w)) / 255), 1e-6);
  }
});

test('1-bit files, and image data split over several IDAT chunks', () => {
  for (const [w, h, parts] of [[11, 3, 3], [8, 2, 1], [1, 5, 2], [13, 11, 4]] as const) {
    const px = (x: number, y: number) => (x * 3 + y) % 2;
    for (const interlaced of [false, true]) {
      const { grey } = readPngGrey(handPng(w, h, px, { bitDepth: 1, parts, interlaced }), 'b.png');
      close(grey, Array.from({ length: w * h }, (_, i) => px(i % w, Math.floor(i / w))), 1e-6);
    }
  }
  const px8 = (x: number, y: number) => (x * 50 + y * 7) % 256;
  close(readPngGrey(handPng(9, 4, px8, { parts: 5 }), 'p.png').grey, Array.from({ length: 36 }, (_, i) => px8(i % 9, Math.floor(i / 9)) / 255), 1e-6);
});

// White ink on a transparent background (a common export from drawing apps) composites to white on
// white; the alpha then is the drawing: opaque pixels become ink, drawn dark on white.
test('white ink on transparency: the alpha channel is the drawing', () => {
  const pixels = [[255, 255, 255, 0], [255, 255, 255, 255], [255, 255, 255, 128], [255, 255, 255, 0]];
  const { grey } = readPngGrey(makePng(2, 2, pixels), 'w.png');
  close(grey, [1, 0, 1 - 128 / 255, 1]);
});
