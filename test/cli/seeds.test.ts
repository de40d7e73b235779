// Many seeds and compare, through the real CLI: train --seeds writes one run folder per seed (the
// same bits as main's code gave each seed alone) and a summary whose mean, min, max and sample std
// are recomputed here from each folder's metrics.csv; compare prints the same for any folders; a run
// without --val keeps its weights and metrics.csv format; --val adds its columns.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cli } from './cli-helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-seeds-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const SMALL = ['--limit-train', '512', '--limit-test', '200', '--epochs', '1'];

/**
 * sha256 over the tensors of a model file (names sorted, name then data bytes), metadata left out.
 * The expected values were computed with main's code before --val and --seeds existed (commit
 * 5b6aa47: `train --limit-train 512 --limit-test 200 --epochs 1 --threads T --seed S`).
 */
function weightsHash(file: string): string {
  const b = readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Record<string, { data_offsets: [number, number] }>;
  delete header.__metadata__;
  const data = b.subarray(8 + n), h = createHash('sha256');
  for (const k of Object.keys(header).sort()) h.update(k).update(data.subarray(...header[k]!.data_offsets));
  return h.digest('hex');
}
const MAIN_1_THREAD: Record<number, string> = {
  1: '67eea85e482a567cdf321840125075ab0d5f4a6b4e5b1b5cb849772a38cc584b',
  2: 'ae829d99c2c2c578cbf6cc2d706f7c32343c81a010332af987e29bd8f3652d9d',
  3: 'c187a3cc3952c5474126ac8a51c9e6fb2d1f390ea2fa0ff448f9dd4b7de40240',
};
const MAIN_2_THREADS_SEED_1 = '316ea9cd25f61634e44c8a62408eae321af09eb29dc9aabbcd475a656e56b5e7';

/** The last row of a metrics.csv, by column name. */
function lastRow(dir: string): Record<string, number> {
  const [head, ...rows] = readFileSync(path.join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
  const names = head!.split(','), v = rows[rows.length - 1]!.split(',').map(Number);
  return Object.fromEntries(names.map((c, i) => [c, v[i]!]));
}

function spread(xs: number[]) {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  return { mean, min: Math.min(...xs), max: Math.max(...xs), std: Math.sqrt(ss / (xs.length - 1)) };
}

const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-3, `${what}: ${a} vs ${b}`);

