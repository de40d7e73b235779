// Training and evaluation loops, in the shape of PyTorch's examples/mnist/main.py: trainEpoch(),
// evaluate(), and makeTrainer() wiring model, optimiser and schedule from a recipe.
// Each step allocates its activations above an arena mark and releases them at the end.
import type { Split } from '../data/datasets.js';
import { normaliseBatch, type AugmentOptions } from '../data/augment.js';
import { engine } from '../engine/wasm.js';
import { augmentBatchWasm } from '../data/augment-wasm.js';
import { buildModel, type ArchSpec } from '../models/index.js';
import { fuse } from '../nn/fuse.js';
import { setUnpaddedConv } from '../nn/layers.js';
import { Sequential } from '../nn/sequential.js';
import { Module } from '../nn/module.js';
import { nllLoss } from '../ops/loss.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ConstantLR, OneCycle, StepLR, type Schedule } from '../optim/schedule.js';
import { SGD } from '../optim/sgd.js';
import { noGrad } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { NumericalError, UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { argmax } from '../util/argmax.js';
import { WeightEma } from './ema.js';
import { EVAL_BATCH, unpaddedConvOf, type Recipe } from './recipe.js';

export interface EpochStats {
  loss: number;
  accuracy: number; // percent
  correct: number;
  total: number;
}

export interface Trainer {
  model: Module;
  optimizer: Optimizer;
  schedule: Schedule;
  recipe: Recipe;
  /** Streams: shuffling, augmentation, dropout (the model holds it). Saved in checkpoints. */
  rngs: { data: Rng; augment: Rng; dropout: Rng };
  /** Global step (updates done so far), for the schedule. */
  step: number;
  stepsPerEpoch: number;
  /** The weight average evaluations and saved models use (recipe.ema > 0), else null. */
  ema: WeightEma | null;
  /** When set, milliseconds per phase of a training step accumulate here (the benchmark's profile). */
  timing?: PhaseTimes;
}

export interface PhaseTimes {
  data: number;
  forward: number;
  backward: number;
  update: number;
}

export function stepsPerEpoch(trainCount: number, batchSize: number): number {
  return Math.ceil(trainCount / batchSize);
}

/**
 * Wires a model, its optimiser and schedule for `recipe`. `arch` is a spec (the model is built from
 * it with weights drawn from the seed; the recipe's dropout, when set, overrides the spec's) or a
 * model you built (it keeps its own weights and dropout generator). A Sequential is fused (nn/fuse.ts).
 * `data` gives the input image (C,H,W) and the number of classes the spec is checked against.
 */
export function makeTrainer(arch: ArchSpec | Module, recipe: Recipe, seed: number, trainCount: number,
  data: { input?: readonly number[]; classes?: number } = {}): Trainer {
  const root = new Rng(seed);
  const initRng = root.fork();
  const rngs = { data: root.fork(), augment: root.fork(), dropout: root.fork() };
  const built = arch instanceof Module ? arch : buildModel(arch, { initRng, dropoutRng: rngs.dropout, dropout: recipe.dropout ?? undefined, ...data });
  // The kernels' numerics are the recipe's too (only unpadded 3×3 convs have a choice).
  setUnpaddedConv(built, unpaddedConvOf(recipe));
  const model = built instanceof Sequential ? fuse(built) : built;
  const params = model.parameters();
  const optimizer: Optimizer =
    recipe.optimizer === 'sgd'
      ? new SGD(params, { lr: recipe.lr, momentum: recipe.momentum, nesterov: recipe.nesterov, weightDecay: recipe.weightDecay })
      : new Adam(params, { lr: recipe.lr, weightDecay: recipe.weightDecay, decoupled: recipe.optimizer === 'adamw' });
  const spe = stepsPerEpoch(trainCount, recipe.batchSize);
  const schedule = makeSchedule(recipe, spe);
  const ema = recipe.ema > 0 ? new WeightEma(params, recipe.ema) : null;
  if (ema && !(recipe.bnRecalibrate > 0)) {
    throw new UserError('--ema needs --bn-recalibrate > 0: the averaged weights need BatchNorm statistics of their own, re-estimated before each evaluation');
  }
  return { model, optimizer, schedule, recipe, rngs, step: 0, stepsPerEpoch: spe, ema };
}

export function makeSchedule(r: Recipe, spe: number): Schedule {
  if (r.schedule === 'onecycle') {
    // Like PyTorch's default, momentum (SGD) or β1 (Adam) cycles 0.95 → 0.85 → 0.95.
    const cycleMomentum = r.optimizer !== 'sgd' || r.momentum > 0;
    return new OneCycle({ maxLr: r.lr, totalSteps: r.epochs * spe, pctStart: r.pctStart, divFactor: r.divFactor, finalDivFactor: r.finalDivFactor, cycleMomentum });
  }
  // StepLR is per epoch: convert the global step to an epoch index.
  if (r.schedule === 'step') {
    const s = new StepLR(r.lr, r.stepSize ?? 5, r.gamma ?? 0.1); // recipes saved before these fields: 5, 0.1
    return { at: (step) => s.at(Math.floor(step / spe)) };
  }
  return new ConstantLR(r.lr);
}

/** The schedule's learning rate at up to `points` steps spread over the run: [epoch (fractional), lr]. */
export function learningRateCurve(r: Recipe, spe: number, points = 400): Array<[number, number]> {
  const s = makeSchedule(r, spe), total = r.epochs * spe;
  const every = Math.max(1, Math.floor(total / points));
  const out: Array<[number, number]> = [];
  for (let step = 0; step < total; step += every) out.push([step / spe, s.at(step).lr]);
  out.push([r.epochs, s.at(total - 1).lr]);
  return out;
}

/** Called after every batch; `running` is the epoch's loss and accuracy so far (for live charts). */
export type Progress = (done: number, total: number, imagesPerSecond: number, running: { loss: number; accuracy: number }) => void;

/**
 * A step has diverged when its loss is not finite or exceeds 100× the loss of a uniform guess
 * (100·ln K ≈ 230 for 10 classes; training starts near ln K): no converging run gets there, and a
 * finite but huge loss (e.g. --lr 1e6 with BatchNorm) would otherwise train on as garbage.
 */
export function divergedLoss(loss: number, classes: number): boolean {
  return !Number.isFinite(loss) || loss > 100 * Math.log(classes);
}

function allFinite(params: readonly { data(): Float32Array }[]): boolean {
  for (const p of params) for (const v of p.data()) if (!Number.isFinite(v)) return false;
  return true;
}

/** How many rows of logp (N,K) have their largest value at the label; confusion (K·K): +1 at [label·K + predicted] per row. */
function argmaxCorrect(logp: Float32Array, labels: ArrayLike<number>, K: number, confusion?: Int32Array): number {
  if (confusion && confusion.length !== K * K) throw new Error(`evaluate: confusion has ${confusion.length} cells for ${K} classes`);
  let correct = 0;
  for (let n = 0; n < labels.length; n++) {
    const predicted = argmax(logp.subarray(n * K, (n + 1) * K));
    if (predicted === labels[n]) correct++;
    if (confusion) confusion[labels[n]! * K + predicted]!++;
  }
  return correct;
}

/** One pass over the (shuffled, augmented) training set. */
export function trainEpoch(t: Trainer, data: Split, onProgress?: Progress): EpochStats {
  const steps = trainEpochSteps(t, data, onProgress);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * trainEpoch as a generator that pauses after each batch (its memory released), so a caller can
 * yield to the event loop there, e.g. to notice Ctrl-C (train/run.ts). Same steps, same numbers.
 */
export function* trainEpochSteps(t: Trainer, data: Split, onProgress?: Progress): Generator<void, EpochStats> {
  const e = engine();
  const { model, optimizer, schedule, recipe: r } = t;
  model.train();
  const order = t.rngs.data.shuffle(Uint32Array.from({ length: data.count }, (_, i) => i));
  const aug: AugmentOptions = { rotateDeg: r.rotateDeg, brightness: r.brightness, contrast: r.contrast, translate: r.translate, scale: r.scale, elastic: r.elastic ?? 0 };
  const labels = new Int32Array(r.batchSize);
  let lossSum = 0, correct = 0, seen = 0;
  const t0 = performance.now();
  const tm = t.timing;
  let clock = tm ? performance.now() : 0;
  const lap = (phase: keyof PhaseTimes) => {
    if (!tm) return;
    const now = performance.now();
    tm[phase] += now - clock;
    clock = now;
  };
  for (let start = 0, s = 0; start < data.count; start += r.batchSize, s++) {
    const B = Math.min(r.batchSize, data.count - start);
    const mark = e.arena.mark();
    const x = Tensor.empty([B, 1, data.height, data.width]);
    augmentBatchWasm(e, data, order, start, B, x.ptr, t.rngs.augment, aug);
    for (let i = 0; i < B; i++) labels[i] = data.labels[order[start + i]!]!;
    const target = labels.subarray(0, B);
    lap('data');
    const logp = model.forward(x);
    const loss = nllLoss(logp, target, r.labelSmoothing);
    const lv = loss.item();
    lap('forward');
    const sv = schedule.at(t.step);
    if (divergedLoss(lv, logp.shape[1]!)) {
      e.arena.release(mark);
      throw new NumericalError(`training diverged: loss is ${Number.isFinite(lv) ? lv.toPrecision(4) : lv} at step ${t.step} (epoch batch ${s + 1}), learning rate ${sv.lr.toPrecision(4)}; try a smaller --lr`);
    }
    optimizer.zeroGrad();
    loss.backward();
    lap('backward');
    optimizer.lr = sv.lr;
    if (sv.momentum !== undefined) optimizer.momentum = sv.momentum;
    optimizer.step();
    t.step++;
    if (!allFinite(optimizer.params)) {
      e.arena.release(mark);
      throw new NumericalError(`training diverged: weights became NaN or Infinity at step ${t.step - 1}, learning rate ${sv.lr.toPrecision(4)}; try a smaller --lr`);
    }
    t.ema?.update();
    lap('update');
    lossSum += lv * B;
    correct += argmaxCorrect(logp.data(), target, logp.shape[1]!);
    seen += B;
    e.arena.release(mark);
    onProgress?.(seen, data.count, (seen * 1000) / (performance.now() - t0), { loss: lossSum / seen, accuracy: (100 * correct) / seen });
    yield;
  }
  return { loss: lossSum / seen, accuracy: (100 * correct) / seen, correct, total: seen };
}

/**
 * fn(x, start, B) for the first `count` images of data in order, normalised (not augmented), in
 * batches of batchSize (the last may be smaller), without autograd; a batch's tensors are released
 * when fn returns. Shared by evaluate and precise-bn.ts.
 */
export function forEachBatch(data: Split, count: number, batchSize: number, fn: (x: Tensor, start: number, B: number) => void): void {
  const e = engine();
  const idx = Uint32Array.from({ length: count }, (_, i) => i);
  noGrad(() => {
    for (let start = 0; start < count; start += batchSize) {
      const B = Math.min(batchSize, count - start);
      const mark = e.arena.mark();
      const x = Tensor.empty([B, 1, data.height, data.width]);
      normaliseBatch(data, idx, start, B, x.data());
      fn(x, start, B);
      e.arena.release(mark);
    }
  });
}

/**
 * Loss and accuracy of `model` in evaluation mode (running BatchNorm statistics, no dropout).
 * confusion (K·K, K classes): adds 1 at [label·K + predicted] for every image.
 */
export function evaluate(model: Module, data: Split, batchSize = EVAL_BATCH, confusion?: Int32Array): EpochStats {
  model.eval();
  let lossSum = 0, correct = 0;
  forEachBatch(data, data.count, batchSize, (x, start, B) => {
    const target = data.labels.subarray(start, start + B);
    const logp = model.forward(x);
    lossSum += nllLoss(logp, target).item() * B;
    correct += argmaxCorrect(logp.data(), target, logp.shape[1]!, confusion);
  });
  return { loss: lossSum / data.count, accuracy: (100 * correct) / data.count, correct, total: data.count };
}
