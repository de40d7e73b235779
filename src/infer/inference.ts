// Using a saved model from Node: load it from a file, evaluate it on a test set, classify PNG files.
// The environment-agnostic part (bytes → model, digits → probabilities) is classify.ts.
import { readFileSync } from 'node:fs';
import { loadIdxDataset } from '../data/datasets.js';
import { toMnistDigit } from '../data/digit.js';
import { initEngine } from '../engine/node.js';
import { readPngGrey } from '../io/png.js';
import type { ArchSpec } from '../models/index.js';
import type { Module } from '../nn/module.js';
import { UserError } from '../util/errors.js';
import { argmax } from '../util/argmax.js';
import { classify, modelFromBytes } from './classify.js';
import { evaluate, type EpochStats } from '../train/trainer.js';

export function readUserFile(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a file' : `cannot read (${code})`}`);
  }
}

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

export function evaluateFile(o: EvalOptions): EpochStats {
  initEngine({ threads: o.threads });
  const model = loadModel(o.model, o.arch);
  const data = loadIdxDataset(o.dataDir, { limitTrain: 1, limitTest: o.limitTest });
  return evaluate(model, data.test);
}

export interface Prediction {
  file: string;
  digit: number;
  probabilities: number[];
}

export function predictFiles(modelFile: string, files: string[], threads?: number, arch?: ArchSpec): Prediction[] {
  initEngine({ threads });
  const model = loadModel(modelFile, arch);
  const digits = files.map((f) => {
    const img = readPngGrey(readUserFile(f), f);
    return toMnistDigit(img.grey, img.width, img.height);
  });
  return classify(model, digits).map((p, i) => ({ file: files[i]!, digit: argmax(p), probabilities: p }));
}
