// One training run end to end: plan it (a new run, or the run in a folder to resume), load and check
// the data, check that the network and a batch fit (preflight.ts), only then take the run folder
// (rundir.ts: lock, temp files, config.json), loop epochs and after each write model.safetensors,
// metrics.csv, curves.svg and the checkpoint atomically. Library code: reports through callbacks
// and errors (RunStopped when it ends early with its epochs saved), never prints.
import { randomBytes } from 'node:crypto';
import { loadIdxDataset, type Dataset, type Split } from '../data/datasets.js';
import { splitValidation } from '../data/split.js';
import { initEngine } from '../engine/node.js';
import { analyseSpec, MNIST_INPUT, sourceOf, zooSpec, type ArchSpec } from '../models/index.js';
import { UserError } from '../util/errors.js';
import type { EpochRecord } from './metrics.js';
import { preflight } from './preflight.js';
import { unpaddedConvOf, type Recipe } from './recipe.js';
import { encodeModel, unpaddedConvMetadata } from '../io/model-file.js';
import { withScoredWeights } from './ema.js';
import { evaluateEpoch } from './precise-bn.js';
import { readRunConfig } from './run-config.js';
import { configJson, recordFinish, resumeFrom, RunStopped, takeFolder, writeRunFiles, type Plan } from './run-files.js';
import { holdsRun } from './rundir.js';
import { evaluate, makeTrainer, trainEpochSteps, type EpochStats, type Progress, type Trainer } from './trainer.js';

/** MNIST-format labels are the digits 0–9. */
const CLASSES = 10;

export { RunStopped };

export interface RunOptions {
  /** The architecture (default: the zoo entry recipe.arch names). */
  spec?: ArchSpec;
  recipe: Recipe;
  seed: number;
  threads?: number;
  dataDir?: string;
  limitTrain?: number;
  limitTest?: number;
  /** Hold out this many training images (chosen from the seed) and score them every epoch. */
  val?: number;
  /** Run directory of a new run; null writes nothing. */
  out: string | null;
  /** `out` is a default name: when taken, use out-2, out-3, … instead. */
  uniqueOut?: boolean;
  /** Remove the files of a run already in `out` first (otherwise such a folder is refused). */
  overwrite?: boolean;
  /** Continue the run in this folder: its config.json fixes recipe, seed and data; `out` is ignored. */
  resume?: string;
  /** With resume: train until this many epochs in all (may extend a finished run). */
  resumeEpochs?: number;
  /** Polled after every batch; true ends the run with RunStopped, every finished epoch saved. */
  shouldStop?: () => boolean;
  onEpoch?: (r: EpochRecord) => void;
  onProgress?: Progress;
  /** Called once before training starts, with the run's true settings (from config.json on resume). */
  onStart?: (info: StartInfo) => void;
}

export interface StartInfo {
  /** With --val, train is the part trained on. */
  dataset: Dataset;
  /** The held-out images (--val), or null. */
  val: Split | null;
  trainer: Trainer;
  seed: number;
  startEpoch: number;
  /** Last epoch this run trains to. */
  epochs: number;
  outDir: string | null;
  runId: string;
  resumed: boolean;
}

export interface RunResult {
  records: EpochRecord[];
  trainer: Trainer;
  outDir: string | null;
}


function planNew(o: RunOptions): Plan {
  if (o.out !== null && !o.uniqueOut && !o.overwrite && holdsRun(o.out)) {
    throw new UserError(`${o.out}: holds a run already; continue it with --resume ${o.out}, or replace it with --overwrite`);
  }
  const options = { dataDir: o.dataDir, limitTrain: o.limitTrain, limitTest: o.limitTest };
  const spec = o.spec ?? zooSpec(o.recipe.arch);
  const val = o.val !== undefined && o.val > 0 ? o.val : undefined;
  return { runId: randomBytes(8).toString('hex'), spec, recipe: o.recipe, seed: o.seed, val, options, epochs: o.recipe.epochs, dir: o.out, resume: null };
}

function planResume(dir: string, epochs: number | undefined): Plan {
  const { raw, ...cfg } = readRunConfig(dir);
  const recorded = cfg.epochs ?? cfg.recipe.epochs;
  return { ...cfg, epochs: epochs ?? recorded, dir, resume: { raw, epochs: recorded } };
}

/**
 * The spec against the data, before anything is written: a spec that cannot work on any MNIST-size
 * input is the spec's fault (its message names the file and the layer); one that works on 28×28
 * but not on these images is the data's.
 */
function checkSpecFits(spec: ArchSpec, input: number[], what: string): void {
  analyseSpec(spec, MNIST_INPUT, CLASSES, sourceOf(spec));
  try {
    analyseSpec(spec, input, CLASSES, sourceOf(spec));
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new UserError(`${what}: images are ${input[1]}x${input[2]}, which the network ${spec.name} cannot take (${e.message})`);
  }
}

