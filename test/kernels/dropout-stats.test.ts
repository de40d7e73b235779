// Dropout measured, not compared with itself: over a million elements the share of zeros must be p
// within a few standard errors, every survivor must be exactly PyTorch's float32 1/(1−p)
// (test/fixtures/make_option_goldens.py), the mean must be preserved, and neighbouring masks must be
// independent. The fused dropout + max-pool kernels (alone and after BatchNorm + ReLU) are measured on
// inputs whose every 2×2 window holds one positive tap and three non-positive ones, so the pooled
// output is 0 exactly when that tap is dropped; they are also held to a mask made by an independent
// JavaScript copy of the kernels' counter hash.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { dropout } from '../../src/ops/activation.js';
import { bnReluDropoutMaxPool2d } from '../../src/ops/fused.js';
import { dropoutMaxPool2d } from '../../src/ops/pool.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { golden } from '../helpers.js';

const torch = golden('dropout');
const PS = Array.from(torch.get('p'), (v) => Number(v.toPrecision(6)));
const SIGMAS = 5; // a false alarm once in ~1.7 million runs

/** Share of zeros within SIGMAS standard errors of p over n draws. */
function assertRate(zeros: number, n: number, p: number, what: string): void {
  const se = Math.sqrt((p * (1 - p)) / n);
  assert.ok(Math.abs(zeros / n - p) <= SIGMAS * se, `${what}: ${zeros} of ${n} zeroed (${(zeros / n).toFixed(5)}), expected p = ${p} ± ${(SIGMAS * se).toFixed(5)}`);
}

/** The kernels' mask of element i, written independently in JavaScript (assembly/elementwise.ts hash). */
function jsMask(seed: number, n: number, p: number): Float32Array {
  const threshold = Math.floor(Math.fround(p) * 16777216);
  const keep = Math.fround(1 / Math.fround(1 - Math.fround(p)));
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = (seed ^ Math.imul(i, 0x9e3779b9)) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    m[i] = z >>> 8 < threshold ? 0 : keep;
  }
  return m;
}

/** (P,H,W) planes of 2×2 windows: tap (r,c) of window w is `pos` if it is the window's chosen tap, else `neg`. */
function oneHotWindows(planes: number, H: number, W: number, pos: number, neg: number): Float32Array {
  const x = new Float32Array(planes * H * W).fill(neg);
  for (let pl = 0; pl < planes; pl++) {
    for (let i = 0; i < H / 2; i++) {
      for (let j = 0; j < W / 2; j++) {
        const tap = (pl + 3 * i + 5 * j) % 4; // every position of the window in turn
        x[pl * H * W + (2 * i + (tap >> 1)) * W + 2 * j + (tap & 1)] = pos;
      }
    }
  }
  return x;
}