describe('train --seeds', () => {
  const dir = path.join(tmp, 'three');
  const seeds = [1, 2, 3];
  // Two epochs, so that the final epoch is not also the first.
  const run = cli(['train', ...SMALL, '--epochs', '2', '--val', '100', '--seeds', '1-3', '--jobs', '2', '--out', dir]);

  it('writes one run folder per seed, each with its seed, the bits of that seed run alone', () => {
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(readdirSync(dir).sort(), ['seed-1', 'seed-2', 'seed-3', 'summary.csv', 'summary.json', 'summary.svg']);
    for (const s of seeds) {
      const cfg = JSON.parse(readFileSync(path.join(dir, `seed-${s}`, 'config.json'), 'utf8')) as { seed: number; val: number; threads: number };
      assert.deepEqual([cfg.seed, cfg.val, cfg.threads], [s, 100, 1]);
      assert.match(run.stdout, new RegExp(`^seed ${s}: Epoch: 2, .*val acc: `, 'm'));
    }
    // --val changes the training set, so compare the bits on a run without it.
    const plain = path.join(tmp, 'plain');
    const r = cli(['train', ...SMALL, '--seeds', '3,1', '--jobs', '2', '--out', plain]);
    assert.equal(r.code, 0, r.stderr);
    for (const s of [1, 3]) assert.equal(weightsHash(path.join(plain, `seed-${s}`, 'model.safetensors')), MAIN_1_THREAD[s], `seed ${s}`);
  });

  it('summarises the final epochs: mean, min, max, sample std of test and val accuracy', () => {
    const rows = seeds.map((s) => lastRow(path.join(dir, `seed-${s}`)));
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Record<'test' | 'val', Record<string, number>> & { runs: Array<{ seed: number; dir: string; testAcc: number }> };
    for (const [key, col] of [['test', 'test_acc'], ['val', 'val_acc']] as const) {
      const want = spread(rows.map((r) => r[col]!));
      for (const k of ['mean', 'min', 'max', 'std'] as const) near(summary[key][k]!, want[k], `${key} ${k}`);
      assert.equal(summary[key].n, 3);
    }
    assert.deepEqual(summary.runs.map((r) => [r.seed, r.dir]), seeds.map((s) => [s, `seed-${s}`]));
    const want = spread(rows.map((r) => r.test_acc!));
    assert.match(run.stdout, new RegExp(`^mean of 3 +${want.mean.toFixed(2)}% +${spread(rows.map((r) => r.val_acc!)).mean.toFixed(2)}%$`, 'm'));
    assert.match(run.stdout, new RegExp(`^std \\(sample, n-1\\) +${want.std.toFixed(2)}%`, 'm'));
    const csv = readFileSync(path.join(dir, 'summary.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'run,arch,seed,epochs,test_acc,val_acc');
    near(Number(csv.find((l) => l.startsWith('std_sample,'))!.split(',')[4]), want.std, 'summary.csv std');
    const svg = readFileSync(path.join(dir, 'summary.svg'), 'utf8');
    assert.equal([...svg.matchAll(/<polyline /g)].length, 3, 'one curve per seed');
    for (const s of seeds) assert.match(svg, new RegExp(`>seed ${s}: ${rows[s - 1]!.test_acc!.toFixed(2)}%<`));
    assert.match(svg, /log scale/);
  });

  it('compare prints the same table for any run folders, and draws them', () => {
    const all = cli(['compare', dir]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout.trim().split('\n').slice(2).join('\n'), run.stdout.split('\n\n')[1]!.split('\n').slice(2).join('\n').replace(/\n\nwrote[^]*/, '').trim(), 'same rows as train --seeds printed');
    const two = [path.join(dir, 'seed-1'), path.join(dir, 'seed-3')];
    const svg = path.join(tmp, 'two.svg');
    const r = cli(['compare', ...two, '--svg', svg, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { test: Record<string, number> };
    const want = spread(two.map((d) => lastRow(d).test_acc!));
    for (const k of ['mean', 'min', 'max', 'std'] as const) near(s.test[k]!, want[k], `compare ${k}`);
    assert.equal([...readFileSync(svg, 'utf8').matchAll(/<polyline /g)].length, 2);
    const empty = mkdtempSync(path.join(tmp, 'empty-'));
    const bad = cli(['compare', empty]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /^tiny-mnist compare: .*empty-\w+: neither a run folder \(no metrics\.csv\) nor a folder of runs\n$/);
  });

  it('refuses seed folders that hold runs, --resume, and bad lists, in one line, before training', () => {
    const before = readFileSync(path.join(dir, 'seed-2', 'model.safetensors'));
    for (const [args, pattern] of [
      [['--seeds', '2-4', '--out', dir], /seed-2, \S+seed-3: hold runs already; choose another --out, or replace them with --overwrite/],
      [['--seeds', '1-2', '--resume', dir], /--resume of a --seeds folder is not supported/],
      [['--seeds', '3-1', '--out', path.join(tmp, 'x')], /--seeds 3-1: the range 3-1 is empty/],
      [['--seeds', '1,1', '--out', path.join(tmp, 'x')], /seed 1 is given twice/],
      [['--jobs', '2', '--out', path.join(tmp, 'x')], /--jobs goes with --seeds/],
    ] as Array<[string[], RegExp]>) {
      const r = cli(['train', ...SMALL, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
    }
    assert.ok(!existsSync(path.join(dir, 'seed-4')) && !existsSync(path.join(tmp, 'x')));
    assert.deepEqual(readFileSync(path.join(dir, 'seed-2', 'model.safetensors')), before);
  });
});

describe('train --val', () => {
  it('resumes with the same split: val columns go on, the training part keeps its size', () => {
    const out = path.join(tmp, 'val-resume');
    assert.equal(cli(['train', ...SMALL, '--val', '100', '--out', out]).code, 0);
    const r = cli(['train', '--resume', out, '--epochs', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /412 train \/ 100 validation \/ 200 test images/);
    const cfg = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as { val: number; data: { train: number; val: number } };
    assert.deepEqual([cfg.val, cfg.data.train, cfg.data.val], [100, 412, 100]);
    const rows = readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    assert.equal(rows[0], 'epoch,train_loss,train_acc,test_loss,test_acc,lr,seconds,val_loss,val_acc');
    assert.deepEqual(rows.slice(1).map((l) => l.split(',').length), [9, 9]);
    // 100 images: every accuracy is a whole percentage.
    for (const l of rows.slice(1)) assert.ok(Number.isInteger(Number(l.split(',')[8])), l);
  });
});

describe('train without --val', () => {
  it('keeps the weights main gave and the metrics.csv columns of the committed records', () => {
    const out = path.join(tmp, 'one');
    const r = cli(['train', ...SMALL, '--threads', '2', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(weightsHash(path.join(out, 'model.safetensors')), MAIN_2_THREADS_SEED_1);
    assert.equal(readFileSync(path.join(out, 'metrics.csv'), 'utf8').split('\n')[0], 'epoch,train_loss,train_acc,test_loss,test_acc,lr,seconds');
    assert.ok(!('val' in JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'))));
  });
});
