// curves.svg and metrics.csv: the CSV reads back what it wrote; the plot labels every epoch, draws
// the goal as a line, keeps every legend below its plot area, names both losses, puts error values
// on a log axis (equal ratios, equal distances), and `tiny-mnist plot` redraws a run folder.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { metricsCsv, parseMetricsCsv, type EpochRecord } from '../../src/train/metrics.js';
import { curvesSvg, epochTicks, logTicks } from '../../src/train/plot.js';
import { DEFAULT_RECIPE } from '../../src/train/recipe.js';
import { redrawCurves } from '../../src/train/replot.js';
import { epochFiles } from '../../src/train/run-files.js';
import { stepsPerEpoch } from '../../src/train/trainer.js';
import { cli } from '../cli/cli-helpers.js';
import { ROOT } from '../helpers.js';

const records: EpochRecord[] = Array.from({ length: 19 }, (_, i) => ({
  epoch: i + 1, loss: 1 / (i + 1) + 0.5, trainAcc: 100 - 20 / (i + 1), testLoss: 0.2 / (i + 1), testAcc: 100 - 2 / (i + 1), lr: 0.1 / (i + 1), seconds: 20,
}));

/** [x, y, text] of every <text> element. */
function texts(svg: string): Array<[number, number, string]> {
  return [...svg.matchAll(/<text x="([\d.-]+)" y="([\d.-]+)"[^>]*>([^<]*)<\/text>/g)].map((m) => [Number(m[1]), Number(m[2]), m[3]!]);
}

describe('metrics.csv', () => {
  it('reads back what it wrote, to its printed precision', () => {
    const back = parseMetricsCsv(metricsCsv(records), 'm.csv');
    assert.equal(back.length, records.length);
    back.forEach((r, i) => {
      for (const k of Object.keys(r) as Array<keyof EpochRecord>) {
        const want = records[i]![k]!, got = r[k]!;
        assert.ok(Math.abs(got - want) <= 5e-5 * Math.max(1, Math.abs(want)), `${k} of epoch ${i + 1}`);
      }
    });
  });
  it('an epoch that was not scored (--test-every) has empty test and validation cells, read back as NaN', () => {
    const val = records.map((r, i) => ({ ...r, valLoss: 0.1 + i, valAcc: 98 + i / 10 }));
    const skipped = val.map((r, i) => (i % 2 === 0 ? { ...r, testLoss: NaN, testAcc: NaN, valLoss: NaN, valAcc: NaN } : r));
    const text = metricsCsv(skipped);
    assert.match(text.split('\n')[1]!, /^1,[\d.]+,[\d.]+,,,[\d.e-]+,[\d.]+,,$/);
    const back = parseMetricsCsv(text, 'm.csv');
    back.forEach((r, i) => {
      for (const k of ['testLoss', 'testAcc', 'valLoss', 'valAcc'] as const) {
        if (i % 2 === 0) assert.ok(Number.isNaN(r[k]), `${k} of epoch ${i + 1}: ${r[k]}`);
        else assert.ok(Math.abs(r[k]! - skipped[i]![k]!) <= 5e-5 * Math.max(1, Math.abs(skipped[i]![k]!)), `${k} of epoch ${i + 1}`);
      }
      assert.ok(Math.abs(r.loss - skipped[i]!.loss) < 1e-5, `loss of epoch ${i + 1}`);
    });
    // Only those cells, and a pair only together; nothing else may be empty.
    const row2 = text.split('\n')[2]!.split(',');
    const with_ = (j: number) => text.replace(text.split('\n')[2]!, row2.map((c, k) => (k === j ? '' : c)).join(','));
    assert.throws(() => parseMetricsCsv(with_(1), 'x.csv'), /x\.csv: line 3: expected 9 numbers/); // train_loss
    assert.throws(() => parseMetricsCsv(with_(4), 'x.csv'), /x\.csv: line 3: expected 9 numbers/); // test_acc without test_loss
    assert.throws(() => parseMetricsCsv(with_(8), 'x.csv'), /x\.csv: line 3: expected 9 numbers/); // val_acc without val_loss
  });
  it('refuses a file that is not one', () => {
    assert.throws(() => parseMetricsCsv('a,b\n1,2\n', 'x.csv'), /^FileFormatError: x\.csv: expected the header/);
    assert.throws(() => parseMetricsCsv(metricsCsv(records).replace('\n2,', '\n2,zz'), 'x.csv'), /x\.csv: line 3: expected 7 numbers/);
    assert.throws(() => parseMetricsCsv(metricsCsv([]), 'x.csv'), /no epochs/);
  });
});