describe('dropout statistics (10^6 elements)', () => {
  after(closeEngine);
  for (const threads of [1, 2]) {
    for (const [k, p] of PS.entries()) {
      it(`dropout p = ${p}, ${threads} thread(s): rate, PyTorch's scale, mean, independence`, () => {
        const e = initEngine({ threads });
        const mark = e.arena.mark();
        const n = Number(torch.meta.n);
        const x = Tensor.from(new Float32Array(n).fill(1), [n], true);
        const y = dropout(x, p, true, new Rng(100 + k));
        const yd = y.toArray();
        const survivor = torch.get('survivor')[k]!;
        let zeros = 0, both = 0, sum = 0;
        for (let i = 0; i < n; i++) {
          const v = yd[i]!;
          if (v === 0) zeros++;
          else assert.equal(v, survivor, `element ${i} = ${v}: survivors must be scaled by exactly 1/(1−p) = ${survivor} (PyTorch)`);
          if (i % 2 === 1 && v === 0 && yd[i - 1] === 0) both++;
          sum += v;
        }
        assertRate(zeros, n, p, 'dropout');
        assertRate(both, n / 2, p * p, 'neighbouring pairs both zeroed');
        // E[y] = x: the sum of n values with variance p/(1−p) each.
        const se = Math.sqrt((n * p) / (1 - p));
        assert.ok(Math.abs(sum - n) <= SIGMAS * se, `mean ${sum / n}, expected 1 ± ${(SIGMAS * se) / n}`);
        // Backward: the gradient flows through the same mask (dy = 1 gives the mask itself).
        y.backward(new Float32Array(n).fill(1));
        assert.deepEqual(x.grad()!, yd);
        // Another generator state, another mask.
        const other = dropout(Tensor.from(new Float32Array(n).fill(1), [n]), p, true, new Rng(200 + k)).data();
        let differ = 0;
        for (let i = 0; i < n; i++) if ((other[i] === 0) !== (yd[i] === 0)) differ++;
        assertRate(differ, n, 2 * p * (1 - p), 'masks of two seeds disagreeing');
        e.arena.release(mark);
      });

      it(`dropout + max-pool p = ${p}, ${threads} thread(s): windows zeroed at rate p, survivors scaled`, () => {
        const e = initEngine({ threads });
        const mark = e.arena.mark();
        const [N, C, H, W] = [40, 25, 28, 28]; // 196,000 windows
        const x0 = oneHotWindows(N * C, H, W, 2, -1);
        const seedRng = new Rng(300 + k);
        const y = dropoutMaxPool2d(Tensor.from(x0, [N, C, H, W]), p, true, new Rng(300 + k)).toArray();
        const keep = torch.get('survivor')[k]!;
        let zeros = 0;
        for (const v of y) {
          if (v === 0) zeros++;
          else assert.equal(v, Math.fround(2 * keep), 'a kept window is 2·1/(1−p)');
        }
        assertRate(zeros, y.length, p, 'pooled windows zeroed');
        // The same output as max-pool of x times an independently generated mask.
        const mask = jsMask(seedRng.nextU32(), x0.length, p);
        for (let w = 0; w < y.length; w++) {
          const pl = Math.floor(w / (H / 2 * (W / 2))), i = Math.floor((w % (H / 2 * (W / 2))) / (W / 2)), j = w % (W / 2);
          let m = -Infinity;
          for (const [r, c] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
            const idx = pl * H * W + (2 * i + r) * W + 2 * j + c;
            m = Math.max(m, Math.fround(x0[idx]! * mask[idx]!));
          }
          if (y[w] !== m) assert.fail(`window ${w}: ${y[w]}, the JavaScript mask gives ${m}`);
        }
        e.arena.release(mark);
      });

      it(`BatchNorm + ReLU + dropout + max-pool p = ${p}, ${threads} thread(s): windows zeroed at rate p`, () => {
        const e = initEngine({ threads });
        const mark = e.arena.mark();
        const [N, C, H, W] = [40, 25, 28, 28];
        // One tap 3, three −1 per window: per channel mean 0, variance 3, so BatchNorm + ReLU gives √3 and 0s.
        const x = Tensor.from(oneHotWindows(N * C, H, W, 3, -1), [N, C, H, W], true);
        const bn = {
          gamma: Tensor.from(new Float32Array(C).fill(1), [C], true), beta: Tensor.zeros([C], true),
          runningMean: Tensor.zeros([C]), runningVar: Tensor.from(new Float32Array(C).fill(1), [C]),
          options: { training: true, momentum: 0.1, eps: 1e-5, relu: true },
        };
        const y = bnReluDropoutMaxPool2d(x, bn, p, new Rng(400 + k)).toArray();
        const kept = Math.fround(Math.sqrt(3 / (1 + 1e-5 / 3))) * torch.get('survivor')[k]!;
        let zeros = 0;
        for (const v of y) {
          if (v === 0) zeros++;
          else assert.ok(Math.abs(v - kept) <= 1e-5 * kept, `a kept window is √3/(1−p) = ${kept}, got ${v}`);
        }
        assertRate(zeros, y.length, p, 'pooled windows zeroed');
        e.arena.release(mark);
      });
    }
  }
});
