// Tests for batch normalisation and augmentation: identity settings match plain normalisation
// exactly, rotation direction matches torchvision (counter-clockwise), seeds reproduce, ranges hold.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adjustBrightness,
  adjustContrast,
  augmentBatch,
  normaliseBatch,
  rotateBilinear,
  affineBilinear,
  drawAugment,
} from '../../src/data/augment.js';
import { MNIST_MEAN, MNIST_STD } from '../../src/data/constants.js';
import type { Split } from '../../src/data/datasets.js';
import { Rng } from '../../src/util/rng.js';

/** n random 28x28 images with a bright blob, like digits. */
function makeSplit(n: number, seed = 1, height = 28, width = 28): Split {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * height * width);
  for (let i = 0; i < images.length; i++) images[i] = rng.uniform() < 0.3 ? rng.int(256) : 0;
  return { images, labels: new Uint8Array(n), count: n, height, width };
}

const LO = (0 - MNIST_MEAN) / MNIST_STD;
const HI = (1 - MNIST_MEAN) / MNIST_STD;

test('normaliseBatch applies (x/255 - MEAN)/STD in the requested order', () => {
  const split = makeSplit(4);
  const out = new Float32Array(2 * 784);
  normaliseBatch(split, [3, 1, 0], 1, 2, out);
  for (let p = 0; p < 784; p++) {
    assert.equal(out[p], Math.fround((split.images[784 + p]! / 255 - MNIST_MEAN) / MNIST_STD));
    assert.equal(out[784 + p], Math.fround((split.images[p]! / 255 - MNIST_MEAN) / MNIST_STD));
  }
});

test('angle 0 and factors 1 give exactly the plain normalisation', () => {
  const split = makeSplit(3);
  const plain = new Float32Array(3 * 784);
  const augmented = new Float32Array(3 * 784);
  normaliseBatch(split, [0, 1, 2], 0, 3, plain);
  augmentBatch(split, [0, 1, 2], 0, 3, augmented, new Rng(5), { rotateDeg: 0, brightness: 0, contrast: 0 });
  assert.deepEqual(augmented, plain);
  const viaNull = new Float32Array(3 * 784);
  augmentBatch(split, [0, 1, 2], 0, 3, viaNull, new Rng(5), null);
  assert.deepEqual(viaNull, plain);
});

test('rotating by +90 degrees turns the image counter-clockwise (numpy rot90)', () => {
  for (const n of [4, 5]) {
    const src = Float64Array.from({ length: n * n }, (_, i) => (i * 7) % 11 / 10); // asymmetric pattern
    const dst = new Float64Array(n * n);
    rotateBilinear(dst, src, n, n, 90);
    // rot90(a)[y][x] = a[x][n-1-y]: the top-right corner moves to the top-left.
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        assert.ok(Math.abs(dst[y * n + x]! - src[x * n + (n - 1 - y)]!) < 1e-9, `n=${n} (${x},${y})`);
      }
    }
  }
});

test('a whole-pixel translation shifts the image and fills zeros (a naive shift)', () => {
  const H = 5, W = 6;
  const src = Float64Array.from({ length: H * W }, (_, i) => ((i * 5) % 13) / 12 + 0.01);
  for (const [tx, ty] of [[2, 0], [0, -1], [-3, 2], [1, 1]] as const) {
    const dst = new Float64Array(H * W);
    affineBilinear(dst, src, H, W, 1, 0, tx, ty);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const sx = x - tx, sy = y - ty; // output (x, y) shows source (x - tx, y - ty)
        const want = sx >= 0 && sx < W && sy >= 0 && sy < H ? src[sy * W + sx]! : 0;
        assert.ok(Math.abs(dst[y * W + x]! - want) < 1e-12, `t=(${tx},${ty}) at (${x},${y}): ${dst[y * W + x]} vs ${want}`);
      }
    }
  }
});

test('scale 0.5 about the centre samples every second source pixel (5x5, centre 2)', () => {
  const n = 5;
  const src = Float64Array.from({ length: n * n }, (_, i) => (i % 7) / 7 + 0.05);
  const dst = new Float64Array(n * n);
  affineBilinear(dst, src, n, n, 1 / 0.5, 0, 0, 0); // a = cos 0 / s
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const sx = 2 * x - 2, sy = 2 * y - 2; // (x - c)/s + c
      const want = sx >= 0 && sx < n && sy >= 0 && sy < n ? src[sy * n + sx]! : 0;
      assert.ok(Math.abs(dst[y * n + x]! - want) < 1e-12, `(${x},${y})`);
    }
  }
});