describe('curves.svg', () => {
  const svg = curvesSvg(records, 'a run', { labelSmoothing: 0.1 });
  it('labels every epoch on every panel, and the goal, and which loss is which', () => {
    const labels = texts(svg).map(([, , t]) => t);
    const epochLabels = [...svg.matchAll(/<text [^>]*text-anchor="middle" font-size="11">(\d+)<\/text>/g)].map((m) => m[1]);
    for (let e = 1; e <= 19; e++) assert.equal(epochLabels.filter((t) => t === String(e)).length, 3, `epoch ${e}`);
    for (const want of ['goal: 99.4% accuracy', 'test loss (plain NLL)', 'train loss (label smoothing 0.1)', 'test error']) assert.ok(labels.includes(want), want);
  });
  it('between scorings (--test-every) names the last scored epoch and draws no NaN', () => {
    const partial = records.map((r, i) => (i >= 1 ? { ...r, testLoss: NaN, testAcc: NaN } : r));
    const s = curvesSvg(partial, 'run');
    assert.match(s, new RegExp(`epoch 1: test accuracy ${records[0]!.testAcc.toFixed(2)}%`));
    assert.doesNotMatch(s, /NaN/);
    assert.match(curvesSvg(partial.map((r) => ({ ...r, testLoss: NaN, testAcc: NaN })), 'run'), /not scored yet/);
  });
  it('keeps every legend outside (below) its plot area', () => {
    const frames = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="none"/g)].map((m) => [Number(m[1]), Number(m[1]) + Number(m[2])] as const);
    assert.equal(frames.length, 3);
    for (const name of ['test error', 'goal: 99.4% accuracy', 'test loss (plain NLL)']) {
      const y = texts(svg).find(([, , t]) => t === name)![1];
      assert.ok(frames.every(([top, bottom]) => y < top || y > bottom + 20), `${name} at y ${y}`);
    }
  });
  it('puts error on a log axis: equal ratios at equal distances', () => {
    const ys = [...svg.matchAll(/<polyline points="([^"]+)" fill="none" stroke="#d62728"/g)][0]![1]!.split(' ').map((p) => Number(p.split(',')[1]));
    // test error 2/(e) %: epochs 1, 2, 4, 8 halve it each time.
    const d1 = ys[1]! - ys[0]!, d2 = ys[3]! - ys[1]!, d3 = ys[7]! - ys[3]!;
    assert.ok(Math.abs(d1 - d2) < 0.3 && Math.abs(d2 - d3) < 0.3, `${d1} ${d2} ${d3}`);
  });
  it('draws flat series (a constant learning rate, unchanging losses) inside their panels', () => {
    const flat = Array.from({ length: 3 }, (_, i) => ({ epoch: i + 1, loss: 0.5, trainAcc: 99, testLoss: 0.04, testAcc: 99, lr: 0.01, seconds: 20 }));
    const out = curvesSvg(flat, 'flat', { labelSmoothing: 0 });
    const frames = [...out.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="none"/g)].map((m) => [Number(m[1]), Number(m[1]) + Number(m[2])] as const);
    const lines = [...out.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]!.split(' ').map((p) => Number(p.split(',')[1])));
    assert.ok(lines.length >= 4);
    for (const ys of lines) assert.ok(ys.every((y) => frames.some(([top, bottom]) => y >= top && y <= bottom)), `points at y = ${ys}`);
    // Epoch 1 at the frame's left edge, the last epoch at its right edge.
    const [x0, width] = /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill="none"/.exec(out)!.slice(1).map(Number);
    for (const m of out.matchAll(/<polyline points="([^"]+)"/g)) {
      const xs = m[1]!.split(' ').map((p) => Number(p.split(',')[0]));
      assert.deepEqual([xs[0], xs.at(-1)], [x0, x0! + width!]);
    }
  });
  it('a flat loss sits in the middle of its log axis (the range widens evenly around it)', () => {
    const flat = Array.from({ length: 3 }, (_, i) => ({ epoch: i + 1, loss: 0.5, trainAcc: 99, testLoss: 0.5, testAcc: 99, lr: 0.01, seconds: 20 }));
    const out = curvesSvg(flat, 'flat', { labelSmoothing: 0 });
    const frames = [...out.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="none"/g)].map((m) => [Number(m[1]), Number(m[1]) + Number(m[2])] as const);
    const [top, bottom] = frames[1]!; // the loss panel
    const ys = [...out.matchAll(/<polyline points="([^"]+)"/g)].flatMap((m) => m[1]!.split(' ').map((p) => Number(p.split(',')[1]))).filter((y) => y >= top && y <= bottom);
    assert.equal(ys.length, 6, 'train and test loss, 3 epochs each');
    for (const y of ys) assert.ok(Math.abs(y - (top + bottom) / 2) <= 0.5, `y ${y}, panel ${top}–${bottom}`);
  });
  it('ticks: every epoch up to 25, then round steps; 1-2-5 per decade on wide log ranges', () => {
    assert.deepEqual(epochTicks(1, 19), Array.from({ length: 19 }, (_, i) => i + 1));
    assert.deepEqual(epochTicks(1, 60).slice(0, 4), [1, 5, 10, 15]);
    assert.deepEqual(logTicks(0.05, 30), [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20]);
  });
});

