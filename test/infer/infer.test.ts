// Using a saved model in-process (fast; the CLI tests run the same through eval, predict and serve):
// classify against the model run on inputs normalised here by PyTorch's MNIST constants; evaluateFile
// and its confusion matrix against classify's own answers counted here; predictFiles on PNGs of test digits, a blank image and
// a broken file; and a model whose weights overflow, refused with the tensor that holds the largest.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { loadIdxTestSet } from '../../src/data/datasets.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { classify } from '../../src/infer/classify.js';
import { evaluateFile, loadModel, predictFiles } from '../../src/infer/inference.js';
import { encodeModel } from '../../src/io/model-file.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { NumericalError, UserError } from '../../src/util/errors.js';
import { ROOT } from '../helpers.js';

const MODEL = `${ROOT}models/seed16k.safetensors`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-infer-'));
const argmax = (v: number[]) => v.indexOf(Math.max(...v));

describe('inference in-process', () => {
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
    closeEngine();
  });
  const test = loadIdxTestSet(undefined, 200);
  const digit = (i: number) => Float32Array.from(test.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255);

  it('classify: each digit\'s probabilities are exp of the model\'s output on (x − 0.1307) / 0.3081; nothing left in the arena', () => {
    const e = initEngine({ threads: 1 });
    const model = loadModel(MODEL);
    const idx = [0, 5, 17, 42, 99, 150];
    const used = e.arena.stats().used;
    const probs = classify(model, idx.map(digit));
    assert.equal(e.arena.stats().used, used, 'a server classifies forever: each call must give back what it took');
    const x = Float32Array.from({ length: idx.length * 784 }, (_, k) => (test.images[idx[Math.floor(k / 784)]! * 784 + (k % 784)]! / 255 - 0.1307) / 0.3081);
    const logp = noGrad(() => Array.from(model.forward(Tensor.from(x, [idx.length, 1, 28, 28])).data()));
    assert.equal(probs.length, idx.length);
    probs.forEach((p, n) => {
      assert.equal(p.length, 10);
      p.forEach((v, k) => assert.ok(Math.abs(v - Math.exp(logp[n * 10 + k]!)) < 1e-6, `digit ${n}, class ${k}: ${v} against ${Math.exp(logp[n * 10 + k]!)}`));
      assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-5);
      assert.equal(argmax(p), test.labels[idx[n]!]);
    });
  });

  it('evaluateFile: the accuracy of classify\'s answers, counted here; an empty test set refused', () => {
    closeEngine(); // evaluateFile starts its own
    const r = evaluateFile({ model: MODEL, limitTest: 200, threads: 1 });
    const probs = classify(loadModel(MODEL), Array.from({ length: 200 }, (_, i) => digit(i)));
    const correct = probs.filter((p, i) => argmax(p) === test.labels[i]).length;
    assert.equal(r.correct, correct);
    assert.equal(r.accuracy, (100 * correct) / 200);
    assert.ok(Number.isFinite(r.loss) && r.loss > 0);
    // An IDX folder whose test set holds no image (headers only: magic, count 0, 28×28).
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    const be = (...v: number[]) => Buffer.from(new Uint32Array(v.map((x) => ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24))).buffer);
    writeFileSync(path.join(empty, 't10k-images-idx3-ubyte'), be(0x803, 0, 28, 28));
    writeFileSync(path.join(empty, 't10k-labels-idx1-ubyte'), be(0x801, 0));
    assert.throws(() => evaluateFile({ model: MODEL, dataDir: empty, threads: 1 }), (e: unknown) => e instanceof UserError && /the test set has no images/.test(e.message));
  });

  it('evaluateFile\'s confusion matrix: classify\'s answers tallied here, rows the true digit', () => {
    closeEngine();
    const n = 2000, r = evaluateFile({ model: MODEL, limitTest: n, threads: 2 });
    initEngine({ threads: 1 });
    const all = loadIdxTestSet(undefined, n);
    const probs = classify(loadModel(MODEL), Array.from({ length: n }, (_, i) => Float32Array.from(all.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255)));
    const expected = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
    probs.forEach((p, i) => expected[all.labels[i]!]![argmax(p)]!++);
    assert.deepEqual(r.confusion, expected);
    const mistakes = expected.flatMap((row, t) => row.filter((_, p) => p !== t)).reduce((a, b) => a + b, 0);
    assert.ok(mistakes >= 3, `the check needs some mistakes to place, got ${mistakes}`);
    assert.equal(mistakes, n - r.correct);
  });

  it('predictFiles: digits classified, a blank image has no digit, a broken file is reported and the rest go on', () => {
    const png = (file: string, pixel: (k: number) => number) => {
      const p = new PNG({ width: 28, height: 28 });
      for (let k = 0; k < 784; k++) p.data.set([pixel(k), pixel(k), pixel(k), 255], 4 * k);
      writeFileSync(file, PNG.sync.write(p));
      return file;
    };
    const files = [
      png(path.join(tmp, 'a.png'), (k) => test.images[k]!),
      png(path.join(tmp, 'blank.png'), () => 0),
      path.join(tmp, 'broken.png'),
      png(path.join(tmp, 'b.png'), (k) => test.images[784 + k]!),
    ];
    writeFileSync(files[2]!, 'not a png');
    const r = predictFiles(MODEL, files, 1);
    assert.deepEqual(r.map((p) => p.digit), [test.labels[0], null, null, test.labels[1]]);
    assert.deepEqual(r.map((p) => p.probabilities.length), [10, 0, 0, 10]);
    assert.equal(r[1]!.error, undefined);
    assert.match(r[2]!.error ?? '', /broken\.png/);
    assert.deepEqual(predictFiles(MODEL, [files[1]!], 1).map((p) => p.digit), [null]); // nothing to classify at all
  });

  it('a model whose outputs overflow is refused, naming the tensor with the largest value', () => {
    initEngine({ threads: 1 });
    const model = loadModel(MODEL);
    const w = model.stateDict().find(([n]) => n === 'conv3.weight')![1];
    w.data()[5] = -3e38;
    model.stateDict().find(([n]) => n === 'fc.bias')![1].data()[0] = 2e38;
    assert.throws(() => classify(model, [digit(0)]), (e: unknown) => e instanceof NumericalError && /largest value is -3\.00e\+38 in tensor "conv3\.weight"/.test(e.message));
    const file = path.join(tmp, 'huge.safetensors');
    writeFileSync(file, encodeModel(model));
    assert.throws(() => predictFiles(file, [path.join(tmp, 'a.png')], 1), (e: unknown) => e instanceof NumericalError && e.message.startsWith(`${file}: `));
    assert.throws(() => evaluateFile({ model: file, limitTest: 20, threads: 1 }), (e: unknown) => e instanceof NumericalError && /not finite/.test(e.message));
  });
});
