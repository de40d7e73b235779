// User mistakes through the real CLI: each gets exit code 2 and one line on stderr naming the
// problem, never a stack trace; nothing is written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultDataDir } from '../../src/data/datasets.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { encodeIdx } from '../../src/data/idx.js';
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
/** A data folder of IDX files: `n` train and `m` test images of h×w (all zero, label 0). */
function tinyData(n: number, m: number, h = 28, w = 28): string {
  const dir = mkdtempSync(path.join(tmp, 'tiny-'));
  for (const [prefix, count] of [['train', n], ['t10k', m]] as const) {
    writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte`), encodeIdx([count, h, w], new Uint8Array(count * h * w)));
    writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte`), encodeIdx([count], new Uint8Array(count)));
  }
  return dir;
}
const aFile = path.join(tmp, 'a-file');
writeFileSync(aFile, 'not a folder');
const badConfig = path.join(tmp, 'bad-config');
mkdirSync(badConfig);
writeFileSync(path.join(badConfig, 'config.json'), '{"recipe": {');
const noConfig = path.join(tmp, 'no-config');
mkdirSync(noConfig);
writeFileSync(path.join(noConfig, 'checkpoint.safetensors'), 'x');
const never = path.join(tmp, 'never');
const QUICK = ['--limit-train', '256', '--limit-test', '100', '--epochs', '1'];
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
  [['bench', '--steps', '469'], /^tiny-mnist bench: --steps 469 and --warmup 2 need 60288 training images at batch 128; MNIST has 60000 \(steps \+ warmup ≤ 468\)$/],
  [['bench', '--vs-torch', '--warmup', '300', '--steps', '200'], /--steps 200 and --warmup 300 need 64000 training images/],
  [['summary', '--arch', 'resnet'], /unknown architecture "resnet" \(the zoo has seed16k, tiny, fast, accurate; or give a \.json file\)/],
  [['summary', '--arch', 'no/such.json'], /no\/such\.json: no such file/],
  // Ordinary failures of a run: one line with the cause and what to do, nothing written.
  [['train', ...QUICK, '--out', aFile], /a-file: is a file, not a folder/],
  [['train', ...QUICK, '--out', path.join(aFile, 'run')], /a-file\/run: a part of the path is a file, not a folder/],
  [['train', ...QUICK, '--out', '/proc/tiny-mnist-x'], /\/proc\/tiny-mnist-x: cannot create the folder: no such folder \(ENOENT\)/],
  [['train', '--resume', badConfig], /bad-config\/config\.json: not valid JSON .*cannot be resumed/],
  [['train', '--resume', noConfig], /no-config: no config\.json, so not a tiny-mnist run folder/],
  [['train', ...QUICK, '--batch-size', '8192', '--out', never], /--batch-size 8192 needs about \d\.\d\d GiB .* use --batch-size \d+ or less/],
  [['train', '--epochs', '1', '--data', tinyData(0, 10), '--out', never], /tiny-\w+: the training set has no images; nothing to train on/],
  [['train', '--epochs', '1', '--data', tinyData(10, 0), '--out', never], /tiny-\w+: the test set has no images/],
  [['train', '--epochs', '1', '--data', tinyData(10, 10, 5, 5), '--out', never], /tiny-\w+: images are 5x5, which the network seed16k cannot take \(zoo\/seed16k\.json: layer 16 \(conv2d "conv5"\): a 3x3 kernel/],
  [['eval', '--model', model, '--data', tinyData(10, 0)], /tiny-\w+: the test set has no images; nothing to evaluate/],
];

describe('CLI usage errors', () => {
  for (const [args, pattern] of CASES) {
    it(args.map((a) => path.basename(a)).join(' '), () => {
      const r = cli(args, { timeoutMs: 120_000 });
      assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
      const lines = r.stderr.trim().split('\n');
      assert.match(lines[0]!, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      if (args[0] !== 'frobnicate') assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
      assert.doesNotMatch(lines[0]!, /^tiny-mnist (\w+): \1:/, 'the command named once');
    });
  }
  it('nothing was written by the failed train', () => {
    assert.equal(existsSync(never), false);
  });

  it('a read-only folder as --out: one line, exit 2', (t) => {
    const ro = path.join(tmp, 'read-only');
    mkdirSync(ro);
    // Root ignores permission bits: make the folder immutable instead (needs CAP_LINUX_IMMUTABLE).
    const root = process.getuid?.() === 0;
    const lock = (on: boolean) => (root ? spawnSync('chattr', [on ? '+i' : '-i', ro]).status === 0 : (chmodSync(ro, on ? 0o555 : 0o755), true));
    if (!lock(true)) {
      t.skip('cannot make a read-only folder here');
      return;
    }
    try {
      const r = cli(['train', ...QUICK, '--out', ro]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr.trim(), /read-only: cannot write in the run folder: (permission denied \(EACCES\)|operation not permitted \(EPERM\))$/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    } finally {
      lock(false);
    }
  });
});
