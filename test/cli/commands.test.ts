// The commands' happy paths through the real CLI: help, summary against the PyTorch table,
// a dry-run training whose model file eval and predict then use.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers.js';
import { cli } from './cli-helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-cmd-'));

describe('CLI commands', () => {
  it('--help lists every command; train --help lists every flag with a help line', () => {
    const top = cli(['--help']);
    assert.equal(top.code, 0);
    for (const c of ['train', 'eval', 'predict', 'summary', 'bench']) assert.match(top.stdout, new RegExp(`\\b${c}\\b`));
    const train = cli(['train', '--help']);
    assert.equal(train.code, 0);
    for (const f of ['epochs', 'batch-size', 'lr', 'optimizer', 'seed', 'threads', 'arch', 'data', 'out', 'limit-train', 'limit-test', 'dry-run', 'json', 'resume']) {
      assert.match(train.stdout, new RegExp(`--${f}\\b.* \\S`), `--${f}`);
    }
  });

  it('bench --no-profile times training and evaluation only', () => {
    const r = cli(['bench', '--threads', '1', '--steps', '1', '--no-profile', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const [b] = JSON.parse(r.stdout) as Array<{ threads: number; msPerStep: number; evalImagesPerSecond: number; kernels: object; layers: unknown[] }>;
    assert.equal(b!.threads, 1);
    assert.ok(b!.msPerStep > 0 && b!.evalImagesPerSecond > 0);
    assert.deepEqual([b!.kernels, b!.layers], [{}, []]);
    const p = cli(['bench', '--threads', '1', '--steps', '1', '--json']);
    assert.ok((JSON.parse(p.stdout) as Array<{ layers: unknown[] }>)[0]!.layers.length === 5, 'with the profile: five conv layers');
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
    assert.equal(j.accuracy, (100 * j.correct) / 1000);
    assert.equal(j.accuracy, rec.testAcc, 'eval of the saved model equals the training run\'s own test accuracy');
  });
});