describe('tiny-mnist plot', () => {
  it('redraws curves.svg of a run folder; a folder without metrics.csv is a one-line error', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-plot-'));
    copyFileSync(`${ROOT}results/seed16k/seed-1/metrics.csv`, path.join(dir, 'metrics.csv'));
    writeFileSync(path.join(dir, 'curves.svg'), 'old');
    const r = cli(['plot', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${path.join(dir, 'curves.svg')}: 19 epochs`);
    assert.match(readFileSync(path.join(dir, 'curves.svg'), 'utf8'), /^<svg .*learning rate \(end of epoch\)/s);
    const bad = cli(['plot', os.tmpdir() + '/no-such-run-folder']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^tiny-mnist plot: .*metrics\.csv: no such file/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });
});

describe('curves.svg of a run', () => {
  it('is the same bytes as `tiny-mnist plot` redraws from the folder (drawn from metrics.csv\'s rounded numbers)', () => {
    // Unrounded values, as training produces them: 60 epochs give hundreds of points, so drawing
    // from the in-memory numbers instead of the CSV's would move some point by a rounding step.
    let s = 12345;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const raw: EpochRecord[] = Array.from({ length: 60 }, (_, i) => ({
      epoch: i + 1, loss: 0.5 + rnd(), trainAcc: 98 + 2 * rnd(), testLoss: 0.1 * rnd() + 0.01, testAcc: 99 + rnd(), lr: 0.2 * rnd(), seconds: 20 * rnd(),
    }));
    const recipe = { ...DEFAULT_RECIPE, epochs: 60 };
    const { metrics, curves } = epochFiles(raw, recipe, 3, stepsPerEpoch(60000, recipe.batchSize));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-epochfiles-'));
    writeFileSync(path.join(dir, 'metrics.csv'), metrics);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ recipe, seed: 3, data: { train: 60000 } }));
    redrawCurves(dir);
    assert.equal(curves, readFileSync(path.join(dir, 'curves.svg'), 'utf8'));
  });
});
