// linear and globalAvgPool (wasm, assembly/linear.ts) against the TypeScript loops they replaced
// (linearRef*, gapRef* in src/kernels/ref.ts): BIT-identical, forward and both backward passes, on odd
// shapes (sizes not multiples of the 2- and 4-wide vector blocks, batch 1), with and without bias,
// with exact zeros (signed-zero results), both builds, 1 and 2 threads (the largest shapes are above
// MIN_PARALLEL_ELEMS, so that 2 threads really split them).
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { gapRefBwd, gapRefFwd, linearRefBwdData, linearRefBwdWeight, linearRefFwd } from '../../src/kernels/ref.js';
import { linear } from '../../src/ops/linear.js';
import { globalAvgPool } from '../../src/ops/pool.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { expectSameBits } from '../helpers.js';

// [N, I, O]
const LINEAR: Array<[number, number, number]> = [[1, 1, 1], [4, 16, 10], [3, 7, 5], [5, 9, 3], [2, 3, 6], [1, 784, 10], [129, 784, 10], [64, 33, 130], [7, 4, 4]];
// [N, C, H, W]
const GAP: Array<[number, number, number, number]> = [[1, 1, 1, 1], [2, 3, 5, 5], [3, 16, 5, 5], [2, 5, 7, 3], [129, 24, 7, 7], [5, 10, 2, 1]];

/**
 * Normals with every 7th value an exact zero (so some products and sums are ±0) and every 5th
 * scaled by 2^±30, so that float64 sums round too and a reordered sum shows in the f32 results.
 */
function values(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? 0 : i % 5 === 1 ? r.normal() * 2 ** Math.round(r.uniform() * 60 - 30) : r.normal()));
}

describe('linear and globalAvgPool: bit-identical to the TypeScript loops they replaced', () => {
  after(closeEngine);
  for (const [threads, variant] of [[1, 'relaxed'], [2, 'relaxed'], [2, 'simd']] as const) {
    for (const [N, I, O] of LINEAR) {
      for (const bias of [true, false]) {
        it(`linear ${N}×${I} → ${O}${bias ? '' : ', no bias'}, ${threads} thread(s), ${variant}`, () => {
          const e = initEngine({ threads, variant });
          const mark = e.arena.mark();
          const x0 = values(N * I, N + I), w0 = values(O * I, O), b0 = values(O, 5), gy = values(N * O, 9);
          const x = Tensor.from(x0, [N, I], true), w = Tensor.from(w0, [O, I], true), b = bias ? Tensor.from(b0, [O], true) : null;
          const y = linear(x, w, b);
          expectSameBits(y.data(), linearRefFwd(x0, w0, bias ? b0 : null, N, I, O), 'y');
          y.backward(gy);
          const want = linearRefBwdWeight(gy, x0, N, I, O);
          expectSameBits(x.grad()!, linearRefBwdData(gy, w0, N, I, O), 'dx');
          expectSameBits(w.grad()!, want.dw, 'dw');
          if (b) expectSameBits(b.grad()!, want.db, 'db');
          e.arena.release(mark);
        });
      }
    }
    it(`linear keeps the order of its sums (crafted cancellations), ${threads} thread(s), ${variant}`, () => {
      // L ± L cancels exactly in float64, but a small term added before the cancellation is lost
      // (2^60 + 1.5 rounds to 2^60), so only the reference's order gives the small term back.
      const e = initEngine({ threads, variant });
      const mark = e.arena.mark();
      const N = 3, I = 6, O = 5, L = 2 ** 60; // 4 + 1 outputs and 4 + 2 inputs: vector and scalar paths
      const ones = (n: number) => new Float32Array(n).fill(1);
      const small = (k: number) => 1.5 + k;
      // Forward (bias first, then i ascending), dw and db (n ascending): x ones, w[o] = [-L, s_o, 0…],
      // b = L, dy rows L, -L, s.
      const w1 = Float32Array.from({ length: O * I }, (_, k) => (k % I === 0 ? -L : k % I === 1 ? small(k) : 0));
      const gy1 = Float32Array.from({ length: N * O }, (_, k) => [L, -L, small(k)][Math.floor(k / O)]!);
      const b1 = new Float32Array(O).fill(L);
      // dx (o ascending): dy ones, w rows L, -L, s, 0, 0.
      const w2 = Float32Array.from({ length: O * I }, (_, k) => [L, -L, small(k), 0, 0][Math.floor(k / I)]!);
      for (const [w0, gy, b0] of [[w1, gy1, b1], [w2, ones(N * O), b1]] as const) {
        const x = Tensor.from(ones(N * I), [N, I], true), w = Tensor.from(w0, [O, I], true), b = Tensor.from(b0, [O], true);
        const y = linear(x, w, b);
        expectSameBits(y.data(), linearRefFwd(ones(N * I), w0, b0, N, I, O), 'y');
        y.backward(gy);
        const want = linearRefBwdWeight(gy, ones(N * I), N, I, O);
        expectSameBits(x.grad()!, linearRefBwdData(gy, w0, N, I, O), 'dx');
        expectSameBits(w.grad()!, want.dw, 'dw');
        expectSameBits(b.grad()!, want.db, 'db');
      }
      e.arena.release(mark);
    });
    for (const shape of GAP) {
      it(`globalAvgPool [${shape}], ${threads} thread(s), ${variant}`, () => {
        const e = initEngine({ threads, variant });
        const mark = e.arena.mark();
        const [N, C, H, W] = shape;
        const x0 = values(N * C * H * W, 3), gy = values(N * C, 4);
        const x = Tensor.from(x0, shape, true);
        const y = globalAvgPool(x);
        expectSameBits(y.data(), gapRefFwd(x0, N * C, H * W), 'y');
        y.backward(gy);
        expectSameBits(x.grad()!, gapRefBwd(gy, N * C, H * W), 'dx');
        e.arena.release(mark);
      });
    }
  }
});
