// ONNX export, the fast part: the graph's structure, the refusals, and ONNX Runtime (onnxruntime-web's
// Node build, wasm) against the engine on PyTorch's trained model. The train → export round trip and
// the `export` command are in onnx.test.ts (slow: they train and spawn the CLI).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { exportOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../../src/io/onnx.js';
import { seed16k } from '../../src/models/seed16k.js';
import { Module } from '../../src/nn/module.js';
import { AvgPool2d, Conv2d, MaxPool2d, ReLU } from '../../src/nn/layers.js';
import { Sequential } from '../../src/nn/sequential.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { loadModel } from '../../src/infer/inference.js';
import { Rng } from '../../src/util/rng.js';
import { buildModel, parseArchSpec } from '../../src/models/index.js';
import { decode, dims, maxDiff, NET, onnxRuntime, ours, testSet } from './onnx-helpers.js';

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
    // A hand-built net whose pooling window does not fit the input (specs are checked earlier).
    const pools = (...ks: number[]) => new Sequential(ks.map((k, i) => [`pool${i + 1}`, i % 2 ? new AvgPool2d(k) : new MaxPool2d(k)] as [string, Module]));
    assert.throws(() => exportOnnx(pools(29)), /layer "pool1" expects \(C,H,W\) with H,W ≥ 29, got per-example shape \(1,28,28\)/);
    assert.throws(() => exportOnnx(pools(4, 8)), /layer "pool2" expects \(C,H,W\) with H,W ≥ 8, got per-example shape \(1,7,7\)/);
    assert.doesNotThrow(() => exportOnnx(pools(4, 7)));
    // A 10×10 kernel with padding 1 needs 8×8 images: 7×7 ones are refused.
    const convOn7 = (k: number) => new Sequential([['pool', new MaxPool2d(4)], ['conv', new Conv2d(1, 2, k, 1, new Rng(1))]]);
    assert.throws(() => exportOnnx(convOn7(10)), /layer "conv" expects \(1,H,W\) with H,W ≥ 8, got per-example shape \(1,7,7\)/);
    assert.doesNotThrow(() => exportOnnx(convOn7(9)));
    // Height alone too small (28×32 images pool to 7×8).
    assert.throws(() => exportOnnx(convOn7(10), { inputShape: [1, 28, 32] }), /got per-example shape \(1,7,8\)/);
  });

  // Layers without bias (bias: false in a spec) export without a bias input; ONNX Runtime agrees.
  it('layers without bias: ONNX Runtime matches the engine', async () => {
    const spec = parseArchSpec({ layers: [
      { type: 'conv2d', out_channels: 6, kernel_size: 3, padding: 1, bias: false }, { type: 'relu' }, { type: 'maxpool2d', kernel_size: 2 },
      { type: 'flatten' }, { type: 'linear', out_features: 10, bias: false }, { type: 'logsoftmax' },
    ] }, 'no-bias');
    const model = buildModel(spec, { initRng: new Rng(4), dropoutRng: new Rng(4), input: [1, 28, 28] });
    const { x } = testSet(8);
    const d = maxDiff(await onnxRuntime(exportOnnx(model), x, 8), ours(model, x, 8));
    assert.ok(d <= 1e-4, `max difference ${d}`);
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

});
