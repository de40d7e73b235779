// The validation split of --val: disjoint from the training part and together the whole training
// set, both parts in their original order, the same for the same seed and different for another;
// in a run, precise BatchNorm recalibrates on the training part only (never on validation images).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Split } from '../../src/data/datasets.js';
import { splitValidation, validationIndices } from '../../src/data/split.js';
import { closeEngine } from '../../src/engine/node.js';
import { recalibrateBatchNorm } from '../../src/train/precise-bn.js';
import { DEFAULT_RECIPE } from '../../src/train/recipe.js';
import { runTraining } from '../../src/train/run.js';
import { loadIdxDataset } from '../../src/data/datasets.js';

/** count images of 2×2 pixels, image i filled with i mod 256 and labelled i mod 10. */
function fake(count: number): Split {
  const images = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) images.fill(i % 256, i * 4, i * 4 + 4);
  return { images, labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count, height: 2, width: 2 };
}

const key = (s: Split, i: number) => `${s.images[i * 4]}/${s.labels[i]}`;

describe('validation split', () => {
  const cases: Array<[count: number, n: number, seed: number]> = [[200, 50, 1], [200, 1, 7], [200, 199, 2], [60000, 5000, 1], [256, 100, 2 ** 32 - 1]];
  for (const [count, n, seed] of cases) {
    it(`${n} of ${count}, seed ${seed}: disjoint, together the whole set, in order`, () => {
      const s = fake(count);
      const { train, val, valIndices } = splitValidation(s, n, seed);
      assert.equal(val.count, n);
      assert.equal(train.count, count - n);
      assert.equal(new Set(valIndices).size, n, 'distinct');
      const held = new Set(valIndices);
      const trainIdx = Array.from({ length: count }, (_, i) => i).filter((i) => !held.has(i));
      assert.deepEqual([...trainIdx, ...valIndices].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i), 'a partition of 0..count-1');
      for (let k = 1; k < n; k++) assert.ok(valIndices[k]! > valIndices[k - 1]!, 'val in original order');
      for (let k = 0; k < Math.min(train.count, 500); k++) assert.equal(key(train, k), key(s, trainIdx[k]!), `train image ${k} is image ${trainIdx[k]}`);
      for (let k = 0; k < Math.min(n, 500); k++) assert.equal(key(val, k), key(s, valIndices[k]!), `val image ${k} is image ${valIndices[k]}`);
    });
  }

  it('the same for the same seed, different for another seed, spread over the whole set', () => {
    const a = validationIndices(60000, 5000, 1);
    assert.deepEqual(validationIndices(60000, 5000, 1), a);
    for (const other of [2, 3, 1 ^ 0x5eed5eed]) assert.notDeepEqual(validationIndices(60000, 5000, other), a, `seed ${other}`);
    // Not the first or last N: a uniform choice puts about a tenth of them in each tenth of the set.
    for (let d = 0; d < 10; d++) {
      const inDecile = a.filter((i) => Math.floor(i / 6000) === d).length;
      assert.ok(inDecile > 400 && inDecile < 600, `decile ${d}: ${inDecile} of 5000`);
    }
  });

  it('refuses to hold out none or all of the training set', () => {
    assert.throws(() => validationIndices(100, 100, 1), /--val 100: must hold out between 1 and 99 of the 100 training images/);
    assert.throws(() => validationIndices(100, 0, 1), /--val 0/);
  });
});

describe('a run with --val', () => {
  after(() => closeEngine());
  it('recalibrates BatchNorm on training-part images, never on validation images', async () => {
    const recipe = { ...DEFAULT_RECIPE, epochs: 1, bnRecalibrate: 256 };
    const { trainer } = await runTraining({ recipe, seed: 3, threads: 2, limitTrain: 640, limitTest: 100, val: 300, out: null });
    const stats = () => trainer.model.stateDict().filter(([n]) => n.includes('running')).map(([n, t]) => [n, [...t.data()]] as const);
    const saved = stats();
    assert.ok(saved.length > 0);
    const full = loadIdxDataset(undefined, { limitTrain: 640, limitTest: 1 }).train;
    const { train, val } = splitValidation(full, 300, 3);
    recalibrateBatchNorm(trainer.model, train, 256, recipe.batchSize);
    assert.deepEqual(stats(), saved, 'the running statistics are those of the first 256 training-part images');
    for (const other of [val, full]) {
      recalibrateBatchNorm(trainer.model, other, 256, recipe.batchSize);
      assert.notDeepEqual(stats(), saved, 'validation images (or the unsplit set) give other statistics');
    }
  });
});
