// Tests for the strict IDX parser: well-formed files parse to views, each malformation names the file
// and says what was expected and found. No file system access here (datasets.test.ts does that).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeIdx, idxDeclaredBytes, parseIdx } from '../../src/data/idx.js';
import { FileFormatError } from '../../src/util/errors.js';

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

test('parses images and labels', () => {
  const images = encodeIdx([2, 3, 2], Uint8Array.from({ length: 12 }, (_, i) => i * 10));
  const parsed = parseIdx(images, 'imgs');
  assert.deepEqual(parsed.dims, [2, 3, 2]);
  assert.deepEqual([...parsed.data], Array.from({ length: 12 }, (_, i) => i * 10));

  const labels = parseIdx(bytes(0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9), 'labels');
  assert.deepEqual(labels.dims, [3]);
  assert.deepEqual([...labels.data], [7, 0, 9]);
});

test('big-endian dimensions, 4 dims, and an empty dimension', () => {
  const big = parseIdx(encodeIdx([1, 1, 1, 300], new Uint8Array(300)), 'f');
  assert.deepEqual(big.dims, [1, 1, 1, 300]);
  assert.deepEqual(parseIdx(encodeIdx([0, 28, 28], new Uint8Array(0)), 'f').dims, [0, 28, 28]);
});

test('a truncated MNIST images file gets the full message', () => {
  // 60000x28x28 header followed by too little data.
  const head = bytes(0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28);
  const file = new Uint8Array(1000);
  file.set(head);
  assert.throws(
    () => parseIdx(file, 'train-images-idx3-ubyte'),
    (e: unknown) =>
      e instanceof FileFormatError &&
      e.message ===
        'train-images-idx3-ubyte: file has 1000 bytes but header declares 60000x28x28 = 47040000 bytes ' +
          'of data after a 16-byte header (47040016 in all)',
  );
});

const malformed: Array<[string, Uint8Array, string]> = [
  ['empty file', bytes(), 'f: file has 0 bytes, too short for an IDX header (at least 4 bytes)'],
  ['bad magic', bytes(0, 0, 0, 0), 'f: bad magic 0x00000000, expected 0x00000803 (images) or 0x00000801 (labels)'],
  ['gzip not unpacked', bytes(0x1f, 0x8b, 8, 0), 'f: bad magic 0x1f8b0800, expected 0x00000803'],
  ['unknown type', bytes(0, 0, 0x07, 1), 'f: bad magic 0x00000701, expected 0x00000803'],
  ['float data', bytes(0, 0, 0x0d, 3), 'f: magic 0x00000d03 declares data type 0x0d, expected 0x08 (unsigned byte)'],
  ['zero dims', bytes(0, 0, 8, 0), 'f: magic 0x00000800 declares 0 dimensions, expected 1 to 4'],
  ['five dims', bytes(0, 0, 8, 5), 'f: magic 0x00000805 declares 5 dimensions, expected 1 to 4'],
  ['short header', bytes(0, 0, 8, 3, 0, 0, 0, 1), 'f: file has 8 bytes but its header declares 3 dimensions and needs 16 bytes'],
  ['short data', bytes(0, 0, 8, 1, 0, 0, 0, 3, 1, 2), 'f: file has 10 bytes but header declares 3 = 3 bytes of data after a 8-byte header'],
  ['trailing bytes', bytes(0, 0, 8, 1, 0, 0, 0, 1, 1, 2, 3), 'after a 8-byte header (9 in all): 2 trailing bytes'],
  ['huge dims', bytes(0, 0, 8, 2, 255, 255, 255, 255, 255, 255, 255, 255), 'declares 4294967295x4294967295 ='],
];

test('malformed files throw FileFormatError with what was expected and found', () => {
  for (const [name, file, fragment] of malformed) {
    assert.throws(
      () => parseIdx(file, 'f'),
      (e: unknown) => e instanceof FileFormatError && e.file === 'f' && e.message.includes(fragment),
      `${name}: expected a message containing ${JSON.stringify(fragment)}`,
    );
  }
});

test('data is a view into the input (no copy)', () => {
  const file = encodeIdx([4], bytes(1, 2, 3, 4));
  const parsed = parseIdx(file, 'f');
  assert.equal(parsed.data.buffer, file.buffer);
  assert.equal(parsed.data.byteOffset, 8);
});

// What a file's header declares (header + data bytes), read from a prefix (datasets.ts sizes a
// gzipped file from its first bytes): the full size once the whole header is there, null before.
test('idxDeclaredBytes: the size a header declares, null until the header is complete', () => {
  for (const dims of [[7], [3, 4, 5], [2, 1, 1, 3]]) {
    const count = dims.reduce((a, b) => a * b, 1), header = 4 + 4 * dims.length;
    const file = encodeIdx(dims, new Uint8Array(count));
    assert.equal(idxDeclaredBytes(file), header + count);
    assert.equal(idxDeclaredBytes(file.subarray(0, header)), header + count, `${dims}: header alone`);
    for (let k = 0; k < header; k++) assert.equal(idxDeclaredBytes(file.subarray(0, k)), null, `${dims}: ${k} bytes`);
  }
});

// The IDX spec's element sizes (0x08/0x09 bytes, 0x0b short, 0x0c int, 0x0d float, 0x0e double),
// a header that declares no dimension, and a magic whose first byte is not zero.
test('idxDeclaredBytes: element size per data type; bad headers are null', () => {
  const header = (type: number, ...dims: number[]) => {
    const b = new Uint8Array(4 + 4 * dims.length);
    b.set([0, 0, type, dims.length]);
    dims.forEach((d, i) => new DataView(b.buffer).setUint32(4 + 4 * i, d));
    return b;
  };
  for (const [type, size] of [[0x08, 1], [0x09, 1], [0x0b, 2], [0x0c, 4], [0x0d, 4], [0x0e, 8]]) {
    assert.equal(idxDeclaredBytes(header(type!, 3, 5)), 12 + 15 * size!, `type 0x${type!.toString(16)}`);
  }
  assert.equal(idxDeclaredBytes(header(0x08)), null, 'no dimensions');
  const magic = header(0x08, 2);
  magic[0] = 1;
  assert.equal(idxDeclaredBytes(magic), null, 'first magic byte not zero');
});

test('encodeIdx refuses dims that do not fit the data', () => {
  assert.throws(() => encodeIdx([3], new Uint8Array(2)), /dims \[3\] do not fit 2 bytes/);
  assert.throws(() => encodeIdx([], new Uint8Array(1)), /do not fit/);
  assert.throws(() => encodeIdx([1, 1, 1, 1, 1], new Uint8Array(1)), /do not fit/);
});

test('parseIdx refuses a magic whose first byte is not zero', () => {
  assert.throws(() => parseIdx(bytes(1, 0, 8, 1, 0, 0, 0, 1, 7), 'f'), /bad magic 0x01000801/);
});
