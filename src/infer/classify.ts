// Classifying with a model held in memory: build it from safetensors bytes, and turn 28×28 digits
// into class probabilities. Environment-agnostic (no file system), so the web page's engine worker
// uses exactly what `predict` uses; inference.ts adds the Node side (reading files).
import { MNIST_MEAN, MNIST_STD } from '../data/constants.js';
import { engine } from '../engine/wasm.js';
import { decodeModel } from '../io/model-file.js';
import { buildModel } from '../models/index.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { NumericalError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

export { argmax } from '../util/argmax.js';

/** Builds `arch` and loads weights from safetensors bytes; `name` labels errors. Eval mode. */
export function modelFromBytes(bytes: Uint8Array, name: string, arch = 'seed16k'): Module {
  const model = buildModel(arch, { initRng: new Rng(0), dropoutRng: new Rng(0), dropout: 0 });
  decodeModel(model, bytes, name);
  return model.eval();
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
      if (!logp.every(Number.isFinite)) throw outOfRange(model);
      const K = logp.length / digits.length;
      return digits.map((_, n) => Array.from(logp.subarray(n * K, (n + 1) * K), Math.exp));
    });
  } finally {
    e.arena.release(mark);
  }
}

/** A model whose outputs are NaN or ±Infinity (finite but absurd weights, e.g. 3e38): name the largest. */
function outOfRange(model: Module): NumericalError {
  let worst = { name: '', value: 0 };
  for (const [name, t] of model.stateDict()) {
    for (const v of t.toArray()) if (Math.abs(v) > Math.abs(worst.value)) worst = { name, value: v };
  }
  return new NumericalError(`the model's outputs are not finite (NaN or Infinity), so it cannot classify; its largest value is ${worst.value.toPrecision(3)} in tensor "${worst.name}"`);
}
