// ONNX export: the graph's structure, ONNX Runtime (onnxruntime-web's Node build, wasm) against
// the engine on PyTorch's trained model, a train → save → load → export round trip on the full
// test set, and the `export` command.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { normaliseBatch } from '../../src/data/augment.js';
import { loadIdxDataset } from '../../src/data/datasets.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { engine } from '../../src/engine/wasm.js';
import { exportOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../../src/io/onnx.js';
import { modelProto } from '../../src/io/onnx-proto.js';
import { seed16k } from '../../src/models/seed16k.js';
import { Module } from '../../src/nn/module.js';
import { ReLU } from '../../src/nn/layers.js';
import { Sequential } from '../../src/nn/sequential.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { loadModel } from '../../src/infer/inference.js';
import { DEFAULT_RECIPE } from '../../src/train/recipe.js';
import { runTraining } from '../../src/train/run.js';
import { Rng } from '../../src/util/rng.js';
import { ROOT } from '../helpers.js';

const NET = `${ROOT}test/fixtures/torch/net.safetensors`;

/** The first `n` MNIST test images normalised as in training, (n,1,28,28), and their labels. */
function testSet(n: number): { x: Float32Array; labels: Uint8Array } {
  const { test } = loadIdxDataset(undefined, { limitTrain: 1, limitTest: n });
  const x = new Float32Array(n * 784);
  normaliseBatch(test, Uint32Array.from({ length: n }, (_, i) => i), 0, n, x);
  return { x, labels: test.labels };
}

/** Log-probabilities from the engine, `batch` images at a time. */
function ours(model: Module, x: Float32Array, batch: number): Float32Array {
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
async function onnxRuntime(bytes: Uint8Array, x: Float32Array, batch: number): Promise<Float32Array> {
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

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function argmax(logp: Float32Array): number[] {
  return Array.from({ length: logp.length / 10 }, (_, n) => {
    const row = logp.subarray(n * 10, n * 10 + 10);
    return row.indexOf(Math.max(...row));
  });
}

interface Decoded {
  ir_version: number;
  opset_import: Array<{ version: number }>;
  graph: {
    node: Array<{ op_type: string; input: string[]; output: string[] }>;
    initializer: Array<{ name: string; dims: number[] }>;
    input: Array<{ name: string; type: { tensor_type: { shape: { dim: Array<{ dim_value?: number; dim_param?: string }> } } } }>;
    output: Decoded['graph']['input'];
  };
}

const decode = (bytes: Uint8Array): Decoded => {
  const T = modelProto();
  return T.toObject(T.decode(bytes), { longs: Number, defaults: false }) as Decoded;
};
const dims = (v: Decoded['graph']['input'][number]) => v.type.tensor_type.shape.dim.map((d) => d.dim_param ?? d.dim_value);

const BLOCK = ['Conv', 'BatchNormalization', 'Relu'];
const GRAPHS: Array<[string, boolean, string[]]> = [
  ['BatchNorm kept', false, [...BLOCK, ...BLOCK, 'MaxPool', ...BLOCK, ...BLOCK, 'MaxPool', 'Conv', 'Relu', 'GlobalAveragePool', 'Flatten', 'Gemm', 'LogSoftmax']],
  ['BatchNorm folded', true, ['Conv', 'Relu', 'Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'GlobalAveragePool', 'Flatten', 'Gemm', 'LogSoftmax']],
];

describe('exportOnnx', () => {
  before(() => {
    initEngine({ threads: 2 });
    ort.env.wasm.numThreads = 1;
  });
  after(closeEngine);

  for (const [what, fold, ops] of GRAPHS) {
    it(`graph of the reference net, ${what}: ops in order, dynamic batch, weights by state-dict name`, () => {
      const model = seed16k({ initRng: new Rng(0), dropoutRng: new Rng(0), dropout: 0.05 });
      const m = decode(exportOnnx(model, { opset: 13, foldBatchNorm: fold }));
      assert.equal(m.ir_version, 7);
      assert.deepEqual(m.opset_import.map((o) => o.version), [13]);
      assert.deepEqual(m.graph.node.map((n) => n.op_type), ops);
      assert.deepEqual(dims(m.graph.input[0]!), ['batch', 1, 28, 28]);
      assert.deepEqual(dims(m.graph.output[0]!), ['batch', 10]);
      assert.equal(m.graph.node[0]!.input[0], ONNX_INPUT);
      assert.deepEqual(m.graph.node.at(-1)!.output, [ONNX_OUTPUT]);
      const inits = new Map(m.graph.initializer.map((t) => [t.name, t.dims]));
      if (!fold) assert.deepEqual(inits, new Map(model.stateDict().map(([n, t]) => [n, [...t.shape]])));
      else assert.deepEqual(inits.get('conv1.folded_weight'), [8, 1, 3, 3]);
    });
  }

  it('rejects a layer without an ONNX equivalent and an unsupported opset', () => {
    class Square extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const odd = new Sequential([['relu', new ReLU()], ['sq', new Square()]]);
    assert.doesNotThrow(() => exportOnnx(new Sequential([['relu', new ReLU()]])));
    assert.throws(() => exportOnnx(new Sequential([['block', odd]]), {}), /^Error: exportOnnx: layer "block\.sq" \(Square\) has no ONNX equivalent$/);
    assert.throws(() => exportOnnx(odd, { opset: 9 }), /opset must be a whole number in 11\.\.21, got 9/);
  });

  it('ONNX Runtime matches the engine on the PyTorch-trained model within 1e-4 (batch 1 and 37, opsets 13 and 17)', async (t) => {
    const model = loadModel(NET);
    const { x } = testSet(100);
    const want = ours(model, x, 100);
    for (const [batch, fold, opset] of [[1, false, 13], [37, false, 13], [37, true, 13], [37, false, 17]] as const) {
      const got = await onnxRuntime(exportOnnx(model, { opset, foldBatchNorm: fold }), x, batch);
      const d = maxDiff(got, want);
      t.diagnostic(`batch ${batch}, opset ${opset}, BatchNorm ${fold ? 'folded' : 'kept'}: max |ORT - ours| = ${d.toExponential(2)}`);
      assert.ok(d <= 1e-4, `max difference ${d} > 1e-4`);
    }
  });

  it('round trip: train → save → load gives identical predictions; export → ONNX Runtime gives identical argmax on 10,000 images', async (t) => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-onnx-'));
    const recipe = { ...DEFAULT_RECIPE, epochs: 1 };
    const { trainer } = await runTraining({ recipe, seed: 3, threads: 2, limitTrain: 1024, limitTest: 100, out });
    const loaded = loadModel(path.join(out, 'model.safetensors'));
    const { x } = testSet(10_000);
    const trained = ours(trainer.model, x, 1000);
    assert.deepEqual(ours(loaded, x, 1000), trained, 'the loaded model computes bit-identical log-probabilities');
    const viaOrt = await onnxRuntime(exportOnnx(loaded), x, 1000);
    const a = argmax(trained), b = argmax(viaOrt);
    const differ = a.flatMap((v, i) => (v === b[i] ? [] : [i]));
    t.diagnostic(`max |ORT - ours| = ${maxDiff(viaOrt, trained).toExponential(2)} over 10,000 images; argmax differs on ${differ.length}`);
    assert.deepEqual(differ, [], `ONNX Runtime's argmax differs on images ${differ.slice(0, 10).join(', ')}`);
  });
});

describe('tiny-mnist export', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [`${ROOT}bin/tiny-mnist.js`, 'export', ...args], { encoding: 'utf8' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-export-'));

  it('writes an ONNX file that ONNX Runtime loads', async () => {
    const file = path.join(dir, 'net.onnx');
    const r = cli('--model', NET, '--onnx', file, '--opset', '13');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^wrote .*net\.onnx \(\d+ bytes, opset 13, BatchNorm as BatchNormalization\)/);
    const session = await ort.InferenceSession.create(readFileSync(file));
    assert.deepEqual([session.inputNames, session.outputNames], [[ONNX_INPUT], [ONNX_OUTPUT]]);
    await session.release();
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['no --onnx', ['--model', NET], /^tiny-mnist export: --onnx OUT\.onnx is required$/],
    ['opset out of range', ['--onnx', 'x.onnx', '--opset', '7'], /--opset must be ≥ 11, got 7/],
    ['missing model file', ['--model', path.join(dir, 'nope.safetensors'), '--onnx', path.join(dir, 'x.onnx')], /nope\.safetensors: no such file$/],
    ['unwritable output', ['--model', NET, '--onnx', path.join(dir, 'no', 'such', 'x.onnx')], /x\.onnx: cannot write \(no such directory\)$/],
  ];
  for (const [what, args, message] of usage) {
    it(`${what}: exit 2 with one line`, () => {
      const r = cli(...args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr.trimEnd(), message);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    });
  }
});
