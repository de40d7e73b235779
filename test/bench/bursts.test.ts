// bench --vs-torch --bursts: the pairs' ratios and their middle half (hand-computed quartiles), and
// the whole protocol through the real CLI against a stand-in for PyTorch that reports a fixed time
// per step (so each pair's ratio must be that time over ours, not its inverse), which also records
// how it was called (--warmup reaches PyTorch's side).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { summarizeBursts } from '../../src/bench/bursts.js';
import { quantile } from '../../src/bench/vs-torch.js';
import { cli } from '../cli/cli-helpers.js';

describe('bench --vs-torch --bursts', () => {
  it('quartiles interpolate between order statistics (numpy\'s default)', () => {
    assert.equal(quantile([4, 1, 3, 2], 0.25), 1.75);
    assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
    assert.equal(quantile([4, 1, 3, 2], 0.75), 3.25);
    assert.equal(quantile([7], 0.25), 7);
  });

  it('pairs PyTorch\'s ms with ours by burst', () => {
    const r = summarizeBursts([20, 40, 30], [10, 20, 20], 5);
    assert.deepEqual(r, { bursts: 3, steps: 5, ratios: [2, 2, 1.5], median: 2, q1: 1.75, q3: 2, ours_ms_per_step: 20, torch_ms_per_step: 30 });
    assert.throws(() => summarizeBursts([1, 2], [1], 5), /2 and 1 bursts/);
  });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-fake-torch-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs both sides in turns through the CLI', () => {
    // The stand-in answers torch_reference.py's two modes: one JSON run, or --serve's line protocol.
    const fake = path.join(dir, 'python');
    const log = path.join(dir, 'argv.log');
    writeFileSync(fake, `#!${process.execPath}
require('node:fs').appendFileSync(${JSON.stringify(log)}, process.argv.slice(2).join(' ') + '\\n');
const serve = process.argv.includes('--serve');
if (!serve) { console.log(JSON.stringify({ ms_per_step: 400, train_images_per_s: 320, eval_images_per_s: 100, peak_rss_mb: 1 })); process.exit(0); }
console.log(JSON.stringify({ ready: true }));
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => console.log(JSON.stringify({ ms_per_step: l === 'train' ? 400 : NaN })));
`);
    chmodSync(fake, 0o755);
    const r = cli(['bench', '--vs-torch', '--arch', 'tiny', '--threads', '1', '--steps', '2', '--rounds', '1', '--bursts', '4', '--burst-steps', '2', '--warmup', '3', '--json'],
      { env: { TINY_MNIST_PYTHON: fake } });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { ms_per_step: number; bursts: { bursts: number; steps: number; ratios: number[]; median: number; q1: number; q3: number } };
    const b = out.bursts;
    // Both PyTorch runs (the round's and the resident one) warm up as long as ours.
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(calls.length, 2);
    for (const c of calls) assert.match(c, / --warmup 3 /);
    assert.equal((out as unknown as { warmup: number }).warmup, 3);
    assert.equal(b.bursts, 4);
    assert.equal(b.steps, 2);
    assert.equal(b.ratios.length, 4);
    assert.ok(b.q1 <= b.median && b.median <= b.q3);
    // Each ratio is 400 ms over our ms per step, which the rounds measured as out.ms_per_step.
    for (const ratio of b.ratios) {
      const oursMs = 400 / ratio;
      assert.ok(oursMs > out.ms_per_step / 3 && oursMs < out.ms_per_step * 3, `ours ${oursMs.toFixed(1)} ms per step in a burst, ${out.ms_per_step.toFixed(1)} in the rounds`);
    }
  });
});
