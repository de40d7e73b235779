// Tests for the safetensors codec: byte layout, round trips, and a table of malformed files each
// with the message fragment it must produce.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../src/io/safetensors.js';
import { FileFormatError } from '../../src/util/errors.js';

function t(shape: number[], values: number[]): NamedTensor {
  return { shape, data: Float32Array.from(values) };
}

/** Builds a file from a header (object or raw text) and data bytes, without padding. */
function craft(header: unknown, data: Uint8Array | number[] = [], lengthOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, lengthOverride ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function f32(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

test('layout: u64 length, space-padded JSON header, little-endian data', () => {
  const bytes = encodeSafetensors([['w', t([2], [1, -2])]], { format: 'pt' });
  const view = new DataView(bytes.buffer);
  const n = view.getUint32(0, true);
  assert.equal(view.getUint32(4, true), 0);
  assert.equal(n % 8, 0);
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  assert.deepEqual(JSON.parse(header), {
    __metadata__: { format: 'pt' },
    w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  });
  assert.match(header, /^\{.*\} *$/);
  assert.equal(bytes.length, 8 + n + 8);
  assert.equal(view.getFloat32(8 + n, true), 1);
  assert.equal(view.getFloat32(8 + n + 4, true), -2);
});

test('round trip keeps names, order, shapes, values and metadata', () => {
  const tensors = new Map<string, NamedTensor>([
    ['conv1.weight', t([2, 1, 2, 2], [0.5, -1.25, 3e-8, 1e30, 0, -0, 7, 8])],
    ['10', t([], [42])], // an integer-like name sorts first in JSON, yet file order is kept
    ['empty', t([0, 3], [])],
    ['fc.bias', t([3], [1, 2, 3])],
  ]);
  const decoded = decodeSafetensors(encodeSafetensors(tensors, { epoch: '3' }), 'm.safetensors');
  assert.deepEqual([...decoded.tensors.keys()], [...tensors.keys()]);
  assert.deepEqual(decoded.tensors, tensors);
  assert.deepEqual(decoded.metadata, { epoch: '3' });
  assert.deepEqual(decodeSafetensors(encodeSafetensors([]), 'e').tensors.size, 0);
});

test('decoded data is copied out of an unaligned buffer', () => {
  const bytes = encodeSafetensors([['a', t([3], [1, 2, 3])]]);
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  const a = decodeSafetensors(shifted.subarray(1), 'x').tensors.get('a')!;
  assert.deepEqual([...a.data], [1, 2, 3]);
  assert.notEqual(a.data.buffer, shifted.buffer);
});

const W = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
const malformed: Array<[string, Uint8Array, string]> = [
  ['too short', new Uint8Array(5), 'x: file has 5 bytes, too short for a safetensors header'],
  ['length past end', craft({}, [], 100), 'x: header length 100 goes beyond the end of the file (10 bytes)'],
  ['huge u64 length', Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0, 0x7b, 0x7d), 'header length 4294967296 goes beyond'],
  ['not JSON', craft('{"a": '), 'x: header is not valid JSON'],
  ['not UTF-8', craft('{}').map((b, i) => (i === 8 ? 0xff : b)), 'x: header is not valid UTF-8'],
  ['array header', craft([1, 2]), 'x: header is not a JSON object'],
  ['null header', craft('null'), 'x: header is not a JSON object'],
  ['F16', craft({ w: { ...W, dtype: 'F16' } }, f32(1, 2)), 'x: tensor "w" has dtype "F16", only F32 is supported'],
  ['no dtype', craft({ w: 3 }), 'tensor "w" has dtype undefined, only F32'],
  ['bad shape', craft({ w: { ...W, shape: [2, -1] } }, f32(1, 2)), 'tensor "w" has shape [2,-1], expected an array of non-negative integers'],
  ['float shape', craft({ w: { ...W, shape: [1.5] } }, f32(1, 2)), 'has shape [1.5]'],
  ['bad offsets', craft({ w: { ...W, data_offsets: [0] } }, f32(1, 2)), 'tensor "w" has data_offsets [0], expected [begin, end]'],
  ['offsets past end', craft({ w: { ...W, data_offsets: [0, 12] } }, f32(1, 2)), 'data_offsets [0, 12] outside the data section of 8 bytes'],
  ['reversed offsets', craft({ w: { ...W, data_offsets: [8, 0] } }, f32(1, 2)), 'data_offsets [8, 0] outside'],
  ['size vs shape', craft({ w: { ...W, shape: [3] } }, f32(1, 2)), 'tensor "w" has shape [3] = 12 bytes of F32 but data_offsets [0, 8] span 8'],
  ['overlap', craft({ a: W, b: W }, f32(1, 2)), 'tensors "a" and "b" overlap at bytes 0..8'],
  ['gap', craft({ w: { ...W, data_offsets: [4, 12] } }, f32(1, 2, 3)), 'bytes 0..4 of the data section belong to no tensor'],
  ['extra data', craft({ w: W }, f32(1, 2, 3)), 'data section has 12 bytes but the tensors cover only 8'],
  ['NaN', craft({ w: W }, f32(1, NaN)), 'x: tensor "w" has a non-finite value (NaN) at index 1'],
  ['Inf', craft({ w: W }, f32(-Infinity, 1)), 'tensor "w" has a non-finite value (-Infinity) at index 0'],
  ['metadata not strings', craft({ __metadata__: { epoch: 3 } }), '__metadata__ "epoch" is a number, expected a string'],
  ['metadata not object', craft({ __metadata__: 'hi' }), '__metadata__ is not an object of strings'],
];

test('malformed files throw FileFormatError naming the problem', () => {
  for (const [name, bytes, fragment] of malformed) {
    assert.throws(
      () => decodeSafetensors(bytes, 'x'),
      (e: unknown) => e instanceof FileFormatError && e.message.includes(fragment),
      `${name}: expected "${fragment}"`,
    );
  }
});

test('encode refuses inconsistent input', () => {
  assert.throws(() => encodeSafetensors([['a', t([3], [1, 2])]]), /shape \[3\] but 2 values/);
  assert.throws(() => encodeSafetensors([['a', t([1], [1])], ['a', t([1], [2])]]), /reserved or repeated/);
  assert.throws(() => encodeSafetensors([['__metadata__', t([1], [1])]]), /reserved or repeated/);
});

// I64 tensors (PyTorch's BatchNorm num_batches_tracked) come back apart, in `ints`, as the
// little-endian 64-bit integers written here byte by byte, beside an F32 one.
test('I64 tensors decode into ints, not tensors', () => {
  const data = new Uint8Array(24 + 4);
  const view = new DataView(data.buffer);
  [7n, -3n, 2n ** 40n].forEach((v, i) => view.setBigInt64(8 * i, v, true));
  view.setFloat32(24, 1.5, true);
  const file = decodeSafetensors(craft({
    n: { dtype: 'I64', shape: [3], data_offsets: [0, 24] },
    w: { dtype: 'F32', shape: [1], data_offsets: [24, 28] },
  }, data), 'i.safetensors');
  assert.deepEqual([...file.ints.keys()], ['n']);
  assert.deepEqual(Array.from(file.ints.get('n')!.data), [7n, -3n, 2n ** 40n]);
  assert.deepEqual(file.ints.get('n')!.shape, [3]);
  assert.deepEqual([...file.tensors.keys()], ['w']);
  assert.deepEqual(Array.from(file.tensors.get('w')!.data), [1.5]);
});
