// trainEpoch's bookkeeping against a recomputation: with the learning rate at 0 the weights do not
// move, so one whole-batch epoch (no augmentation, no dropout) must report the loss and accuracy of
// a plain training-mode forward of the same images computed here; with a learning rate the weights
// move and the step counter advances by the number of batches.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { normaliseBatch } from '../../src/data/augment.js';
import { loadIdxDataset } from '../../src/data/datasets.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { zooSpec } from '../../src/models/index.js';
import { nllLoss } from '../../src/ops/loss.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { DEFAULT_RECIPE, type Recipe } from '../../src/train/recipe.js';
import { evaluate, makeSchedule, makeTrainer, trainEpoch } from '../../src/train/trainer.js';
import { loadModel } from '../../src/infer/inference.js';
import { ROOT } from '../helpers.js';

const N = 48;
const recipe = (o: Partial<Recipe>): Recipe => ({ ...DEFAULT_RECIPE, epochs: 1, rotateDeg: 0, brightness: 0, contrast: 0, dropout: 0, ...o });

describe('trainEpoch', () => {
  after(closeEngine);
  const data = loadIdxDataset(undefined, { limitTrain: N, limitTest: 1 }).train;
  it('lr 0, one batch: reports the loss and accuracy of a forward computed here; weights unchanged', () => {
    const e = initEngine({ threads: 2 });
    const t = makeTrainer(zooSpec('seed16k'), recipe({ batchSize: N, schedule: 'constant', lr: 0, weightDecay: 0 }), 3, N);
    const before = t.model.parameters().map((p) => p.toArray());
    const mark = e.arena.mark();
    const want = noGrad(() => {
      const x = Tensor.empty([N, 1, 28, 28]);
      normaliseBatch(data, Array.from({ length: N }, (_, i) => i), 0, N, x.data());
      const logp = t.model.train().forward(x);
      const loss = nllLoss(logp, data.labels, DEFAULT_RECIPE.labelSmoothing).item();
      const lp = logp.toArray();
      let right = 0;
      for (let n = 0; n < N; n++) {
        const row = Array.from(lp.subarray(n * 10, n * 10 + 10));
        if (row.indexOf(Math.max(...row)) === data.labels[n]) right++;
      }
      return { loss, right };
    });
    e.arena.release(mark);
    const s = trainEpoch(t, data);
    assert.ok(Math.abs(s.loss - want.loss) <= 1e-5 * want.loss, `loss ${s.loss}, recomputed ${want.loss}`);
    assert.deepEqual([s.correct, s.total, s.accuracy], [want.right, N, (100 * want.right) / N]);
    assert.deepEqual(t.model.parameters().map((p) => p.toArray()), before);
    assert.equal(t.step, 1);
  });
  // The divergence guard's bound is 100 × ln K for K classes (ln K is the loss of a uniform guess):
  // a first-batch loss of ~300 (one class's logit raised by 340) is above it for K = 10, though
  // below 100 × ln 48 for this batch of 48 (a bound taken from the wrong dimension).
  it('a loss above 100 × ln(classes) stops training with the loss named', () => {
    const e = initEngine({ threads: 2 });
    const t = makeTrainer(zooSpec('seed16k'), recipe({ batchSize: N, schedule: 'constant', lr: 0 }), 3, N);
    const bias = t.model.parameters().at(-1)!;
    assert.equal(bias.size, 10);
    bias.data()[3] = bias.data()[3]! + 340;
    const mark = e.arena.mark();
    const loss = noGrad(() => {
      const x = Tensor.empty([N, 1, 28, 28]);
      normaliseBatch(data, Array.from({ length: N }, (_, i) => i), 0, N, x.data());
      return nllLoss(t.model.train().forward(x), data.labels, DEFAULT_RECIPE.labelSmoothing).item();
    });
    e.arena.release(mark);
    assert.ok(loss > 100 * Math.log(10) + 20 && loss < 100 * Math.log(N) - 20, `first loss ${loss}`);
    assert.throws(() => trainEpoch(t, data), /training diverged: loss is \d+\.\d at step 0/);
  });
  it('a learning rate moves the weights; the step counter counts batches (last batch partial)', () => {
    initEngine({ threads: 2 });
    const t = makeTrainer(zooSpec('seed16k'), recipe({ batchSize: 20 }), 3, N);
    const before = t.model.parameters().map((p) => p.toArray());
    const progress: number[] = [];
    const s = trainEpoch(t, data, (done) => progress.push(done));
    assert.deepEqual(progress, [20, 40, 48]);
    assert.equal(t.step, 3);
    assert.equal(s.total, N);
    assert.ok(Number.isFinite(s.loss) && s.loss > 0);
    assert.notDeepEqual(t.model.parameters().map((p) => p.toArray()), before);
  });
});

// evaluate() against a recomputation done another way: PyTorch's trained model, one image at a time,
// the loss as −mean log p[label] and the argmax taken here; evaluate batches 37 at a time (last
// batch partial) and must give the same count and, to float rounding, the same loss.
describe('evaluate', () => {
  after(closeEngine);
  it('loss and accuracy of 100 test images equal a per-image recomputation', () => {
    const e = initEngine({ threads: 2 });
    const model = loadModel(`${ROOT}test/fixtures/torch/net.safetensors`);
    const test = loadIdxDataset(undefined, { limitTrain: 1, limitTest: 100 }).test;
    let nll = 0, right = 0;
    for (let n = 0; n < 100; n++) {
      const mark = e.arena.mark();
      const x = Tensor.empty([1, 1, 28, 28]);
      normaliseBatch(test, [n], 0, 1, x.data());
      const lp = Array.from(noGrad(() => model.eval().forward(x)).toArray());
      nll -= lp[test.labels[n]!]!;
      if (lp.indexOf(Math.max(...lp)) === test.labels[n]) right++;
      e.arena.release(mark);
    }
    const s = evaluate(model, test, 37);
    assert.deepEqual([s.correct, s.total, s.accuracy], [right, 100, right]);
    assert.ok(Math.abs(s.loss - nll / 100) <= 1e-5 * Math.max(1, nll / 100), `loss ${s.loss}, recomputed ${nll / 100}`);
  });
});

// OneCycle cycles SGD's momentum only when the recipe has some (plain SGD stays plain), and Adam's
// β1 always (the recipe's momentum field is SGD's).
describe('makeSchedule', () => {
  it('OneCycle cycles momentum for SGD with momentum and for Adam, not for plain SGD', () => {
    const at0 = (o: Partial<Recipe>) => makeSchedule({ ...DEFAULT_RECIPE, schedule: 'onecycle', ...o }, 10).at(0).momentum;
    assert.equal(at0({ optimizer: 'sgd', momentum: 0 }), undefined);
    assert.equal(at0({ optimizer: 'sgd', momentum: 0.9 }), 0.95);
    assert.equal(at0({ optimizer: 'adam', momentum: 0 }), 0.95);
  });
});
