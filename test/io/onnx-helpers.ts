// Shared by the ONNX tests: the first test images, the engine's and ONNX Runtime's log-probabilities,
// and the exported graph decoded back with the project's own protobuf schema.
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-web';
import { normaliseBatch } from '../../src/data/augment.js';
import { loadIdxDataset } from '../../src/data/datasets.js';
import { engine } from '../../src/engine/wasm.js';
import { ONNX_INPUT, ONNX_OUTPUT } from '../../src/io/onnx.js';
import { modelProto } from '../../src/io/onnx-proto.js';
import type { Module } from '../../src/nn/module.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { ROOT } from '../helpers.js';

export const NET = `${ROOT}test/fixtures/torch/net.safetensors`;

/** The first `n` MNIST test images normalised as in training, (n,1,28,28), and their labels. */
export function testSet(n: number): { x: Float32Array; labels: Uint8Array } {
  const { test } = loadIdxDataset(undefined, { limitTrain: 1, limitTest: n });
  const x = new Float32Array(n * 784);
  normaliseBatch(test, Uint32Array.from({ length: n }, (_, i) => i), 0, n, x);
  return { x, labels: test.labels };
}

/** Log-probabilities from the engine, `batch` images at a time. */
export function ours(model: Module, x: Float32Array, batch: number): Float32Array {
  const n = x.length / 784, out = new Float32Array(n * 10);
  model.eval();
  for (let s = 0; s < n; s += batch) {
    const b = Math.min(batch, n - s), mark = engine().arena.mark();
    noGrad(() => out.set(model.forward(Tensor.from(x.subarray(s * 784, (s + b) * 784), [b, 1, 28, 28])).data(), s * 10));
    engine().arena.release(mark);
  }
  return out;
}

/** Log-probabilities from ONNX Runtime, `batch` images per run (the batch dimension is dynamic). */
export async function onnxRuntime(bytes: Uint8Array, x: Float32Array, batch: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const n = x.length / 784, out = new Float32Array(n * 10);
  for (let s = 0; s < n; s += batch) {
    const b = Math.min(batch, n - s);
    const r = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', x.slice(s * 784, (s + b) * 784), [b, 1, 28, 28]) });
    assert.deepEqual(r[ONNX_OUTPUT]!.dims, [b, 10]);
    out.set(r[ONNX_OUTPUT]!.data as Float32Array, s * 10);
  }
  await session.release();
  return out;
}

export function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function argmax(logp: Float32Array): number[] {
  return Array.from({ length: logp.length / 10 }, (_, n) => {
    const row = logp.subarray(n * 10, n * 10 + 10);
    return row.indexOf(Math.max(...row));
  });
}

export interface Decoded {
  ir_version: number;
  opset_import: Array<{ version: number }>;
  graph: {
    node: Array<{ op_type: string; input: string[]; output: string[] }>;
    initializer: Array<{ name: string; dims: number[] }>;
    input: Array<{ name: string; type: { tensor_type: { shape: { dim: Array<{ dim_value?: number; dim_param?: string }> } } } }>;
    output: Decoded['graph']['input'];
  };
}

export const decode = (bytes: Uint8Array): Decoded => {
  const T = modelProto();
  return T.toObject(T.decode(bytes), { longs: Number, defaults: false }) as Decoded;
};
export const dims = (v: Decoded['graph']['input'][number]) => v.type.tensor_type.shape.dim.map((d) => d.dim_param ?? d.dim_value);

