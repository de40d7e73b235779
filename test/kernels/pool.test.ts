// The k×k / stride-s pooling kernels (through maxPool2d and avgPool2d, and the general max-pool kernel
// directly for 2×2/2, which the op sends to the reference net's own kernels) against the naive
// references of src/kernels/ref.ts: odd sizes, overlapping windows (k > s), gaps (k < s), ties and
// NaN; both builds; results on 2 threads bit-identical to 1 thread (the work is split by plane).
// The backward kernels run over arena memory poisoned with NaN, so an element they fail to write shows.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import type { Engine } from '../../src/engine/wasm.js';
import { maxPoolBackward, maxPoolForward, poolOutSize } from '../../src/kernels/pool.js';
import { avgPoolRef, avgPoolRefF32, maxPoolRefK } from '../../src/kernels/ref.js';
import { avgPool2d, maxPool2d } from '../../src/ops/pool.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { arenaBytes, expectClose, expectSameBits, maxAbs } from '../helpers.js';

// [N, C, H, W]; the last one is above MIN_PARALLEL_ELEMS, so that 2 threads really split it.
const SHAPES: Array<[number, number, number, number]> = [[1, 3, 1, 1], [2, 5, 3, 3], [3, 7, 5, 7], [2, 3, 8, 9], [1, 24, 14, 14], [4, 1, 9, 6], [2, 4, 28, 28], [11, 17, 28, 28]];
// [kernel, stride]
const WINDOWS: Array<[number, number]> = [[1, 1], [2, 2], [3, 2], [3, 3], [2, 1], [3, 1], [4, 2], [5, 3], [2, 3], [7, 7], [1, 2]];

/** Fills the arena above its top with NaN, so the next allocations start out as garbage. */
function poisonArena(e: Engine, floats: number): void {
  const mark = e.arena.mark();
  e.floats(e.arena.alloc(floats), floats).fill(NaN);
  e.arena.release(mark);
}

/** Small integers (many tied maxima) with a few NaNs. */
function input(n: number, seed: number, nan: boolean): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, (_, i) => (nan && i % 37 === 5 ? NaN : Math.round(r.normal() * 2)));
}

