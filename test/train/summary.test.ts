// Many runs side by side (summary.ts, behind `train --seeds` and `compare`), on run folders written
// here: the folders found (a --seeds parent in numeric order), each run's last epoch, and the spread
// (mean, min, max, sample standard deviation) held to values worked out by hand, in the table, the
// CSV and the JSON.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { metricsCsv, type EpochRecord } from '../../src/train/metrics.js';
import { expandRunDirs, readRun, stats, summarizeRuns, summaryCsv, summaryTable, writeSummary } from '../../src/train/summary.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-summary-'));

/** A run folder whose last epoch (of `epochs`) scores testAcc (and valAcc). */
function runDir(dir: string, seed: number | null, epochs: number, testAcc: number, valAcc?: number): string {
  mkdirSync(dir, { recursive: true });
  const records: EpochRecord[] = Array.from({ length: epochs }, (_, i) => ({
    epoch: i + 1, loss: 0.5, trainAcc: 98, testLoss: 0.03, testAcc: i + 1 === epochs ? testAcc : 90, lr: 0.01, seconds: 10,
    ...(valAcc !== undefined ? { valLoss: 0.04, valAcc: i + 1 === epochs ? valAcc : 90 } : {}),
  }));
  writeFileSync(path.join(dir, 'metrics.csv'), metricsCsv(records));
  if (seed !== null) writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ arch: 'seed16k', seed }));
  return dir;
}

describe('run summaries', () => {
  const parent = path.join(root, 'seeds');
  runDir(path.join(parent, 'seed-10'), 10, 3, 99.5, 99.0);
  runDir(path.join(parent, 'seed-2'), 2, 3, 99.1, 98.8);
  runDir(path.join(parent, 'seed-1'), 1, 3, 99.3, 99.2);
  mkdirSync(path.join(parent, 'not-a-run'));

  it('a --seeds parent stands for its run folders, in numeric order; a run folder for itself', () => {
    assert.deepEqual(expandRunDirs([parent]).map((d) => path.basename(d)), ['seed-1', 'seed-2', 'seed-10']);
    const lone = runDir(path.join(root, 'lone'), null, 2, 98.0);
    assert.deepEqual(expandRunDirs([lone]), [lone]);
    assert.throws(() => expandRunDirs([path.join(root, 'nope')]), /nope: no such folder/);
    assert.throws(() => expandRunDirs([path.join(parent, 'not-a-run')]), /neither a run folder \(no metrics\.csv\) nor a folder of runs/);
  });

  it('reads each run\'s last epoch, arch and seed (? without config.json)', () => {
    const r = readRun(path.join(parent, 'seed-10'));
    assert.deepEqual([r.arch, r.seed, r.epochs, r.testAcc, r.valAcc], ['seed16k', 10, 3, 99.5, 99.0]);
    const lone = readRun(path.join(root, 'lone'));
    assert.deepEqual([lone.arch, lone.seed, lone.epochs, lone.testAcc, lone.valAcc], ['?', null, 2, 98.0, null]);
    assert.throws(() => readRun(path.join(parent, 'not-a-run')), /metrics\.csv: no such file/);
    const bad = runDir(path.join(root, 'bad-config'), 1, 1, 97);
    writeFileSync(path.join(bad, 'config.json'), '{ not json');
    assert.throws(() => readRun(bad), /config\.json: not valid JSON/);
    // A run stopped after an epoch --test-every did not score has no final accuracy to report.
    const unscored = runDir(path.join(root, 'unscored'), 3, 2, 99);
    const csv = path.join(unscored, 'metrics.csv');
    writeFileSync(csv, readFileSync(csv, 'utf8').replace(/\n2,([^,]*),([^,]*),[^,]*,[^,]*,/, '\n2,$1,$2,,,'));
    assert.throws(() => readRun(unscored), /metrics\.csv: its last epoch \(2\) was not scored \(--test-every\): the run did not finish; train --resume .*unscored finishes and scores it/);
  });

  it('mean, min, max and the sample standard deviation, worked out by hand', () => {
    // 99.1, 99.3, 99.5: mean 99.3, deviations ±0.2 and 0, sample variance 0.08/2 = 0.04, std 0.2.
    const s = summarizeRuns(expandRunDirs([parent]).map(readRun));
    assert.equal(s.test.n, 3);
    assert.ok(Math.abs(s.test.mean - 99.3) < 1e-9 && Math.abs(s.test.std! - 0.2) < 1e-9, `${s.test.mean} ${s.test.std}`);
    assert.deepEqual([s.test.min, s.test.max], [99.1, 99.5]);
    // val 99.0, 98.8, 99.2: the same spread around 99.0.
    assert.ok(Math.abs(s.val!.mean - 99.0) < 1e-9 && Math.abs(s.val!.std! - 0.2) < 1e-9);
    assert.deepEqual([s.val!.min, s.val!.max], [98.8, 99.2]);
    assert.equal(stats([97]).std, null, 'one run has no sample deviation');
    // A run without a validation split: no val column at all.
    assert.equal(summarizeRuns([readRun(path.join(parent, 'seed-1')), readRun(path.join(root, 'lone'))]).val, null);
    assert.throws(() => summarizeRuns([]), /no runs to summarise/);

    const table = summaryTable(s).split('\n').map((l) => l.split(/\s{2,}/));
    const row = (name: string) => table.find((r) => r[0] === name)!;
    assert.deepEqual(row('mean of 3').slice(1), ['99.30%', '99.00%']);
    assert.deepEqual(row('min').slice(1), ['99.10%', '98.80%']);
    assert.deepEqual(row('max').slice(1), ['99.50%', '99.20%']);
    assert.deepEqual(row('std (sample, n-1)').slice(1), ['0.20%', '0.20%']);
    assert.equal(table.filter((r) => /seed-\d+$/.test(r[0]!)).length, 3);

    const csv = summaryCsv(s).trim().split('\n');
    assert.equal(csv[0], 'run,arch,seed,epochs,test_acc,val_acc');
    assert.deepEqual(csv.slice(-4), ['mean,,,,99.3000,99.0000', 'min,,,,99.1000,98.8000', 'max,,,,99.5000,99.2000', 'std_sample,,,,0.2000,0.2000']);
  });

  it('writes summary.json, .csv and .svg with the runs named relative to the folder', () => {
    const s = summarizeRuns(expandRunDirs([parent]).map(readRun));
    const files = writeSummary(parent, s, 'three seeds');
    assert.deepEqual(files.map((f) => path.basename(f)), ['summary.json', 'summary.csv', 'summary.svg']);
    const text = readFileSync(path.join(parent, 'summary.json'), 'utf8');
    const json = JSON.parse(text);
    assert.equal(text, JSON.stringify(json, null, 2) + '\n', 'two-space JSON with a final newline, as config.json');
    assert.deepEqual(json.runs.map((r: { dir: string; seed: number }) => [r.dir, r.seed]), [['seed-1', 1], ['seed-2', 2], ['seed-10', 10]]);
    assert.equal(json.test.n, 3);
    assert.equal(readFileSync(path.join(parent, 'summary.csv'), 'utf8').split('\n')[1], '"seed-1",seed16k,1,3,99.3000,99.2000');
    assert.match(readFileSync(path.join(parent, 'summary.svg'), 'utf8'), /seed 10: 99\.50%/);
  });
});