test('drawAugment: whole-pixel shifts cover -t..t, scales stay in 1 ± s, and t = s = 0 draws as rotation only', () => {
  const rng = new Rng(4);
  const seen = new Map<number, number>();
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < 4000; i++) {
    const d = drawAugment(rng, { rotateDeg: 5, brightness: 0.1, contrast: 0.1, translate: 2, scale: 0.2 });
    for (const t of [d.tx, d.ty]) {
      assert.ok(Number.isInteger(t) && Math.abs(t) <= 2, String(t));
      seen.set(t, (seen.get(t) ?? 0) + 1);
    }
    lo = Math.min(lo, d.scale);
    hi = Math.max(hi, d.scale);
  }
  assert.deepEqual([...seen.keys()].sort((a, b) => a - b), [-2, -1, 0, 1, 2]);
  // round(uniform(-2, 2)): ±2 get half the weight of -1, 0, 1 (1/8 vs 1/4 of 8000 draws).
  assert.ok(Math.abs(seen.get(2)! - 1000) < 150 && Math.abs(seen.get(0)! - 2000) < 200, JSON.stringify([...seen]));
  assert.ok(lo >= 0.8 && lo < 0.81 && hi < 1.2 && hi > 1.19, `${lo} ${hi}`);
  // Off: four draws per image, exactly as before translate and scale existed.
  const a = new Rng(9), b = new Rng(9);
  const d = drawAugment(a, { rotateDeg: 7, brightness: 0.1, contrast: 0.1, translate: 0, scale: 0 });
  const angle = b.range(-7, 7);
  const first = b.uniform() < 0.5;
  assert.deepEqual([d.angle, d.brightnessFirst, d.b, d.c, d.tx, d.ty, d.scale], [angle, first, b.range(0.9, 1.1), b.range(0.9, 1.1), 0, 0, 1]);
  assert.equal(a.nextU32(), b.nextU32());
});

test('a 45-degree rotation blends bilinearly and reads zero outside', () => {
  const src = new Float64Array([1, 1, 1, 1]); // 2x2 white
  const dst = new Float64Array(4);
  rotateBilinear(dst, src, 2, 2, 45);
  // Each output pixel samples a point on an axis, 0.707 px from the centre: 0.207 px beyond the edge
  // pixel's centre, so the zero row outside gets weight 0.207.
  for (const v of dst) assert.ok(Math.abs(v - (1.5 - Math.SQRT1_2)) < 1e-12, String(v));
});

test('brightness and contrast follow torchvision formulas with clamping', () => {
  const img = new Float64Array([0, 0.25, 0.5, 1]);
  adjustBrightness(img, 1.5);
  assert.deepEqual([...img], [0, 0.375, 0.75, 1]);
  const c = new Float64Array([0, 0.2, 0.4, 1]); // mean 0.4
  adjustContrast(c, 2);
  assert.deepEqual([...c].map((v) => Math.round(v * 1e9) / 1e9), [0, 0, 0.4, 1]);
  const flat = new Float64Array([0.3, 0.3]);
  adjustContrast(flat, 0);
  assert.deepEqual([...flat].map((v) => Math.round(v * 1e9) / 1e9), [0.3, 0.3]);
});

test('augmentation is deterministic for a seed and different across seeds', () => {
  const split = makeSplit(8);
  const aug = { rotateDeg: 15, brightness: 0.3, contrast: 0.3 };
  const run = (seed: number) => {
    const out = new Float32Array(8 * 784);
    augmentBatch(split, [0, 1, 2, 3, 4, 5, 6, 7], 0, 8, out, new Rng(seed), aug);
    return out;
  };
  assert.deepEqual(run(42), run(42));
  assert.notDeepEqual(run(42), run(43));
});

test('augmented output stays within the normalised [0,1] range', () => {
  const split = makeSplit(20, 3);
  const out = new Float32Array(20 * 784);
  const indices = Array.from({ length: 20 }, (_, i) => i);
  augmentBatch(split, indices, 0, 20, out, new Rng(9), { rotateDeg: 30, brightness: 0.9, contrast: 2 });
  for (const v of out) assert.ok(v >= Math.fround(LO) && v <= Math.fround(HI), String(v));
});

test('bad batches are refused', () => {
  const split = makeSplit(2);
  const out = new Float32Array(784);
  assert.throws(() => normaliseBatch(split, [0, 1], 1, 2, out), /outside the 2 indices/);
  assert.throws(() => normaliseBatch(split, [5], 0, 1, out), /indices\[0\] = 5 is outside the split of 2 images/);
  assert.throws(() => normaliseBatch(split, [0, 1], 0, 2, out), /out has 784 floats, need 2x1x28x28 = 1568/);
  assert.throws(
    () => augmentBatch(split, [0], 0, 1, out, new Rng(1), { rotateDeg: -1, brightness: 0, contrast: 0 }),
    /rotateDeg must be a finite number >= 0/,
  );
});
