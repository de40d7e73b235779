// Precise BatchNorm statistics: the running statistics become the plain average of the batch
// statistics over the chosen images, whatever they were before; weights and the dropout generator
// are untouched.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Split } from '../../src/data/datasets.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { seed16k } from '../../src/models/seed16k.js';
import { BatchNorm2d } from '../../src/nn/layers.js';
import { recalibrateBatchNorm } from '../../src/train/precise-bn.js';
import { Rng } from '../../src/util/rng.js';

function split(count: number, seed: number): Split {
  const rng = new Rng(seed);
  const images = Uint8Array.from({ length: count * 784 }, () => Math.floor(rng.uniform() * 256));
  return { images, labels: new Uint8Array(count), count, height: 28, width: 28 };
}

describe('recalibrateBatchNorm', () => {
  after(closeEngine);
  it('sets running statistics to the average over the batches, leaves weights and dropout alone', () => {
    initEngine({ threads: 2 });
    const dropoutRng = new Rng(7);
    const model = seed16k({ initRng: new Rng(1), dropoutRng, dropout: 0.05 });
    const data = split(3 * 8, 3);
    const bn = (m: typeof model) => m.modules().map(([, c]) => c).filter((c): c is BatchNorm2d => c instanceof BatchNorm2d);
    const weights = model.parameters().map((p) => p.toArray());
    // Each batch alone, with momentum 1: the running values are that batch's statistics.
    const perBatch: number[][][] = [];
    for (let k = 0; k < 2; k++) {
      const one: Split = { ...data, images: data.images.subarray(k * 8 * 784), count: 8 };
      for (const b of bn(model)) { b.runningMean.data().fill(123); b.runningVar.data().fill(456); }
      recalibrateBatchNorm(model, one, 8, 8);
      perBatch.push(bn(model).flatMap((b) => [Array.from(b.runningMean.toArray()), Array.from(b.runningVar.toArray())]));
    }
    for (const b of bn(model)) { b.runningMean.data().fill(-5); b.runningVar.data().fill(9); }
    recalibrateBatchNorm(model, data, 2 * 8 + 5, 8); // 21 images: two whole batches of 8
    const got = bn(model).flatMap((b) => [b.runningMean.toArray(), b.runningVar.toArray()]);
    got.forEach((v, i) => v.forEach((x, c) => {
      const want = (perBatch[0]![i]![c]! + perBatch[1]![i]![c]!) / 2;
      assert.ok(Math.abs(x - want) <= 1e-5 * Math.max(1, Math.abs(want)), `stat ${i}[${c}]: ${x} vs ${want}`);
    }));
    assert.ok(bn(model).every((b) => b.momentum === 0.1), 'momentum restored');
    assert.equal(model.training, false);
    assert.deepEqual(model.parameters().map((p) => p.toArray()), weights);
    assert.equal(dropoutRng.nextU32(), new Rng(7).nextU32(), 'no dropout masks drawn');
  });
  it('images = 0 changes nothing', () => {
    initEngine({ threads: 1 });
    const model = seed16k({ initRng: new Rng(1), dropoutRng: new Rng(2), dropout: 0.05 });
    const before = model.stateDict().map(([, t]) => t.toArray());
    recalibrateBatchNorm(model, split(16, 4), 0, 8);
    assert.deepEqual(model.stateDict().map(([, t]) => t.toArray()), before);
  });
});
