// One in-page training run, inside the engine worker: a zoo entry or a spec the page loaded, and the
// default recipe (only epochs and batch size chosen by the user), trainEpoch and evaluateEpoch exactly as the CLI
// runs them, progress sent back as events. It does not draw anything (train-panel.ts does).
import type { Split } from '../src/data/datasets.js';
import { encodeModel } from '../src/io/model-file.js';
import { parseArchSpec, zooSpec, type ArchSpec } from '../src/models/index.js';
import { DEFAULT_RECIPE, recipeOf, type Recipe } from '../src/train/recipe.js';
import { withScoredWeights } from '../src/train/ema.js';
import { evaluateEpoch } from '../src/train/precise-bn.js';
import { evaluate, makeTrainer, trainEpoch, type EpochStats } from '../src/train/trainer.js';
import type { TrainEvent, TrainOptions, TrainResult } from './protocol.js';

const PROGRESS_MS = 100; // at most ten progress events a second

/** Running statistics, if the trainer passes them as a fourth argument to its progress callback. */
interface Running {
  loss?: number;
  accuracy?: number;
}

export function trainJob(o: TrainOptions, train: Split, test: Split, emit: (e: TrainEvent) => void): TrainResult {
  if (!Number.isInteger(o.count) || o.count < 1) throw new RangeError(`train: count must be a positive integer, got ${o.count}`);
  if (!Number.isInteger(o.epochs) || o.epochs < 1 || o.epochs > 100) throw new RangeError(`train: epochs must be 1 to 100, got ${o.epochs}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new RangeError(`train: batch size must be a positive integer, got ${o.batchSize}`);
  const spec = o.spec ? parseArchSpec(o.spec, 'architecture') : zooSpec(DEFAULT_RECIPE.arch);
  // The page offers smaller batches than the recipe's but no learning-rate field: the peak learning
  // rate scales with the batch (linear scaling), as the recipe's is tuned for its own batch. At batch
  // 16 on 2,000 images for 2 epochs the unscaled peak 0.2 reached 70.8% in Node, the scaled 0.025 90.0%.
  const base = recipeOf(spec);
  const recipe: Recipe = { ...base, epochs: o.epochs, batchSize: o.batchSize, lr: (base.lr * o.batchSize) / base.batchSize };
  const t = makeTrainer(spec, recipe, o.seed, train.count);
  emit({ kind: 'data', train: train.count, test: test.count });
  const t0 = performance.now();
  let last: EpochStats = evaluate(t.model, test);
  let final: ArrayBuffer | null = null;
  emit({ kind: 'epoch', epoch: 0, train: null, test: last, seconds: (performance.now() - t0) / 1000 });
  for (let epoch = 1; epoch <= recipe.epochs; epoch++) {
    const e0 = performance.now();
    let sent = 0;
    const stats = trainEpoch(t, train, (done, total, imagesPerSecond, running?: Running) => {
      const now = performance.now();
      if (now - sent < PROGRESS_MS && done < total) return;
      sent = now;
      emit({ kind: 'progress', epoch, done, total, imagesPerSecond, loss: running?.loss, accuracy: running?.accuracy });
    });
    // Precise BatchNorm statistics first, and the averaged weights with an EMA recipe, as the CLI.
    // The model after every epoch goes with its event (16,626 floats): if the user stops the run
    // during the next epoch, the page still has this one to offer.
    const { scored, model } = withScoredWeights(t.ema, () => {
      const scored = evaluateEpoch(t.model, train, test, recipe);
      return { scored, model: modelBytes(t.model, spec, recipe, epoch, scored, train.count) };
    });
    last = scored;
    final = model;
    emit({ kind: 'epoch', epoch, train: stats, test: last, seconds: (performance.now() - e0) / 1000, model });
  }
  // epochs ≥ 1 (checked above), so the last epoch's model (averaged weights with an EMA recipe) is set.
  return { bytes: final!, test: last, seconds: (performance.now() - t0) / 1000 };
}

function modelBytes(model: Parameters<typeof encodeModel>[0], spec: ArchSpec, recipe: Recipe, epoch: number, test: EpochStats, trainCount: number): ArrayBuffer {
  const bytes = encodeModel(model, {
    epoch: String(epoch),
    test_accuracy: test.accuracy.toFixed(2),
    trained_in: 'browser',
    train_images: String(trainCount),
    recipe: JSON.stringify(recipe),
  }, spec);
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}
