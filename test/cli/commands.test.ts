// The commands' happy paths through the real CLI: help, summary against the PyTorch table,
// a dry-run training whose model file eval then scores (held to a count made here, image by image),
// and predict on PNG files of MNIST test digits (held to their labels).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { loadIdxDataset } from '../../src/data/datasets.js';
import { normaliseBatch } from '../../src/data/augment.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { loadModel } from '../../src/infer/inference.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { ROOT } from '../helpers.js';
import { cli } from './cli-helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-cmd-'));

/** Test images of `file` classified one at a time (batch 1), compared with their labels here. */
function countCorrect(file: string, count: number): number {
  initEngine({ threads: 1 });
  try {
    const model = loadModel(file).eval();
    const test = loadIdxDataset(undefined, { limitTrain: 1, limitTest: count }).test;
    let right = 0;
    noGrad(() => {
      for (let i = 0; i < count; i++) {
        const x = Tensor.empty([1, 1, 28, 28]);
        normaliseBatch(test, [i], 0, 1, x.data());
        const p = Array.from(model.forward(x).data());
        if (p.indexOf(Math.max(...p)) === test.labels[i]) right++;
      }
    });
    return right;
  } finally {
    closeEngine();
  }
}

/** MNIST test image i as a PNG file (white digit on black, as in the dataset). */
function mnistPng(file: string, images: Uint8Array, i: number): void {
  const png = new PNG({ width: 28, height: 28 });
  for (let k = 0; k < 784; k++) {
    const v = images[i * 784 + k]!;
    png.data.set([v, v, v, 255], 4 * k);
  }
  writeFileSync(file, PNG.sync.write(png));
}

