// Using a saved model from Node: load it from a file, evaluate it on a test set, classify PNG files.
// The environment-agnostic part (bytes → model, digits → probabilities) is classify.ts.
import { loadIdxTestSet } from '../data/datasets.js';
import { NUM_CLASSES } from '../data/constants.js';
import { toMnistDigit } from '../data/digit.js';
import { initEngine } from '../engine/node.js';
import { readPngGrey } from '../io/png.js';
import { readUserFile } from '../io/user-file.js';
import type { ArchSpec } from '../models/index.js';
import type { Module } from '../nn/module.js';
import { NumericalError, UserError } from '../util/errors.js';
import { argmax } from '../util/argmax.js';
import { classify, modelFromBytes } from './classify.js';
import { evaluate, type EpochStats } from '../train/trainer.js';

export { readUserFile };

/** The model a safetensors file holds, built from the spec it carries (`arch` overrides it); checked before anything is copied. */
export function loadModel(file: string, arch?: ArchSpec): Module {
  return modelFromBytes(readUserFile(file), file, arch);
}

export interface EvalOptions {
  model: string;
  arch?: ArchSpec;
  dataDir?: string;
  limitTest?: number;
  threads?: number;
}

export interface EvalResult extends EpochStats {
  /** confusion[label][predicted]: how many test images of each digit went to each class. */
  confusion: number[][];
}

/** Test loss, accuracy and confusion matrix; needs only the t10k-* files. Refuses an empty test set and non-finite outputs. */
export function evaluateFile(o: EvalOptions): EvalResult {
  initEngine({ threads: o.threads });
  const model = loadModel(o.model, o.arch);
  const test = loadIdxTestSet(o.dataDir, o.limitTest);
  if (test.count === 0) throw new UserError(`${o.dataDir ?? 'the MNIST data'}: the test set has no images; nothing to evaluate`);
  const cells = new Int32Array(NUM_CLASSES * NUM_CLASSES);
  const r = evaluate(model, test, undefined, cells);
  if (!Number.isFinite(r.loss)) {
    throw new NumericalError(`${o.model}: the model's outputs are not finite (test loss ${r.loss}), so its accuracy means nothing; its weights are out of range`);
  }
  return { ...r, confusion: Array.from({ length: NUM_CLASSES }, (_, i) => Array.from(cells.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES))) };
}

export interface Prediction {
  file: string;
  /** null when the image holds no digit (blank) or could not be read (then `error` says why). */
  digit: number | null;
  /** Empty when digit is null. */
  probabilities: number[];
  error?: string;
}

/** Classifies each file; a file that cannot be read is reported in its result and the rest go on. */
export function predictFiles(modelFile: string, files: string[], threads?: number, arch?: ArchSpec): Prediction[] {
  initEngine({ threads });
  const model = loadModel(modelFile, arch);
  const results: Prediction[] = [];
  const digits: Array<[number, Float32Array]> = [];
  files.forEach((file, i) => {
    try {
      const img = readPngGrey(readUserFile(file), file);
      const d = toMnistDigit(img.grey, img.width, img.height);
      results.push({ file, digit: null, probabilities: [] });
      if (d.some((v) => v > 0)) digits.push([i, d]);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      results.push({ file, digit: null, probabilities: [], error: e.message });
    }
  });
  if (digits.length === 0) return results;
  let probs: number[][];
  try {
    probs = classify(model, digits.map(([, d]) => d));
  } catch (e) {
    if (e instanceof NumericalError) throw new NumericalError(`${modelFile}: ${e.message}`);
    throw e;
  }
  digits.forEach(([i], k) => Object.assign(results[i]!, { digit: argmax(probs[k]!), probabilities: probs[k]! }));
  return results;
}
