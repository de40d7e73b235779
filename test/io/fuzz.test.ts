// Property-based fuzzing of the file readers: random mutations of valid IDX, safetensors and PNG
// files (bit flips, truncation, byte overwrites, appended junk) never throw anything but the
// readers' own FileFormatError — no RangeError, TypeError or out-of-memory from a lying header.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { encodeIdx, parseIdx } from '../../src/data/idx.js';
import { readPngGrey } from '../../src/io/png.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { FileFormatError } from '../../src/util/errors.js';

const idx = encodeIdx([3, 4, 5], Uint8Array.from({ length: 60 }, (_, i) => (i * 7) % 256));
const st = encodeSafetensors([['a', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }], ['b', { shape: [1], data: Float32Array.from([7]) }]], { k: 'v' });
const png = (() => {
  const p = new PNG({ width: 6, height: 5 });
  for (let i = 0; i < p.data.length; i++) p.data[i] = (i * 37) % 256;
  return new Uint8Array(PNG.sync.write(p));
})();

/** A mutation: flip bits, overwrite bytes, truncate, or append junk. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 16 }) }),
);

type Mutation = { kind: 'flip' | 'set' | 'truncate' | 'append'; at?: number; bit?: number; value?: number; bytes?: Uint8Array };

function mutate(src: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = Uint8Array.from(src);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = (m.at ?? 0) % b.length;
    if (m.kind === 'flip') b[at] = b[at]! ^ (1 << m.bit!);
    else if (m.kind === 'set') b[at] = m.value!;
    else if (m.kind === 'truncate') b = b.slice(0, at);
    else b = Uint8Array.from([...b, ...m.bytes!]);
  }
  return b;
}

function onlyOwnErrors(read: (b: Uint8Array) => unknown, valid: Uint8Array): void {
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
      try {
        read(mutate(valid, ms));
      } catch (err) {
        if (!(err instanceof FileFormatError)) throw err;
        assert.match(err.message, /^fuzz\.bin: /);
      }
    }),
    { numRuns: 2000, seed: 20261125 },
  );
}

describe('readers under random mutation throw only FileFormatError', () => {
  it('IDX', () => onlyOwnErrors((b) => parseIdx(b, 'fuzz.bin'), idx));
  it('safetensors', () => onlyOwnErrors((b) => decodeSafetensors(b, 'fuzz.bin'), st));
  it('PNG', () => onlyOwnErrors((b) => readPngGrey(b, 'fuzz.bin'), png));
});
