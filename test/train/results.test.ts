// The committed training records (results/*/: written by `tiny-mnist train`, see README) must be
// records of the current default recipe and meet the product's goal at the final epoch: fewer than
// 18,000 parameters, at most 19 epochs, test accuracy above 99.4%. Changing the recipe without
// re-running the trainings fails here.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { zooSpec } from '../../src/models/index.js';
import { DEFAULT_RECIPE, type Recipe } from '../../src/train/recipe.js';
import { redrawCurves } from '../../src/train/replot.js';
import { ROOT } from '../helpers.js';

const dirs = readdirSync(`${ROOT}results`).filter((d) => d.startsWith('seed16k'));

describe('committed training records', () => {
  it('there are records for at least three seeds', () => {
    const seeds = new Set(dirs.map((d) => (JSON.parse(readFileSync(`${ROOT}results/${d}/config.json`, 'utf8')) as { seed: number }).seed));
    assert.ok(seeds.size >= 3, `seeds: ${[...seeds]}`);
  });
  for (const d of dirs) {
    it(`results/${d}: default recipe, < 18,000 parameters, ≤ 19 epochs, final test accuracy > 99.4%`, () => {
      const cfg = JSON.parse(readFileSync(`${ROOT}results/${d}/config.json`, 'utf8')) as { recipe: Recipe; parameters: number };
      // Records written before architectures carried their dropout rates hold the rate in the recipe
      // (0.05): the same as every dropout layer of zoo/seed16k.json, so the same recipe.
      const drops = zooSpec('seed16k').layers.flatMap((l) => (l.type === 'dropout' ? [l.p] : []));
      const recipe = cfg.recipe.dropout !== null && drops.every((p) => p === cfg.recipe.dropout) ? { ...cfg.recipe, dropout: null } : cfg.recipe;
      // Records made before --step-size and --gamma existed ran StepLR's then fixed 5 and 0.1; before
      // --translate and --scale, no shift or scale.
      assert.deepEqual({ stepSize: 5, gamma: 0.1, translate: 0, scale: 0, ...(recipe as object) }, DEFAULT_RECIPE);
      assert.ok(cfg.parameters < 18000);
      const rows = readFileSync(`${ROOT}results/${d}/metrics.csv`, 'utf8').trim().split('\n').slice(1).map((r) => r.split(',').map(Number));
      assert.ok(rows.length >= 1 && rows.length <= 19, `${rows.length} epochs`);
      const last = rows[rows.length - 1]!;
      assert.equal(last[0], rows.length, 'epochs numbered 1..n');
      assert.ok(last[4]! > 99.4, `final test accuracy ${last[4]}%`);
    });
    it(`results/${d}/curves.svg is drawn from its metrics.csv by the current plot code (tiny-mnist plot)`, () => {
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-plot-'));
      for (const f of ['metrics.csv', 'config.json']) copyFileSync(`${ROOT}results/${d}/${f}`, path.join(tmp, f));
      redrawCurves(tmp);
      assert.equal(readFileSync(`${ROOT}results/${d}/curves.svg`, 'utf8'), readFileSync(path.join(tmp, 'curves.svg'), 'utf8'), 'run: node bin/tiny-mnist.js plot results/*');
    });
  }
});
