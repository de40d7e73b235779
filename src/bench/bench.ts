// Speed measurement of the reference network: ms per training step (forward + backward + update),
// training and evaluation images per second, for a given thread count. Library side of `bench`.
import { loadIdxDataset } from '../data/datasets.js';
import { initEngine } from '../engine/node.js';
import { newPoolTrace, type PoolTrace } from '../engine/pool.js';
import { engine } from '../engine/wasm.js';
import { zooSpec, type ArchSpec } from '../models/index.js';
import { describeMachine, machineInfo } from '../util/machine.js';
import { benchConvLayers, type LayerRate } from './layers.js';
import { DEFAULT_RECIPE, EVAL_BATCH, recipeOf, unpaddedConvOf, type Recipe } from '../train/recipe.js';
import { evaluate, makeTrainer, trainEpoch } from '../train/trainer.js';
import type { UnpaddedConv } from '../kernels/conv.js';

export interface BenchResult {
  /** The CPU (describeMachine), so that no figure travels without it. */
  machine: string;
  threads: number;
  variant: string;
  msPerStep: number;
  trainImagesPerSecond: number;
  evalImagesPerSecond: number;
  arenaPeakMB: number;
  /** Peak resident memory of this process (the benchmark runs in its own process for this). */
  peakRssMB: number;
  /** ms per training step by phase, and by wasm kernel (forward and backward kernels by name). */
  phases: Record<string, number>;
  kernels: Record<string, number>;
  /**
   * With more than one thread, where a step's time goes between the caller and the workers (ms per
   * step). See PoolTrace.
   */
  pool: PoolStepProfile | null;
  /** GFLOP/s of each conv layer's passes at the training batch size. */
  layers: LayerRate[];
  /** How unpadded 3×3 convs computed (the recipe's numerics; Conv2d.unpadded). */
  unpaddedConv: UnpaddedConv;
}

export interface PoolStepProfile {
  serial: number;
  mainKernels: number;
  unsplit: number;
  waiting: number;
  workerKernels: number;
}

function poolStepProfile(tr: PoolTrace, perStep: (ms: number) => number): PoolStepProfile {
  return {
    serial: perStep(tr.serialMs), mainKernels: perStep(tr.mainKernelMs), unsplit: perStep(tr.unsplitKernelMs),
    waiting: perStep(tr.waitMs), workerKernels: perStep(tr.workerKernelMs),
  };
}

export interface BenchOptions {
  threads: number;
  steps: number;
  /**
   * Untimed training steps first (default 2: compile tiers, grow memory). PyTorch's steps slow down
   * as its training goes on (denormal numbers: see torch_reference.py), so a steady-state
   * comparison warms both sides up for longer.
   */
  warmup?: number;
  /**
   * Default: the spec's own recipe (recipeOf: a zoo entry's numerics and EMA, say, as `train
   * --arch` runs it) at batch 128, the batch bench/torch_reference.py times.
   */
  recipe?: Recipe;
  /** The architecture (default: the zoo entry the recipe names). */
  spec?: ArchSpec;
  variant?: 'relaxed' | 'simd';
  /** false: skip the profiled pass and the per-layer conv rates (phases, kernels, layers left empty). */
  profile?: boolean;
}

/** MNIST's training images: bench's warm-up and timed batches are distinct images from them, in order. */
export const BENCH_TRAIN_IMAGES = 60_000;

/** Why o.warmup + o.steps batches do not fit in the training set (null: they do). Both sides of --vs-torch take them in order. */
export function benchStepsProblem(steps: number, warmup: number, batchSize = DEFAULT_RECIPE.batchSize): string | null {
  const need = batchSize * (steps + warmup);
  if (need <= BENCH_TRAIN_IMAGES) return null;
  return `--steps ${steps} and --warmup ${warmup} need ${need} training images at batch ${batchSize}; MNIST has ${BENCH_TRAIN_IMAGES} (steps + warmup ≤ ${Math.floor(BENCH_TRAIN_IMAGES / batchSize)})`;
}

/** The engine, a trainer warmed up on o.warmup batches, and the o.steps batches after them to time. */
function benchSetup(o: BenchOptions) {
  const e = initEngine({ threads: o.threads, variant: o.variant });
  const recipe = o.recipe ? { ...o.recipe } : { ...(o.spec ? recipeOf(o.spec) : DEFAULT_RECIPE), batchSize: DEFAULT_RECIPE.batchSize };
  const B = recipe.batchSize, W = o.warmup ?? 2;
  const data = loadIdxDataset(undefined, { limitTrain: B * (o.steps + W) }); // all 10,000 test images, like torch_reference.py
  const warm = { ...data.train, count: B * W };
  const timed = { ...data.train, count: B * o.steps, images: data.train.images.subarray(B * W * 784), labels: data.train.labels.subarray(B * W) };
  const t = makeTrainer(o.spec ?? zooSpec(recipe.arch), recipe, 1, data.train.count);
  trainEpoch(t, warm); // warm-up: compile tiers, grow memory
  return { e, recipe, B, data, timed, t };
}

/**
 * A resident trainer for interleaved timing (bench --vs-torch --bursts): each call trains the
 * same o.steps batches once more and returns ms per step.
 */
export function trainingStepper(o: BenchOptions): () => number {
  const { timed, t } = benchSetup(o);
  return () => {
    const t0 = performance.now();
    trainEpoch(t, timed);
    return (performance.now() - t0) / o.steps;
  };
}

export function benchTraining(o: BenchOptions): BenchResult {
  const { e, recipe, B, data, timed, t } = benchSetup(o);
  let t0 = performance.now();
  trainEpoch(t, timed);
  const trainMs = performance.now() - t0;
  const perStep = (ms: number) => Number((ms / o.steps).toFixed(2));
  let phases: Record<string, number> = {}, kernels: Record<string, number> = {}, layers: LayerRate[] = [];
  let pool: PoolStepProfile | null = null;
  if (o.profile !== false) {
    // A second, profiled pass: timing calls perturb it slightly, so the headline figure is the one above.
    t.timing = { data: 0, forward: 0, backward: 0, update: 0 };
    e.pool.profile = new Map();
    trainEpoch(t, timed);
    phases = Object.fromEntries(Object.entries(t.timing).map(([k, v]) => [k, perStep(v)]));
    kernels = Object.fromEntries([...e.pool.profile].sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => [k, perStep(v.ms)]));
    e.pool.profile = null;
    t.timing = undefined;
    layers = benchConvLayers(e, t.model, B);
    if (e.pool.size > 1) {
      // A third pass with only the thread trace on (the per-kernel timing above would count as serial time).
      e.pool.trace = newPoolTrace();
      trainEpoch(t, timed);
      pool = poolStepProfile(e.pool.trace, perStep);
      e.pool.trace = null;
    }
  }
  evaluate(t.model, { ...data.test, count: EVAL_BATCH });
  t0 = performance.now();
  evaluate(t.model, data.test);
  const evalMs = performance.now() - t0;
  return {
    machine: describeMachine(machineInfo()),
    threads: o.threads,
    variant: e.variant,
    msPerStep: trainMs / o.steps,
    trainImagesPerSecond: (B * o.steps * 1000) / trainMs,
    evalImagesPerSecond: (data.test.count * 1000) / evalMs,
    arenaPeakMB: engine().arena.stats().peak / (1024 * 1024),
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    phases,
    kernels,
    pool,
    layers,
    unpaddedConv: unpaddedConvOf(recipe),
  };
}
