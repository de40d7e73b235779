// Model files against real PyTorch: a state dict saved by PyTorch (test/fixtures/torch, made by
// make_torch_model.py) loads, gives PyTorch's log-probabilities and exactly its test accuracy; bad
// files fail with one clear line naming the file and the tensor, in the library and through the CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { normaliseBatch } from '../../src/data/augment.js';
import { loadIdxDataset } from '../../src/data/datasets.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { decodeModel, encodeModel } from '../../src/io/model-file.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../src/io/safetensors.js';
import { seed16k } from '../../src/models/seed16k.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { evaluateFile, loadModel } from '../../src/infer/inference.js';
import { FileFormatError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { ROOT } from '../helpers.js';

const TORCH = `${ROOT}test/fixtures/torch/`;
const NET = `${TORCH}net.safetensors`;
const expected = JSON.parse(readFileSync(`${TORCH}expected.json`, 'utf8')) as { correct: number; total: number; accuracy: number };

/** The first `n` MNIST test images, normalised as in training: (n,1,28,28). */
function testImages(n: number): Float32Array {
  const { test } = loadIdxDataset(undefined, { limitTrain: 1, limitTest: n });
  const x = new Float32Array(n * 784);
  normaliseBatch(test, Uint32Array.from({ length: n }, (_, i) => i), 0, n, x);
  return x;
}

function fresh() {
  return seed16k({ initRng: new Rng(7), dropoutRng: new Rng(7), dropout: 0 });
}

const torchTensors = (): Map<string, NamedTensor> => decodeSafetensors(readFileSync(NET), NET).tensors;

/** The PyTorch file with one change: each case names the tensor the error must mention. */
const BAD_FILES: Array<[string, string, (t: Map<string, NamedTensor>) => void, RegExp]> = [
  ['unknown tensor', 'bn5.weight', (t) => t.set('bn5.weight', { shape: [16], data: new Float32Array(16) }), /unknown tensor "bn5\.weight"/],
  ['missing tensor', 'fc.bias', (t) => t.delete('fc.bias'), /missing tensor "fc\.bias" \(shape \[10\]\)/],
  ['wrong shape', 'conv2.weight', (t) => t.set('conv2.weight', { shape: [16, 8, 9], data: t.get('conv2.weight')!.data }), /tensor "conv2\.weight" has shape \[16, 8, 9\], the model expects \[16, 8, 3, 3\]/],
  ['transposed linear', 'fc.weight', (t) => t.set('fc.weight', { shape: [16, 10], data: t.get('fc.weight')!.data }), /tensor "fc\.weight" has shape \[16, 10\], the model expects \[10, 16\]/],
];

function badFile(dir: string, what: string, change: (t: Map<string, NamedTensor>) => void): string {
  const tensors = torchTensors();
  change(tensors);
  const file = path.join(dir, `${what.replace(/ /g, '-')}.safetensors`);
  writeFileSync(file, encodeSafetensors(tensors));
  return file;
}

describe('model files written by PyTorch', () => {
  after(closeEngine);

  for (const threads of [1, 2]) {
    it(`log-probabilities of the first 100 test images match PyTorch within 1e-4 (${threads} thread(s))`, (t) => {
      initEngine({ threads });
      const model = loadModel(NET);
      const want = decodeSafetensors(readFileSync(`${TORCH}logits100.safetensors`), 'logits100').tensors.get('logp')!;
      const got = noGrad(() => model.forward(Tensor.from(testImages(100), [100, 1, 28, 28])).toArray());
      assert.deepEqual(want.shape, [100, 10]);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want.data[i]!));
      t.diagnostic(`max |ours - PyTorch| = ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-4, `max difference ${worst} > 1e-4`);
    });
  }

  it(`evaluate on the 10,000 test images gives PyTorch's count exactly (${expected.correct}/${expected.total})`, (t) => {
    const r = evaluateFile({ model: NET, threads: 2 });
    t.diagnostic(`ours ${r.correct}/${r.total} (${r.accuracy.toFixed(2)}%), PyTorch ${expected.correct}/${expected.total}`);
    assert.equal(r.total, expected.total);
    assert.equal(r.correct, expected.correct);
    assert.ok(expected.accuracy > 97, 'the fixture is a reasonable model');
  });

  it('save then load gives back every tensor bit for bit, metadata included', () => {
    initEngine({ threads: 1 });
    const a = loadModel(NET), b = fresh();
    const meta = decodeModel(b, encodeModel(a, { arch: 'seed16k' }), 'roundtrip');
    assert.deepEqual(meta, { arch: 'seed16k' });
    const bs = new Map(b.stateDict());
    for (const [name, t] of a.stateDict()) assert.deepEqual(bs.get(name)!.toArray(), t.toArray(), name);
  });
});

describe('bad model files', () => {
  after(closeEngine);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-model-file-'));

  for (const [what, tensor, change, message] of BAD_FILES) {
    it(`library: ${what} is a FileFormatError naming ${tensor}; the model is left untouched`, () => {
      initEngine({ threads: 1 });
      const file = badFile(dir, what, change);
      const model = fresh();
      const before = model.stateDict().map(([, t]) => t.toArray());
      assert.throws(() => decodeModel(model, readFileSync(file), file), (e: unknown) => {
        assert.ok(e instanceof FileFormatError);
        assert.ok(e.message.startsWith(`${file}: `), e.message);
        assert.match(e.message, message);
        return true;
      });
      model.stateDict().forEach(([name, t], i) => assert.deepEqual(t.toArray(), before[i], `${name} changed`));
    });

    it(`CLI: eval --model with ${what}: exit 2, one line naming the file and ${tensor}`, () => {
      const file = badFile(dir, what, change);
      const r = spawnSync(process.execPath, [`${ROOT}bin/tiny-mnist.js`, 'eval', '--model', file, '--threads', '1'], { encoding: 'utf8' });
      assert.equal(r.status, 2, `exit code ${r.status}, stderr: ${r.stderr}`);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `stderr has ${lines.length} lines:\n${r.stderr}`);
      assert.ok(lines[0]!.startsWith(`tiny-mnist eval: ${file}: `), lines[0]);
      assert.match(lines[0]!, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
    });
  }
});
