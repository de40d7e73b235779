// The committed training records must be records of each zoo entry's current recipe and meet the
// zoo's goals at the final epoch, recomputed here from every run's metrics.csv (not from the
// summary the CLI wrote, which is checked against them). A record is the folder `tiny-mnist train
// --arch NAME --seeds LIST --out results/NAME` wrote (see README). Changing a recipe without
// re-running the trainings fails here. Older single-run folders (results/NAME-seedN) are checked
// against the goal every record must meet: < 18,000 parameters, ≤ 19 epochs, > 99.4%.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { zooSpec } from '../../src/models/index.js';
import { recipeOf, type Recipe } from '../../src/train/recipe.js';
import { redrawCurves } from '../../src/train/replot.js';
import { ROOT } from '../helpers.js';

/** The zoo's goals (issue 13): seeds that must be recorded, and the final-epoch accuracy each and on average. */
const GOALS: Record<string, { seeds: number[]; maxParams: number; maxEpochs: number; each: number; mean: number }> = {
  seed16k: { seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], maxParams: 17999, maxEpochs: 19, each: 99.45, mean: 99.52 },
  tiny: { seeds: [1, 2, 3], maxParams: 5000, maxEpochs: 15, each: 99.4, mean: 99.4 },
  accurate: { seeds: [1, 2, 3], maxParams: 17999, maxEpochs: 19, each: 99.55, mean: 99.6 },
  // fast's goal is > 99.4% (and under 60 s, which its records do not meet and this does not check).
  fast: { seeds: [1, 2, 3], maxParams: 17999, maxEpochs: 19, each: 99.41, mean: 99.41 },
};

const finalAcc = (dir: string): { acc: number; epochs: number } => {
  const rows = readFileSync(path.join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
  const head = rows[0]!.split(',');
  const body = rows.slice(1).map((r) => r.split(',').map(Number));
  const last = body[body.length - 1]!;
  assert.equal(last[0], body.length, 'epochs numbered 1..n');
  return { acc: last[head.indexOf('test_acc')]!, epochs: body.length };
};

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
const entries = Object.keys(GOALS).filter((name) => isDir(`${ROOT}results/${name}/seed-1`));

describe('committed zoo records', () => {
  for (const name of entries) {
    const goal = GOALS[name]!;
    const base = `${ROOT}results/${name}`;
    it(`results/${name}: seeds ${goal.seeds[0]}–${goal.seeds[goal.seeds.length - 1]} with its recipe, each ≥ ${goal.each}%, mean ≥ ${goal.mean}%`, () => {
      const want = recipeOf(zooSpec(name));
      const accs = goal.seeds.map((seed) => {
        const dir = path.join(base, `seed-${seed}`);
        const cfg = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { recipe: Recipe; parameters: number; seed: number };
        assert.equal(cfg.seed, seed);
        assert.deepEqual(cfg.recipe, want, `seed ${seed}: recorded with another recipe`);
        assert.ok(cfg.parameters <= goal.maxParams, `${cfg.parameters} parameters`);
        const { acc, epochs } = finalAcc(dir);
        assert.ok(epochs <= goal.maxEpochs && epochs === want.epochs, `seed ${seed}: ${epochs} epochs`);
        assert.ok(acc >= goal.each, `seed ${seed}: final test accuracy ${acc}%`);
        return acc;
      });
      const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
      assert.ok(mean >= goal.mean, `mean ${mean}%`);
      // The summary the CLI wrote agrees with the runs beside it.
      const summary = JSON.parse(readFileSync(path.join(base, 'summary.json'), 'utf8')) as { test: { mean: number; min: number }; runs: unknown[] };
      assert.equal(summary.runs.length, goal.seeds.length);
      assert.ok(Math.abs(summary.test.mean - mean) < 1e-9 && summary.test.min === Math.min(...accs), JSON.stringify(summary.test));
    });
  }
});

const runDirs = [
  ...readdirSync(`${ROOT}results`).filter((d) => existsSync(`${ROOT}results/${d}/config.json`)).map((d) => `results/${d}`),
  ...entries.flatMap((name) => GOALS[name]!.seeds.map((s) => `results/${name}/seed-${s}`)),
];

describe('every committed run', () => {
  for (const d of runDirs) {
    it(`${d}: its zoo entry's recipe, < 18,000 parameters, ≤ 19 epochs, final test accuracy > 99.4%`, () => {
      const cfg = JSON.parse(readFileSync(`${ROOT}${d}/config.json`, 'utf8')) as { parameters: number; recipe: Recipe };
      // Records written before architectures carried their dropout rates hold the rate in the recipe
      // (0.05, the same as every dropout layer of zoo/seed16k.json); before --step-size and --gamma,
      // StepLR's fixed 5 and 0.1; before --translate, --scale and --ema, none of them.
      const drops = zooSpec(cfg.recipe.arch).layers.flatMap((l) => (l.type === 'dropout' ? [l.p] : []));
      const recipe = cfg.recipe.dropout !== null && drops.every((p) => p === cfg.recipe.dropout) ? { ...cfg.recipe, dropout: null } : cfg.recipe;
      assert.deepEqual({ stepSize: 5, gamma: 0.1, translate: 0, scale: 0, ema: 0, ...(recipe as object) }, recipeOf(zooSpec(cfg.recipe.arch)));
      assert.ok(cfg.parameters < 18000);
      const { acc, epochs } = finalAcc(`${ROOT}${d}`);
      assert.ok(epochs <= 19, `${epochs} epochs`);
      assert.ok(acc > 99.4, `final test accuracy ${acc}%`);
    });
    it(`${d}/curves.svg is drawn from its metrics.csv by the current plot code (tiny-mnist plot)`, () => {
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-plot-'));
      for (const f of ['metrics.csv', 'config.json']) copyFileSync(`${ROOT}${d}/${f}`, path.join(tmp, f));
      redrawCurves(tmp);
      assert.equal(readFileSync(`${ROOT}${d}/curves.svg`, 'utf8'), readFileSync(path.join(tmp, 'curves.svg'), 'utf8'), 'run: node bin/tiny-mnist.js plot DIR');
    });
  }
});
