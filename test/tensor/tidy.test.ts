// tidy(): a training step inside it leaves the arena where it was (the leak the issue measured: a
// plain loop grew it by tens of MB per step), and a returned tensor keeps its values.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { zooSpec } from '../../src/models/index.js';
import { nllLoss } from '../../src/ops/loss.js';
import { relu } from '../../src/ops/activation.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { tidy } from '../../src/tensor/tidy.js';
import { DEFAULT_RECIPE } from '../../src/train/recipe.js';
import { makeTrainer } from '../../src/train/trainer.js';

describe('tidy', () => {
  after(() => closeEngine());

  it('a hand-written training step inside tidy leaves the arena as it found it; without, it grows', () => {
    const e = initEngine({ threads: 1 });
    const t = makeTrainer(zooSpec('seed16k'), DEFAULT_RECIPE, 1, 640);
    const x0 = Float32Array.from({ length: 64 * 784 }, (_, i) => Math.sin(i));
    const labels = Array.from({ length: 64 }, (_, i) => i % 10);
    const step = () => {
      const loss = nllLoss(t.model.forward(Tensor.from(x0, [64, 1, 28, 28])), labels);
      t.optimizer.zeroGrad();
      loss.backward();
      t.optimizer.step();
      return loss.item();
    };
    const before = e.arena.mark();
    const losses = [tidy(step), tidy(step), tidy(step)];
    assert.equal(e.arena.mark(), before, 'no growth across tidy steps');
    assert.ok(losses.every(Number.isFinite) && losses[2]! < losses[0]!, `the steps train: ${losses}`);
    step();
    assert.ok(e.arena.mark() - before > 10 * 2 ** 20, 'a step outside tidy keeps its activations (> 10 MB at batch 64)');
    e.arena.release(before);
  });

  it('a returned tensor keeps its values and moves down to the mark', () => {
    const e = initEngine({ threads: 1 });
    const before = e.arena.mark();
    const y = tidy(() => {
      Tensor.zeros([10000]); // garbage below the result
      return relu(Tensor.from([-1, 2, -3, 4], [2, 2]));
    });
    assert.deepEqual(Array.from(y.data()), [0, 2, 0, 4]);
    assert.deepEqual(y.shape, [2, 2]);
    assert.equal(y.ptr, before);
    e.arena.release(before);
  });

  it('an exception inside releases everything and propagates', () => {
    const e = initEngine({ threads: 1 });
    const before = e.arena.mark();
    assert.throws(() => tidy(() => {
      Tensor.zeros([1000]);
      throw new Error('boom');
    }), /boom/);
    assert.equal(e.arena.mark(), before);
  });
});
