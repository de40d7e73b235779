// The wasm BatchNorm, ReLU and max-pool kernels (through their ops) against the naive reference
// kernels of src/kernels/ref.ts on odd shapes: batch 1 and 129, 1×1 images, channel counts and
// plane sizes that are not multiples of 4 (SIMD tails), both builds, 1 and 2 threads (the last shape is
// above MIN_PARALLEL_ELEMS, so that 2 threads really split the work). The max-pool
// backward kernels write every element of dx with no fill pass, so they run over arena memory
// poisoned with NaN: a zero they fail to write (odd last row/column included) shows up.
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { bnRefBackward, bnRefForward, maxPoolRef, reluRef } from '../../src/kernels/ref.js';
import { dropout, relu } from '../../src/ops/activation.js';
import { batchNorm2d } from '../../src/ops/norm.js';
import { dropoutMaxPool2d, maxPool2d } from '../../src/ops/pool.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Rng } from '../../src/util/rng.js';
import { expectClose, maxAbs } from '../helpers.js';

const SHAPES: Array<[number, number, number, number]> = [[1, 3, 1, 1], [2, 5, 3, 3], [129, 4, 2, 2], [3, 7, 5, 7], [2, 16, 28, 28], [1, 24, 14, 14], [4, 1, 9, 6], [2, 3, 6, 9], [11, 17, 28, 28]];

/** Fills the arena above its top with NaN, so the next allocations start out as garbage. */
function poisonArena(e: ReturnType<typeof initEngine>, floats: number): void {
  const mark = e.arena.mark();
  e.floats(e.arena.alloc(floats), floats).fill(NaN);
  e.arena.release(mark);
}

function rand(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

describe('element-wise kernels vs naive reference', () => {
  after(closeEngine);
  for (const [threads, variant] of [[1, 'relaxed'], [2, 'relaxed'], [2, 'simd']] as const) {
    for (const shape of SHAPES) {
      const [N, C, H, W] = shape;
      it(`[${shape}] ${threads} thread(s), ${variant}`, () => {
        const e = initEngine({ threads, variant });
        const mark = e.arena.mark();
        const x0 = rand(N * C * H * W, N * 1000 + C), dy0 = rand(x0.length, 7), g0 = rand(C, 3).map((v) => 1 + v / 4), b0 = rand(C, 4);
        for (const fuse of [false, true]) {
          if (N * H * W < 2) continue; // BatchNorm training needs two values per channel
          const x = Tensor.from(x0, shape, true), g = Tensor.from(g0, [C], true), b = Tensor.from(b0, [C], true);
          const y = batchNorm2d(x, g, b, Tensor.zeros([C]), Tensor.zeros([C]), { training: true, momentum: 0.1, eps: 1e-5, relu: fuse });
          const ref = bnRefForward(x0, g0, b0, N, C, H * W, 1e-5, fuse);
          expectClose(y.data(), ref.y, `bn${fuse ? '+relu' : ''} y`, 1e-4, 1e-5);
          y.backward(dy0);
          const back = bnRefBackward(x0, y.data(), dy0, g0, ref.mean, ref.varb, N, C, H * W, 1e-5, fuse);
          expectClose(x.grad()!, back.dx, 'bn dx', 1e-3, 1e-4 * maxAbs(back.dx));
          expectClose(g.grad()!, back.dgamma, 'bn dgamma', 1e-3, 1e-4 * maxAbs(back.dgamma));
          expectClose(b.grad()!, back.dbeta, 'bn dbeta', 1e-4, 1e-5 * maxAbs(back.dbeta));
        }
        const xr = Tensor.from(x0, shape, true);
        const yr = relu(xr);
        expectClose(yr.data(), reluRef(x0), 'relu', 0, 0);
        if (H >= 2 && W >= 2) {
          poisonArena(e, 4 * x0.length);
          const xp = Tensor.from(x0, shape, true);
          const yp = maxPool2d(xp);
          const dyp = rand(yp.size, 9);
          yp.backward(dyp);
          const ref = maxPoolRef(x0, N * C, H, W, dyp);
          expectClose(yp.data(), ref.y, 'maxpool y', 0, 0);
          expectClose(xp.grad()!, ref.dx, 'maxpool dx', 0, 0);
          // Evaluation: no gradient given, the reference computes y alone.
          expectClose(noGrad(() => maxPool2d(Tensor.from(x0, shape))).data(), maxPoolRef(x0, N * C, H, W).y, 'maxpool y (no dy)', 0, 0);
          // Fused dropout + max-pool: the reference pools x·mask, with the mask dropout() draws from
          // the same generator state (dropout of ones), and scales the pooled gradient by the mask.
          const p = 0.3;
          const mask = dropout(Tensor.from(new Float32Array(x0.length).fill(1), shape), p, true, new Rng(21)).toArray();
          const refd = maxPoolRef(x0.map((v, i) => v * mask[i]!), N * C, H, W, dyp);
          poisonArena(e, 4 * x0.length);
          const xd = Tensor.from(x0, shape, true);
          const yd = dropoutMaxPool2d(xd, p, true, new Rng(21));
          yd.backward(dyp);
          expectClose(yd.data(), refd.y, 'dropout+maxpool y', 0, 0);
          expectClose(xd.grad()!, refd.dx.map((v, i) => v * mask[i]!), 'dropout+maxpool dx', 0, 0);
        }
        e.arena.release(mark);
      });
    }
  }
});
