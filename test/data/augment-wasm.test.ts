// The wasm augmentation against the JavaScript reference (src/data/augment.ts): the same output
// bits and the same generator state afterwards, with 1 and 2 threads, including strong settings
// that exercise the zero-filled border and both clamps, and elastic distortion.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { augmentBatch, type AugmentOptions } from '../../src/data/augment.js';
import type { Split } from '../../src/data/datasets.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { augmentBatchWasm } from '../../src/data/augment-wasm.js';
import { Rng } from '../../src/util/rng.js';

function split(count: number, H: number, W: number): Split {
  const rng = new Rng(21);
  // Digit-like: mostly zeros with bright strokes, and some mid-grey.
  const images = Uint8Array.from({ length: count * H * W }, () => (rng.uniform() < 0.7 ? 0 : Math.floor(rng.uniform() * 256)));
  return { images, labels: new Uint8Array(count), count, height: H, width: W };
}

const SETTINGS: AugmentOptions[] = [
  { rotateDeg: 7, brightness: 0.1, contrast: 0.1 },
  { rotateDeg: 45, brightness: 0.9, contrast: 2 },
  { rotateDeg: 0, brightness: 0, contrast: 0 },
  { rotateDeg: 10, brightness: 0.1, contrast: 0.1, translate: 2, scale: 0.1 },
  { rotateDeg: 0, brightness: 0, contrast: 0, translate: 6, scale: 0.45 },
  // Brightness within 0.0005 of 1: white pixels land just below or above 1, where the clamp decides.
  { rotateDeg: 0, brightness: 0.0005, contrast: 0 },
  // Elastic distortion, mild (as trained) and strong (displaced far over the border), with the affine parts.
  { rotateDeg: 7, brightness: 0.1, contrast: 0.1, elastic: 1.5 },
  { rotateDeg: 30, brightness: 0.1, contrast: 0.1, translate: 2, scale: 0.2, elastic: 4 },
];

after(closeEngine);
for (const threads of [1, 2]) {
  test(`augmentBatchWasm equals augmentBatch bit for bit (${threads} thread${threads > 1 ? 's' : ''})`, () => {
    const e = initEngine({ threads });
    for (const [H, W] of [[28, 28], [5, 9]] as const) {
      const data = split(40, H, W);
      const order = new Rng(3).shuffle(Uint32Array.from({ length: data.count }, (_, i) => i));
      for (const aug of SETTINGS) {
        const want = new Float32Array(17 * H * W);
        const r1 = new Rng(8), r2 = new Rng(8);
        augmentBatch(data, order, 5, 17, want, r1, aug);
        const mark = e.arena.mark();
        const out = e.arena.alloc(17 * H * W);
        augmentBatchWasm(e, data, order, 5, 17, out, r2, aug);
        const got = e.floats(out, 17 * H * W).slice();
        e.arena.release(mark);
        assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(want.buffer), `${H}x${W} ${JSON.stringify(aug)}`);
        assert.equal(r2.nextU32(), r1.nextU32(), 'generator state');
      }
    }
  });
}

test('augmentBatchWasm refuses what augmentBatch refuses', () => {
  const e = initEngine({ threads: 1 });
  const data = split(4, 28, 28);
  assert.throws(() => augmentBatchWasm(e, data, [0, 9], 0, 2, 0, new Rng(1), SETTINGS[0]!), /outside the split/);
  assert.throws(() => augmentBatchWasm(e, data, [0], 0, 1, 0, new Rng(1), { rotateDeg: -1, brightness: 0, contrast: 0 }), /rotateDeg/);
});
