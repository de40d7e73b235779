// Fused kernels must equal the unfused ops they replace exactly (same masks, same tie-breaking).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { dropout, relu } from '../../src/ops/activation.js';
import { dropoutMaxPool2d, maxPool2d } from '../../src/ops/pool.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';

function input(shape: number[], seed: number): Float32Array {
  const rng = new Rng(seed);
  // ReLU outputs: many exact zeros, so ties between dropped and zero taps are exercised.
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.max(0, rng.normal()));
}

describe('dropout + max-pool fusion', () => {
  after(closeEngine);
  for (const [threads, shape, p] of [[1, [2, 3, 6, 6], 0.3], [2, [4, 16, 28, 28], 0.05], [2, [3, 5, 7, 9], 0.5], [2, [5, 24, 14, 14], 0.05], [1, [2, 3, 10, 15], 0.5]] as const) {
    it(`equals maxPool2d(dropout(x)) for [${shape}], p=${p}, ${threads} thread(s)`, () => {
      initEngine({ threads });
      const x0 = input([...shape], 3);
      const gy = Array.from({ length: (shape[0] * shape[1] * (shape[2] >> 1) * (shape[3] >> 1)) }, (_, i) => Math.sin(i));
      const xa = Tensor.from(x0, shape, true);
      const ya = maxPool2d(dropout(relu(xa), p, true, new Rng(11)));
      ya.backward(gy);
      const xb = Tensor.from(x0, shape, true);
      const yb = dropoutMaxPool2d(relu(xb), p, true, new Rng(11));
      yb.backward(gy);
      assert.deepEqual(yb.toArray(), ya.toArray());
      assert.deepEqual(Array.from(xb.grad()!), Array.from(xa.grad()!));
    });
  }
});