function checkData(d: Dataset, dataDir: string | undefined): void {
  const where = dataDir ?? 'the MNIST data';
  if (d.train.count === 0) throw new UserError(`${where}: the training set has no images; nothing to train on`);
  if (d.test.count === 0) throw new UserError(`${where}: the test set has no images; a run needs some to score each epoch`);
}

export async function runTraining(o: RunOptions): Promise<RunResult> {
  const plan = o.resume !== undefined ? planResume(o.resume, o.resumeEpochs) : planNew(o);
  const { recipe, seed, options } = plan;
  initEngine({ threads: o.threads });
  const loaded = loadIdxDataset(options.dataDir, { limitTrain: options.limitTrain, limitTest: options.limitTest });
  checkData(loaded, options.dataDir);
  // With --val the rest trains (and recalibrates BatchNorm); the held-out part is only scored.
  const split = plan.val !== undefined ? splitValidation(loaded.train, plan.val, seed) : null;
  const dataset: Dataset = split ? { ...loaded, train: split.train } : loaded;
  const val = split?.val ?? null;
  const input = [1, dataset.train.height, dataset.train.width];
  checkSpecFits(plan.spec, input, options.dataDir ?? dataset.name);
  preflight(plan.spec, recipe, dataset.train.height, dataset.train.width, options.dataDir ?? dataset.name);
  const trainer = makeTrainer(plan.spec, recipe, seed, dataset.train.count, { input, classes: CLASSES });
  // The model file carries its numerics where the spec's recipe block does not already say them.
  const unpaddedMeta = unpaddedConvMetadata(unpaddedConvOf(recipe), plan.spec);
  const { dir, release } = takeFolder(plan, o, () => configJson(plan, dataset, val, trainer));
  try {
    let records: EpochRecord[] = [];
    if (plan.resume !== null && dir) records = resumeFrom(dir, plan, trainer);
    const startEpoch = records.length > 0 ? records[records.length - 1]!.epoch + 1 : 1;
    o.onStart?.({ dataset, val, trainer, seed, startEpoch, epochs: plan.epochs, outDir: dir, runId: plan.runId ?? '', resumed: plan.resume !== null });
    const saved = () => {
      const n = records.length > 0 ? records[records.length - 1]!.epoch : 0;
      return n === 0 ? 'no epoch had finished' : `${n === 1 ? 'epoch 1 is' : `epochs 1–${n} are`} saved in ${dir}`;
    };
    for (let epoch = startEpoch; epoch <= plan.epochs; epoch++) {
      const t0 = performance.now();
      const tr = await trainEpochStoppable(trainer, dataset, o);
      if (tr === null) throw new RunStopped(`interrupted during epoch ${epoch}; ${saved()}`, dir, true);
      // Scored (and saved) with the weights the recipe scores: the average with --ema; validation
      // with the same recalibrated BatchNorm statistics as the test set. --test-every N skips the
      // scoring (and the recalibration) of other epochs than every N-th and the last: their records
      // hold NaN for the test (and validation) figures, and their model file the BatchNorm
      // statistics of training.
      const scored = epoch === plan.epochs || epoch % (recipe.testEvery ?? 1) === 0;
      const { te, va, model } = withScoredWeights(trainer.ema, () => {
        const te = scored ? evaluateEpoch(trainer.model, dataset.train, dataset.test, recipe) : null;
        const va = scored && val ? evaluate(trainer.model, val) : null;
        const meta = { epoch: String(epoch), ...(te ? { test_accuracy: te.accuracy.toFixed(2) } : {}), ...unpaddedMeta };
        return { te, va, model: dir ? encodeModel(trainer.model, meta, plan.spec) : null };
      });
      const rec: EpochRecord = {
        epoch, loss: tr.loss, trainAcc: tr.accuracy, testLoss: te?.loss ?? NaN, testAcc: te?.accuracy ?? NaN,
        lr: trainer.optimizer.lr, seconds: (performance.now() - t0) / 1000,
        ...(val ? { valLoss: va?.loss ?? NaN, valAcc: va?.accuracy ?? NaN } : {}),
      };
      if (dir) writeRunFiles(dir, trainer, plan, [...records, rec], model!, saved);
      records.push(rec);
      o.onEpoch?.(rec);
      if (epoch < plan.epochs && o.shouldStop?.()) throw new RunStopped(`interrupted after epoch ${epoch}; ${saved()}`, dir, true);
    }
    if (dir) recordFinish(dir, plan);
    return { records, trainer, outDir: dir };
  } finally {
    release();
  }
}

/** trainEpoch, yielding to the event loop after every batch so a signal handler can run; null if stopped. */
async function trainEpochStoppable(t: Trainer, d: Dataset, o: RunOptions): Promise<EpochStats | null> {
  const steps = trainEpochSteps(t, d.train, o.onProgress);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await new Promise((resolve) => setImmediate(resolve));
    if (o.shouldStop?.()) return null;
  }
}

