// ONNX export, the slow part: a train → save → load → export round trip on the full test set, and
// the `export` command (the graph and ONNX Runtime on PyTorch's model: onnx-graph.test.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { exportOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../../src/io/onnx.js';
import { loadModel } from '../../src/infer/inference.js';
import { DEFAULT_RECIPE } from '../../src/train/recipe.js';
import { runTraining } from '../../src/train/run.js';
import { ROOT } from '../helpers.js';
import { argmax, maxDiff, NET, onnxRuntime, ours, testSet } from './onnx-helpers.js';

describe('exportOnnx round trip', () => {
  before(() => {
    initEngine({ threads: 2 });
    ort.env.wasm.numThreads = 1;
  });
  after(closeEngine);

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
