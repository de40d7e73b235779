// End to end on a subset (CI cannot afford the full 19 epochs): the default recipe on the first
// 10,000 training images for 3 epochs must reach 95% on the first 1,000 test images, and the run
// directory must hold what the README promises.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { closeEngine } from '../../src/engine/node.js';
import { DEFAULT_RECIPE } from '../../src/train/recipe.js';
import { redrawCurves } from '../../src/train/replot.js';
import { runTraining } from '../../src/train/run.js';

export const SUBSET = { limitTrain: 10_000, limitTest: 1_000, epochs: 3, minAccuracy: 95 };

describe('training on a subset', () => {
  after(closeEngine);
  it(`default recipe, ${SUBSET.limitTrain} images, ${SUBSET.epochs} epochs → ≥ ${SUBSET.minAccuracy}% on ${SUBSET.limitTest} test images`, async (t) => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-e2e-'));
    const { records } = await runTraining({
      recipe: { ...DEFAULT_RECIPE, epochs: SUBSET.epochs }, seed: 1, threads: 2,
      limitTrain: SUBSET.limitTrain, limitTest: SUBSET.limitTest, out,
    });
    assert.equal(records.length, SUBSET.epochs);
    const last = records[records.length - 1]!;
    t.diagnostic(`test accuracy per epoch: ${records.map((r) => r.testAcc.toFixed(1)).join(', ')}%`);
    assert.ok(last.testAcc >= SUBSET.minAccuracy, `final test accuracy ${last.testAcc}% < ${SUBSET.minAccuracy}%`);
    assert.ok(records[0]!.loss > last.loss, 'training loss falls');
    const csv = readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'epoch,train_loss,train_acc,test_loss,test_acc,lr,seconds');
    assert.equal(csv.length, SUBSET.epochs + 1);
    const svg = readFileSync(path.join(out, 'curves.svg'), 'utf8');
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 5, 'train and test lines for error and loss, and the learning rate');
    assert.ok(existsSync(path.join(out, 'model.safetensors')));
    // `tiny-mnist plot` redraws the same curves from the folder's files (so records need no redrawing).
    const again = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-e2e-plot-'));
    for (const f of ['metrics.csv', 'config.json']) copyFileSync(path.join(out, f), path.join(again, f));
    redrawCurves(again);
    assert.equal(readFileSync(path.join(again, 'curves.svg'), 'utf8'), svg, 'curves.svg written during training differs from its redraw');
  });
});