describe('CLI commands', () => {
  it('--help lists every command; train --help lists every flag with a help line', () => {
    const top = cli(['--help']);
    assert.equal(top.code, 0);
    for (const c of ['train', 'eval', 'predict', 'summary', 'bench']) assert.match(top.stdout, new RegExp(`\\b${c}\\b`));
    const train = cli(['train', '--help']);
    assert.equal(train.code, 0);
    for (const f of ['epochs', 'batch-size', 'lr', 'optimizer', 'schedule', 'step-size', 'gamma', 'seed', 'threads', 'arch', 'data', 'out', 'limit-train', 'limit-test', 'dry-run', 'json', 'resume']) {
      assert.match(train.stdout, new RegExp(`--${f}\\b.* \\S`), `--${f}`);
    }
    // Every help text starts in the same column.
    const columns = new Set(train.stdout.split('\n').filter((l) => l.startsWith('  --')).map((l) => /^ {2}--\S+(?: \S+)? +/.exec(l)![0].length));
    assert.equal(columns.size, 1, `help columns: ${[...columns]}`);
    const v = cli(['--version']);
    assert.deepEqual([v.code, v.stdout.trim()], [0, (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version]);
  });

  it('bench --no-profile times training and evaluation only', () => {
    const r = cli(['bench', '--threads', '1', '--steps', '1', '--no-profile', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const [b] = JSON.parse(r.stdout) as Array<{ threads: number; msPerStep: number; evalImagesPerSecond: number; kernels: object; layers: unknown[] }>;
    assert.equal(b!.threads, 1);
    assert.ok(b!.msPerStep > 0 && b!.evalImagesPerSecond > 0);
    assert.deepEqual([b!.kernels, b!.layers], [{}, []]);
    const p = cli(['bench', '--threads', '1', '--steps', '1', '--json']);
    const one = (JSON.parse(p.stdout) as Array<{ layers: unknown[]; pool: unknown }>)[0]!;
    assert.ok(one.layers.length === 5, 'with the profile: five conv layers');
    assert.equal(one.pool, null, 'one thread: no thread profile');
  });

  it('bench on two threads adds where the step\'s time goes between the caller and the worker', () => {
    const r = cli(['bench', '--threads', '2', '--steps', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { pool, msPerStep } = (JSON.parse(r.stdout) as Array<{ msPerStep: number; pool: Record<string, number> }>)[0]!;
    assert.deepEqual(Object.keys(pool).sort(), ['mainKernels', 'serial', 'unsplit', 'waiting', 'workerKernels']);
    // Both threads ran kernels; the caller's parts add up to about a step (a separate pass, so loosely).
    assert.ok(pool.workerKernels! > 0 && pool.mainKernels! > 0 && pool.serial! > 0, JSON.stringify(pool));
    const callerMs = pool.serial! + pool.mainKernels! + pool.waiting!;
    assert.ok(callerMs > msPerStep / 3 && callerMs < msPerStep * 3, `caller ${callerMs} ms vs step ${msPerStep} ms`);
  });

  it('summary reproduces the torchsummary table of the reference net exactly', () => {
    const r = cli(['summary']);
    assert.equal(r.code, 0);
    // A byte-identical copy of shared/reference/seed-summary.txt (torchsummary on net.py), kept in the repo.
    const want = readFileSync(`${ROOT}test/fixtures/seed-summary.txt`, 'utf8');
    const [table, layers] = r.stdout.split('\n\n');
    assert.equal(table!.trimEnd(), want.trimEnd());
    // Then every layer's receptive field and multiply-adds (test/models/spec.test.ts checks the values).
    assert.match(layers!, /^Layer\s+Type\s+Output\s+Params\s+RF\s+Mult-adds/);
    assert.match(layers!, /Total: 16,626 parameters, 3,304,096 multiply-adds per image/);
  });

  it('train --dry-run writes the run directory; eval --json reads the model back', () => {
    const out = path.join(tmp, 'dry');
    const r = cli(['train', '--dry-run', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout.trim().split('\n').pop()!) as { epoch: number; testAcc: number };
    assert.equal(rec.epoch, 1);
    for (const f of ['model.safetensors', 'config.json', 'metrics.csv', 'curves.svg', 'checkpoint.safetensors']) assert.ok(existsSync(path.join(out, f)), f);
    const cfg = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as { parameters: number; seed: number };
    assert.equal(cfg.parameters, 16626);
    const ev = cli(['eval', '--model', path.join(out, 'model.safetensors'), '--limit-test', '1000', '--json']);
    assert.equal(ev.code, 0, ev.stderr);
    const j = JSON.parse(ev.stdout) as { accuracy: number; correct: number; total: number; loss: number };
    assert.equal(j.total, 1000);
    // An independent count: the saved model, one image at a time, argmax against the label.
    const right = countCorrect(path.join(out, 'model.safetensors'), 1000);
    assert.equal(j.correct, right, `eval says ${j.correct} right, counted ${right}`);
    assert.equal(j.accuracy, right / 10);
    assert.equal(j.accuracy, rec.testAcc, 'eval of the saved model equals the training run\'s own test accuracy');
  });

  it('predict classifies PNG files of MNIST test digits as their labels, text and JSON', () => {
    const test = loadIdxDataset(undefined, { limitTrain: 1, limitTest: 20 }).test;
    const files = Array.from({ length: 20 }, (_, i) => {
      const f = path.join(tmp, `test${i}.png`);
      mnistPng(f, test.images, i);
      return f;
    });
    const r = cli(['predict', '--json', ...files]);
    assert.equal(r.code, 0, r.stderr);
    const preds = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; digit: number; probabilities: number[] });
    assert.deepEqual(preds.map((p) => p.file), files);
    assert.deepEqual(preds.map((p) => p.digit), Array.from(test.labels), 'the shipped model reads the first 20 test digits right');
    for (const p of preds) {
      assert.equal(p.probabilities.length, 10);
      assert.ok(Math.abs(p.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'probabilities sum to 1');
      assert.equal(p.digit, p.probabilities.indexOf(Math.max(...p.probabilities)));
    }
    const text = cli(['predict', files[0]!]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^${files[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${test.labels[0]} \\(\\d+\\.\\d%\\)  0:\\d+\\.\\d`));
  });
});
