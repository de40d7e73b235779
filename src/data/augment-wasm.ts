// The wasm side of augmentation (assembly/augment.ts): augmentBatch (src/data/augment.ts) with the pixels in wasm,
// split by image across the pool's threads, bit-identical to it. The random draws (drawAugment, so
// the generator advances exactly as there) and the affine coefficients (cos/sin) stay in JavaScript; the batch's
// source bytes are copied into wasm memory first (count·H·W bytes), and elastic fields computed in JavaScript (2·H·W f64 each).
import { affineOf, checkAugment, checkBatch, drawAugment, type AugmentOptions } from './augment.js';
import { MNIST_MEAN, MNIST_STD } from './constants.js';
import { drawElastic, elasticField } from './elastic.js';
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
  const params = e.arena.alloc(count * 14); // 7 f64 per image
  const parts = splitRange(count, e.pool.size);
  const workF64 = e.k.augment_work_f64!(H, W); // the bordered source and the output image, per thread
  const work = parts.map(() => e.arena.alloc(2 * workF64));
  const elastic = aug.elastic ?? 0;
  const fields = elastic > 0 ? e.arena.alloc(count * pixels * 4) : 0; // 2·H·W f64 per image
  const u8 = new Uint8Array(e.memory.buffer, bytes, count * pixels);
  const f64 = new Float64Array(e.memory.buffer, params, count * 7);
  const field = fields ? new Float64Array(e.memory.buffer, fields, count * 2 * pixels) : null;
  for (let k = 0; k < count; k++) {
    const from = indices[start + k]! * pixels;
    u8.set(src.images.subarray(from, from + pixels), k * pixels);
    const d = drawAugment(rng, aug);
    const m = affineOf(d); // as augmentBatch computes it
    f64.set([m.a, m.b, d.b, d.c, d.brightnessFirst ? 1 : 0, d.tx, d.ty], 7 * k);
    if (field) elasticField(drawElastic(rng, elastic), H, W, field.subarray(2 * k * pixels, 2 * (k + 1) * pixels));
  }
  e.pool.run('augment_batch', parts.map(([k0, k1], t) => [bytes, params, out, k0, k1, H, W, MNIST_MEAN, MNIST_STD, work[t]!, fields]));
  e.arena.release(mark);
}
