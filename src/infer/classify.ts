// Classifying with a model held in memory: build it from safetensors bytes, and turn 28×28 digits
// into class probabilities. Environment-agnostic (no file system), so the web page's engine worker
// uses exactly what `predict` uses; inference.ts adds the Node side (reading files).
import { MNIST_MEAN, MNIST_STD } from '../data/constants.js';
import { engine } from '../engine/wasm.js';
import { loadDecoded, specOfModelFile, unpaddedConvOfModelFile } from '../io/model-file.js';
import { decodeSafetensors } from '../io/safetensors.js';
import { buildModel, type ArchSpec } from '../models/index.js';
import { fuse } from '../nn/fuse.js';
import { setUnpaddedConv } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { NumericalError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

export { argmax } from '../util/argmax.js';

export interface LoadedModel {
  model: Module;
  spec: ArchSpec;
  metadata: Record<string, string>;
}

/**
 * Builds the architecture a model file carries (io/model-file.ts specOfModelFile; `arch` overrides
 * it) and loads its weights; `name` labels errors. Fused, in evaluation mode.
 */
export function loadModelBytes(bytes: Uint8Array, name: string, arch?: ArchSpec): LoadedModel {
  const decoded = decodeSafetensors(bytes, name);
  const spec = arch ?? specOfModelFile(decoded.metadata, name);
  const built = buildModel(spec, { initRng: new Rng(0), dropoutRng: new Rng(0) });
  setUnpaddedConv(built, unpaddedConvOfModelFile(decoded.metadata, spec, name)); // the numerics it was trained with
  const model = fuse(built);
  loadDecoded(model, decoded, name); // refuses checkpoints and impossible values, then copies
  return { model: model.eval(), spec, metadata: decoded.metadata };
}

/** loadModelBytes' model alone. */
export function modelFromBytes(bytes: Uint8Array, name: string, arch?: ArchSpec): Module {
  return loadModelBytes(bytes, name, arch).model;
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
