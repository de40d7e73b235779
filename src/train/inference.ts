// Using a saved model: load it, evaluate it on a test set, classify images. Node side (reads files).
import { readFileSync } from 'node:fs';
import { MNIST_MEAN, MNIST_STD } from '../data/constants.js';
import { loadIdxDataset } from '../data/datasets.js';
import { toMnistDigit } from '../data/digit.js';
import { initEngine } from '../engine/node.js';
import { engine } from '../engine/wasm.js';
import { decodeModel } from '../io/model-file.js';
import { readPngGrey } from '../io/png.js';
import { buildModel } from '../models/index.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { evaluate, type EpochStats } from './trainer.js';

export function readUserFile(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a file' : `cannot read (${code})`}`);
  }
}

/** Builds `arch` and loads the weights from a safetensors file (checked before anything is copied). */
export function loadModel(file: string, arch = 'seed16k'): Module {
  const model = buildModel(arch, { initRng: new Rng(0), dropoutRng: new Rng(0), dropout: 0 });
  decodeModel(model, readUserFile(file), file);
  return model.eval();
}

export interface EvalOptions {
  model: string;
  arch?: string;
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

/** Class probabilities for 28×28 digits in [0,1] (white on black), one Float32Array(784) each. */
export function classify(model: Module, digits: Float32Array[]): number[][] {
  const e = engine();
  const mark = e.arena.mark();
  try {
    return noGrad(() => {
      const x = Tensor.empty([digits.length, 1, 28, 28]);
      const xd = x.data();
      digits.forEach((d, n) => {
        for (let i = 0; i < 784; i++) xd[n * 784 + i] = (d[i]! - MNIST_MEAN) / MNIST_STD;
      });
      const logp = model.eval().forward(x).data();
      const K = logp.length / digits.length;
      return digits.map((_, n) => Array.from(logp.subarray(n * K, (n + 1) * K), Math.exp));
    });
  } finally {
    e.arena.release(mark);
  }
}

export function predictFiles(modelFile: string, files: string[], threads?: number): Prediction[] {
  initEngine({ threads });
  const model = loadModel(modelFile);
  const digits = files.map((f) => {
    const img = readPngGrey(readUserFile(f), f);
    return toMnistDigit(img.grey, img.width, img.height);
  });
  return classify(model, digits).map((p, i) => ({ file: files[i]!, digit: p.indexOf(Math.max(...p)), probabilities: p }));
}
