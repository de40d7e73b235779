// Two architectures in the spec format that are not the reference net — one with a stride-2 conv,
// 1×1 convs and an average pool; one with 5×5 convs, ReLU before BatchNorm, 3×3 stride-2 max-pools
// and no linear layer (test/fixtures/arch/) — through every command as a user runs them: summary
// (parameters equal PyTorch's), one epoch of train, eval / predict / export with no --arch (the
// model file carries its spec; ONNX Runtime agrees with the engine), and a model trained here scored
// the same by PyTorch building the same net (make_spec_models.py) as by `tiny-mnist eval`.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { PNG } from 'pngjs';
import { loadIdxDataset } from '../../src/data/datasets.js';
import { normaliseBatch } from '../../src/data/augment.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { loadModel } from '../../src/infer/inference.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, ROOT } from '../helpers.js';
import { cli } from './cli-helpers.js';

const ARCH = `${ROOT}test/fixtures/arch`;
const expected = JSON.parse(readFileSync(`${ARCH}/expected.json`, 'utf8')) as Record<string, { params: number }>;
const agreement = JSON.parse(readFileSync(`${ARCH}/agreement.json`, 'utf8')) as Record<string, { images: number; correct: number; loss: number; logp_first: number[] }>;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-specs-'));

/** A PNG of MNIST test image i (white digit on black, 28×28) and its label. */
function digitPng(i: number, file: string): number {
  const { test } = loadIdxDataset(undefined, { limitTrain: 1, limitTest: i + 1 });
  const png = new PNG({ width: 28, height: 28 });
  for (let p = 0; p < 784; p++) {
    const v = test.images[i * 784 + p]!;
    png.data.set([v, v, v, 255], 4 * p);
  }
  writeFileSync(file, PNG.sync.write(png));
  return test.labels[i]!;
}

describe('architectures from spec files through every command', () => {
  after(() => {
    closeEngine();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const name of ['strided', 'wide5x5']) {
    const spec = `${ARCH}/${name}.json`;
    const out = path.join(tmp, name);
    const model = path.join(out, 'model.safetensors');

    it(`${name}: summary counts PyTorch's parameters`, () => {
      const r = cli(['summary', '--arch', spec, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { totalParams: number }).totalParams, expected[name]!.params);
    });

    it(`${name}: one epoch of train writes a model that carries its spec`, () => {
      const r = cli(['train', '--arch', spec, '--limit-train', '1000', '--limit-test', '500', '--epochs', '1', '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      const { metadata } = decodeSafetensors(readFileSync(model), model);
      assert.equal(metadata.arch, name);
      assert.equal((JSON.parse(metadata.spec!) as { layers: unknown[] }).layers.length, (JSON.parse(readFileSync(spec, 'utf8')) as { layers: unknown[] }).layers.length);
      assert.equal((JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as { spec: { name: string } }).spec.name, name);
    });

    it(`${name}: eval and predict load it with no --arch`, () => {
      const r = cli(['eval', '--model', model, '--limit-test', '500', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const last = readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n').pop()!.split(',');
      assert.equal((JSON.parse(r.stdout) as { accuracy: number }).accuracy.toFixed(4), Number(last[4]).toFixed(4), 'eval scores what training recorded');
      const png = path.join(tmp, `${name}-digit.png`);
      digitPng(0, png);
      const p = cli(['predict', '--model', model, '--json', png]);
      assert.equal(p.code, 0, p.stderr);
      const probs = (JSON.parse(p.stdout.trim().split('\n')[0]!) as { probabilities: number[] }).probabilities;
      assert.equal(probs.length, 10);
      assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-4);
    });

    it(`${name}: export writes ONNX that ONNX Runtime runs to the engine's outputs`, async () => {
      const onnx = path.join(tmp, `${name}.onnx`);
      const r = cli(['export', '--model', model, '--onnx', onnx]);
      assert.equal(r.code, 0, r.stderr);
      const n = 64;
      const { test } = loadIdxDataset(undefined, { limitTrain: 1, limitTest: n });
      const x = new Float32Array(n * 784);
      normaliseBatch(test, Uint32Array.from({ length: n }, (_, i) => i), 0, n, x);
      const session = await ort.InferenceSession.create(readFileSync(onnx));
      const theirs = (await session.run({ input: new ort.Tensor('float32', x, [n, 1, 28, 28]) })).output!.data as Float32Array;
      initEngine({ threads: 1 });
      const m = loadModel(model);
      const mine = noGrad(() => m.forward(Tensor.from(x, [n, 1, 28, 28])).toArray());
      expectClose(theirs, mine, `${name}: ONNX Runtime vs engine`, 1e-4, 1e-4);
    });

    it(`${name}: a model trained here scores in tiny-mnist eval what PyTorch scores with the same net`, () => {
      const a = agreement[name]!;
      const r = cli(['eval', '--model', `${ARCH}/${name}.safetensors`, '--limit-test', String(a.images), '--json']);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as { correct: number; loss: number };
      assert.equal(j.correct, a.correct);
      assert.ok(Math.abs(j.loss - a.loss) < 1e-4, `loss ${j.loss} vs PyTorch ${a.loss}`);
    });
  }

  it('a bad spec file: one line naming the file and the layer, exit 2, no run folder', () => {
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ layers: [{ type: 'conv2d', out_channels: 10, kernel_size: 3 }, { type: 'linear', out_features: 10 }, { type: 'logsoftmax' }] }));
    const out = path.join(tmp, 'never');
    const r = cli(['train', '--arch', bad, '--out', out, '--limit-train', '100', '--limit-test', '100']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /bad\.json: layer 1 \(linear "fc1"\): needs a 2-D input/);
    assert.equal(existsSync(out), false);
  });
});
