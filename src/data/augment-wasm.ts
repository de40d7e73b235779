// The wasm side of augmentation (assembly/augment.ts): augmentBatch (src/data/augment.ts) with the pixels in wasm,
// split by image across the pool's threads, bit-identical to it. The random draws (drawAugment, so
// the generator advances exactly as there) and cos/sin of each angle stay in JavaScript; the batch's
// source bytes are copied into wasm memory first (count·H·W bytes).
import { checkAugment, checkBatch, drawAugment, type AugmentOptions } from './augment.js';
import { MNIST_MEAN, MNIST_STD } from './constants.js';
import type { Split } from './datasets.js';
import type { Engine } from '../engine/wasm.js';
import type { Rng } from '../util/rng.js';
import { splitRange } from '../kernels/split.js';

/** augmentBatch into the float32 (count,1,H,W) at byte offset `out` of wasm memory. */
export function augmentBatchWasm(e: Engine, src: Split, indices: ArrayLike<number>, start: number, count: number,
  out: number, rng: Rng, aug: AugmentOptions): void {
  const { height: H, width: W } = src;
  const pixels = H * W;
  checkBatch(src, indices, start, count, Infinity);
  checkAugment(aug);
  if (count === 0) return;
  const mark = e.arena.mark();
  // Allocate first: an allocation may grow memory and detach earlier views.
  const bytes = e.arena.alloc(Math.ceil((count * pixels) / 4));
  const params = e.arena.alloc(count * 10); // 5 f64 per image
  const parts = splitRange(count, e.pool.size);
  const work = parts.map(() => e.arena.alloc(pixels * 4)); // 2·H·W f64 per thread
  const u8 = new Uint8Array(e.memory.buffer, bytes, count * pixels);
  const f64 = new Float64Array(e.memory.buffer, params, count * 5);
  for (let k = 0; k < count; k++) {
    const from = indices[start + k]! * pixels;
    u8.set(src.images.subarray(from, from + pixels), k * pixels);
    const { angle, brightnessFirst, b, c } = drawAugment(rng, aug);
    const rad = (angle * Math.PI) / 180; // as rotateBilinear computes it
    f64.set([Math.cos(rad), Math.sin(rad), b, c, brightnessFirst ? 1 : 0], 5 * k);
  }
  e.pool.run('augment_batch', parts.map(([k0, k1], t) => [bytes, params, out, k0, k1, H, W, MNIST_MEAN, MNIST_STD, work[t]!]));
  e.arena.release(mark);
}
