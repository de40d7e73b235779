// The elastic field against what bilinear interpolation between control points must give, worked out
// here: the corners carry their control values, a field linear in the control grid is linear in the
// pixels, and a constant displacement (dx, dy) warps exactly as the affine's shift by (−dx, −dy)
// (whole pixels, no rotation: both sample the same grid points), which pins the planes' order and the
// direction. A zero field changes no bit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { affineBilinear } from '../../src/data/augment.js';
import { drawElastic, elasticField, ELASTIC_GRID } from '../../src/data/elastic.js';
import { Rng } from '../../src/util/rng.js';

const H = 28, W = 28, G = ELASTIC_GRID, N = G * G;

describe('elastic distortion', () => {
  it('draws 2·5·5 displacements within ±d', () => {
    const g = drawElastic(new Rng(4), 1.5);
    assert.equal(g.length, 2 * N);
    assert.ok(g.every((v) => v >= -1.5 && v <= 1.5));
    assert.ok(Math.max(...g) > 1 && Math.min(...g) < -1, 'spread over the range');
  });

  it('is bilinear between the control points: corners exact, linear stays linear', () => {
    const ctrl = drawElastic(new Rng(9), 2);
    const f = new Float64Array(2 * H * W);
    elasticField(ctrl, H, W, f);
    for (const c of [0, 1]) {
      const at = (x: number, y: number) => f[c * H * W + y * W + x]!;
      assert.equal(at(0, 0), ctrl[c * N]);
      assert.equal(at(W - 1, 0), ctrl[c * N + G - 1]);
      assert.equal(at(0, H - 1), ctrl[c * N + (G - 1) * G]);
      assert.equal(at(W - 1, H - 1), ctrl[c * N + G * G - 1]);
    }
    // x control values 0.5·column and y 0.25·row: dx = 0.5·x·4/27, dy = 0.25·y·4/27 at every pixel.
    const lin = Float64Array.from({ length: 2 * N }, (_, k) => (k < N ? 0.5 * (k % G) : 0.25 * Math.floor((k - N) / G)));
    elasticField(lin, H, W, f);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        assert.ok(Math.abs(f[y * W + x]! - (0.5 * x * (G - 1)) / (W - 1)) < 1e-12, `dx at ${x},${y}`);
        assert.ok(Math.abs(f[H * W + y * W + x]! - (0.25 * y * (G - 1)) / (H - 1)) < 1e-12, `dy at ${x},${y}`);
      }
    }
  });

  it('a constant displacement (dx, dy) is the affine shift by (-dx, -dy); a zero field changes nothing', () => {
    const rng = new Rng(2);
    const src = Float64Array.from({ length: H * W }, () => (rng.uniform() < 0.6 ? 0 : rng.uniform()));
    const ctrl = Float64Array.from({ length: 2 * N }, (_, k) => (k < N ? 2 : -3));
    const field = new Float64Array(2 * H * W);
    elasticField(ctrl, H, W, field);
    const warped = new Float64Array(H * W), shifted = new Float64Array(H * W);
    affineBilinear(warped, src, H, W, 1, 0, 0, 0, field);
    affineBilinear(shifted, src, H, W, 1, 0, -2, 3);
    assert.deepEqual(warped, shifted);
    assert.notDeepEqual(warped, src);
    // A rotation with a zero field: the bits of no field.
    const a = Math.cos(0.3), b = Math.sin(0.3);
    const plain = new Float64Array(H * W), zero = new Float64Array(H * W);
    affineBilinear(plain, src, H, W, a, b, 1, -1);
    affineBilinear(zero, src, H, W, a, b, 1, -1, new Float64Array(2 * H * W));
    assert.deepEqual(new BigUint64Array(zero.buffer), new BigUint64Array(plain.buffer));
  });
});