function normal(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** y and dx of op on x with upstream dy, on an engine with `threads` threads. */
function run(threads: number, variant: 'relaxed' | 'simd', shape: number[], x0: Float32Array, dy: Float32Array, op: (x: Tensor) => Tensor) {
  const e = initEngine({ threads, variant });
  const mark = e.arena.mark();
  poisonArena(e, 4 * x0.length + 1024);
  const x = Tensor.from(x0, shape, true);
  const y = op(x);
  y.backward(dy.subarray(0, y.size));
  const out = { y: y.data().slice(), dx: x.grad()!.slice(), shape: y.shape };
  e.arena.release(mark);
  return out;
}

describe('k×k pooling kernels vs naive reference', () => {
  after(closeEngine);
  for (const variant of ['relaxed', 'simd'] as const) {
    for (const shape of SHAPES) {
      const [N, C, H, W] = shape;
      const P = N * C;
      it(`[${shape}], all windows, ${variant}, 1 and 2 threads`, () => {
        for (const [K, S] of WINDOWS) {
          if (K > H || K > W) continue;
          const what = `[${shape}] k=${K} s=${S}`;
          const xm = input(P * H * W, P + K * 10 + S, true), xa = normal(P * H * W, 3 + K), dy = normal(P * H * W, 5);
          const [OH, OW] = poolOutSize({ P, H, W, K, S });
          const max1 = run(1, variant, shape, xm, dy, (x) => maxPool2d(x, K, S));
          const avg1 = run(1, variant, shape, xa, dy, (x) => avgPool2d(x, K, S));
          assert.deepEqual(max1.shape, [N, C, OH, OW], `${what} max-pool shape`);
          assert.deepEqual(avg1.shape, [N, C, OH, OW], `${what} avg-pool shape`);
          // Max-pool: the same comparisons and additions in the same order as the reference, so equal bits.
          const wantMax = maxPoolRefK(xm, P, H, W, K, S, dy);
          expectSameBits(max1.y, wantMax.y, `${what} max-pool y`);
          expectSameBits(max1.dx, wantMax.dx, `${what} max-pool dx`);
          const wantAvg = avgPoolRef(xa, P, H, W, K, S, dy);
          expectClose(avg1.y, wantAvg.y, `${what} avg-pool y`, 1e-5, 1e-6 * maxAbs(wantAvg.y));
          expectClose(avg1.dx, wantAvg.dx, `${what} avg-pool dx`, 1e-5, 1e-6 * maxAbs(wantAvg.dx));
          // And bit for bit the float32 order of operations (the 2×2/2 vector kernels included).
          const wantAvg32 = avgPoolRefF32(xa, P, H, W, K, S, dy);
          expectSameBits(avg1.y, wantAvg32.y, `${what} avg-pool y, float32 order`);
          expectSameBits(avg1.dx, wantAvg32.dx, `${what} avg-pool dx, float32 order`);
          // Split by plane: 2 threads give 1 thread's bits.
          const max2 = run(2, variant, shape, xm, dy, (x) => maxPool2d(x, K, S));
          const avg2 = run(2, variant, shape, xa, dy, (x) => avgPool2d(x, K, S));
          for (const k of ['y', 'dx'] as const) {
            expectSameBits(max2[k], max1[k], `${what} max-pool ${k}, 2 threads`);
            expectSameBits(avg2[k], avg1[k], `${what} avg-pool ${k}, 2 threads`);
          }
        }
      });
    }
  }

  it('the general max-pool kernel at 2×2/2 equals the reference net\'s 2×2 kernels', () => {
    for (const threads of [1, 2]) {
      const e = initEngine({ threads });
      for (const shape of SHAPES) {
        const [N, C, H, W] = shape;
        if (H < 2 || W < 2) continue;
        const s = { P: N * C, H, W, K: 2, S: 2 };
        const x0 = input(s.P * H * W, 17, true), dy0 = normal(s.P * H * W, 19);
        const mark = e.arena.mark();
        const x = Tensor.from(x0, shape, true), y = maxPool2d(x);
        y.backward(dy0.subarray(0, y.size));
        const yk = e.arena.alloc(y.size), arg = e.arena.alloc(y.size), dy = e.arena.alloc(y.size), dx = e.arena.alloc(x.size);
        e.floats(dy, y.size).set(dy0.subarray(0, y.size));
        maxPoolForward(e, x.ptr, yk, arg, s);
        maxPoolBackward(e, dy, arg, dx, s);
        expectSameBits(e.floats(yk, y.size), y.data(), `[${shape}] y`);
        expectSameBits(e.floats(dx, x.size), x.grad()!, `[${shape}] dx`);
        e.arena.release(mark);
      }
    }
  });

  // Evaluation (no gradient wanted) runs the 2×2 kernel with arg = 0: the same maxima as with the
  // taps stored, no taps written anywhere (a store through arg = 0 would land in the low memory
  // below the kernels' static data), and no arg buffer in the arena.
  it('2×2/2 max-pool without gradients: the same maxima, no taps stored', () => {
    for (const threads of [1, 2]) {
      const e = initEngine({ threads });
      for (const shape of [[2, 4, 28, 28], [11, 17, 28, 28], [3, 5, 9, 7]] as const) {
        const [N, C, H, W] = shape;
        const P = N * C, OH = H >> 1, OW = W >> 1, n = P * OH * OW;
        const x0 = input(P * H * W, 23, true);
        const mark = e.arena.mark();
        const x = Tensor.from(x0, [...shape]);
        const scale = e.arena.alloc(C), shift = e.arena.alloc(C);
        e.floats(scale, C).set(normal(C, 29));
        e.floats(shift, C).set(normal(C, 31));
        const withArg = e.arena.alloc(n), arg = e.arena.alloc(n), without = e.arena.alloc(n);
        const low = () => new Uint8Array(e.memory.buffer, 0, 65536).slice();
        for (const bn of [false, true]) {
          const [sc, sh] = bn ? [scale, shift] : [0, 0];
          e.pool.run('maxpool2_fwd', [[x.ptr, withArg, arg, 0, P, H, W, sc, sh, C]]);
          const before = low();
          e.pool.run('maxpool2_fwd', [[x.ptr, without, 0, 0, P, H, W, sc, sh, C]]);
          assert.ok(e.floats(arg, n).some((k) => k !== 0), 'some taps other than the first win');
          expectSameBits(e.floats(without, n), e.floats(withArg, n), `[${shape}]${bn ? ' with BatchNorm' : ''} maxima`);
          assert.deepEqual(low(), before, `[${shape}]${bn ? ' with BatchNorm' : ''}: nothing stored through arg = 0`);
        }
        // Through the op: without a gradient only y is allocated.
        const top = e.arena.mark();
        const y = maxPool2d(x);
        expectSameBits(y.data(), maxPoolRefK(x0, P, H, W, 2, 2, new Float32Array(P * H * W)).y, `[${shape}] op, no gradient`);
        assert.equal(e.arena.mark() - top, arenaBytes(y.size), `[${shape}] only y allocated`);
        e.arena.release(mark);
      }
    }
  });

  it('rejects bad windows at the door', () => {
    initEngine({ threads: 1 });
    const x = Tensor.zeros([1, 2, 5, 5]);
    assert.throws(() => maxPool2d(x, 6), /maxPool2d: input 5x5 is smaller than the 6x6 window/);
    assert.throws(() => avgPool2d(x, 0), /avgPool2d: kernel size must be a positive integer, got 0/);
    assert.throws(() => avgPool2d(x, 2, 1.5), /avgPool2d: stride must be a positive integer, got 1.5/);
    assert.throws(() => maxPool2d(Tensor.zeros([2, 5, 5]), 3), /maxPool2d: input must be rank 4/);
  });
});
