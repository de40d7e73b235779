// Precise BatchNorm statistics (Wu & Johnson 2021, "Rethinking 'Batch' in BatchNorm"; PyTorch's
// torch.optim.swa_utils.update_bn): before an evaluation, every BatchNorm's running mean and variance
// are re-estimated as the plain average over a fixed set of training images, un-augmented and with
// dropout off, instead of PyTorch's momentum average, which mostly reflects the last ~10 augmented,
// dropped-out batches. Measured here: with the learning rate at ~0 the weights no longer move, yet
// the test accuracy still moved by up to 7 images between the last epochs with momentum statistics.
// Training never reads the running statistics and this draws no random numbers, so the weights of a
// run are exactly those it would have without it.
import type { Split } from '../data/datasets.js';
import { BatchNorm2d } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import type { Recipe } from './recipe.js';
import { evaluate, forEachBatch, type EpochStats } from './trainer.js';

function batchNorms(m: Module, out: BatchNorm2d[] = []): BatchNorm2d[] {
  if (m instanceof BatchNorm2d) out.push(m);
  for (const [, c] of m.modules()) batchNorms(c, out);
  return out;
}

/**
 * Running statistics of every BatchNorm of `model` := the average of its batch statistics over the
 * first `images` training images (whole batches of `batchSize`, in order). Leaves the model in
 * evaluation mode. images = 0: nothing changes.
 */
export function recalibrateBatchNorm(model: Module, data: Split, images: number, batchSize: number): void {
  const bns = batchNorms(model);
  const batches = Math.floor(Math.min(images, data.count) / batchSize);
  if (bns.length === 0 || batches === 0) return;
  const momentum = bns.map((b) => b.momentum);
  model.eval();
  for (const b of bns) b.train(true); // batch statistics in BatchNorm; dropout stays off
  try {
    forEachBatch(data, batches * batchSize, batchSize, (x, start) => {
      // Momentum 1/(k+1) for batch k: afterwards the running value is the mean of batches 0..k.
      for (const b of bns) b.momentum = 1 / (start / batchSize + 1);
      model.forward(x);
    });
  } finally {
    bns.forEach((b, i) => (b.momentum = momentum[i]!));
    model.eval();
  }
}

/**
 * How every epoch is scored, by the CLI (run.ts) and the page (web/train-job.ts) alike: the
 * recipe's precise BatchNorm statistics, then the test evaluation.
 */
export function evaluateEpoch(model: Module, train: Split, test: Split, recipe: Pick<Recipe, 'bnRecalibrate' | 'batchSize'>): EpochStats {
  recalibrateBatchNorm(model, train, recipe.bnRecalibrate, recipe.batchSize);
  return evaluate(model, test);
}
