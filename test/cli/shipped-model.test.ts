// The trained model shipped in the repository (models/seed16k.safetensors, produced by the
// default `tiny-mnist train`, the record results/seed16k/seed-1/) must score above 99.4% on the full MNIST test set.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers.js';
import { cli } from './cli-helpers.js';

describe('shipped model', () => {
  it('eval (default model, full 10,000-image test set) is above 99.4%', () => {
    const r = cli(['eval', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { accuracy: number; correct: number; total: number };
    assert.equal(j.total, 10000);
    assert.ok(j.accuracy > 99.4, `shipped model scores ${j.accuracy}%`);
  });

  it('eval --arch seed16k (no --model) scores the zoo entry\'s shipped weights, models/seed16k.safetensors', () => {
    const viaArch = cli(['eval', '--arch', 'seed16k', '--limit-test', '300', '--json']);
    const viaFile = cli(['eval', '--model', `${ROOT}models/seed16k.safetensors`, '--limit-test', '300', '--json']);
    assert.equal(viaArch.code, 0, viaArch.stderr);
    assert.deepEqual(JSON.parse(viaArch.stdout), JSON.parse(viaFile.stdout));
    const missing = cli(['eval', '--arch', 'no-such-net', '--limit-test', '10']);
    assert.equal(missing.code, 2);
  });

  for (const name of ['tiny', 'fast', 'accurate']) {
    it(`eval --arch ${name} scores the ${name} zoo entry's shipped weights at its record's final accuracy (results/${name}/seed-1)`, () => {
      const csv = readFileSync(`${ROOT}results/${name}/seed-1/metrics.csv`, 'utf8').trim().split('\n');
      const last = csv[csv.length - 1]!.split(',');
      const r = cli(['eval', '--arch', name, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as { accuracy: number; total: number };
      assert.equal(j.total, 10000);
      assert.equal(j.accuracy.toFixed(4), Number(last[4]).toFixed(4));
      assert.ok(j.accuracy >= 99.4, `${name} scores ${j.accuracy}%`);
    });
  }

  it('is the model of the committed training record', () => {
    const csv = readFileSync(`${ROOT}results/seed16k/seed-1/metrics.csv`, 'utf8').trim().split('\n');
    const last = csv[csv.length - 1]!.split(',');
    const r = cli(['eval', '--json']);
    const j = JSON.parse(r.stdout) as { accuracy: number };
    assert.equal(j.accuracy.toFixed(4), Number(last[4]).toFixed(4), 'eval accuracy equals the final test_acc in results/seed16k/seed-1/metrics.csv');
    assert.ok(csv.length - 1 <= 19, 'within 19 epochs');
  });
});
