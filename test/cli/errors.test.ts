// User mistakes through the real CLI: each gets exit code 2 and one line on stderr naming the
// problem, never a stack trace; nothing is written.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultDataDir } from '../../src/data/datasets.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { encodeModel } from '../../src/io/model-file.js';
import { seed16k } from '../../src/models/seed16k.js';
import { Rng } from '../../src/util/rng.js';
import { cli } from './cli-helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-cli-'));

/** A data folder with the four MNIST files, one of them replaced by `bytes`. */
function dataDirWith(file: string, bytes: Uint8Array): string {
  const dir = mkdtempSync(path.join(tmp, 'data-'));
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    writeFileSync(path.join(dir, f), f === file ? bytes : readFileSync(path.join(defaultDataDir(), f)));
  }
  return dir;
}

const labels = readFileSync(path.join(defaultDataDir(), 't10k-labels-idx1-ubyte'));
const badMagic = Uint8Array.from(labels);
badMagic[3] = 0x05;
const badLabel = Uint8Array.from(labels);
badLabel[8 + 17] = 12;
const notSafetensors = path.join(tmp, 'junk.safetensors');
writeFileSync(notSafetensors, 'this is not a model file at all');
const notPng = path.join(tmp, 'digit.png');
writeFileSync(notPng, 'GIF89a');
mkdirSync(path.join(tmp, 'empty'), { recursive: true });
// A valid (untrained) model, so data and image errors are reached whether or not models/ exists.
const model = path.join(tmp, 'model.safetensors');
initEngine({ threads: 1 });
writeFileSync(model, encodeModel(seed16k({ initRng: new Rng(1), dropoutRng: new Rng(1), dropout: 0 })));
closeEngine();

// [args, what stderr must contain]
const CASES: Array<[string[], RegExp]> = [
  [['frobnicate'], /unknown command "frobnicate"/],
  [['train', '--epochz', '3'], /unknown option --epochz/],
  [['train', '--epochs'], /--epochs needs a value/],
  [['train', '--epochs', 'three'], /--epochs must be a number, got "three"/],
  [['train', '--epochs', '0'], /--epochs must be ≥ 1, got 0/],
  [['train', '--epochs', '2.5'], /--epochs must be a whole number/],
  [['train', '--batch-size', '0'], /--batch-size must be ≥ 1/],
  [['train', '--lr', '-0.1'], /--lr must be > 0/],
  [['train', '--lr', 'NaN'], /--lr must be a number, got "NaN"/],
  [['train', '--threads', '9999'], /--threads must be ≤ \d+/],
  [['train', '--optimizer', 'rmsprop'], /--optimizer must be one of sgd, adam, adamw/],
  [['train', '--gamma', '0'], /^tiny-mnist train: --gamma must be > 0, got 0$/],
  [['train', '--step-size', '0'], /^tiny-mnist train: --step-size must be ≥ 1, got 0$/],
  [['train', '--data', path.join(tmp, 'nope')], /data directory not found: .*nope/],
  [['train', '--data', path.join(tmp, 'empty'), '--out', path.join(tmp, 'never')], /train-images/],
  [['eval', '--model', model, '--data', dataDirWith('t10k-labels-idx1-ubyte', badMagic)], /t10k-labels-idx1-ubyte: .*magic/],
  [['eval', '--model', model, '--data', dataDirWith('t10k-labels-idx1-ubyte', badLabel)], /t10k-labels-idx1-ubyte: .*label.*12/i],
  [['eval', '--model', model, '--data', dataDirWith('t10k-labels-idx1-ubyte', labels.subarray(0, 5000))], /t10k-labels-idx1-ubyte: /],
  [['eval', '--model', path.join(tmp, 'missing.safetensors')], /missing\.safetensors: no such file/],
  [['eval', '--model', notSafetensors], /junk\.safetensors: /],
  [['predict'], /give at least one PNG file/],
  [['predict', '--model', model, notPng], /digit\.png: /],
  [['summary', '--arch', 'resnet'], /--arch must be one of seed16k/],
];

describe('CLI usage errors', () => {
  for (const [args, pattern] of CASES) {
    it(args.map((a) => path.basename(a)).join(' '), () => {
      const r = cli(args);
      assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
      const lines = r.stderr.trim().split('\n');
      assert.match(lines[0]!, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      if (args[0] !== 'frobnicate') assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
      assert.doesNotMatch(lines[0]!, /^tiny-mnist (\w+): \1:/, 'the command named once');
    });
  }
  it('nothing was written by the failed train', () => {
    assert.equal(existsSync(path.join(tmp, 'never')), false);
  });
});
