// `train --seeds` without training (the CLI test cli/seeds.test trains; this one is fast): the seed
// list's syntax, and the child-process pool on tiny `node -e` children: every seed runs, results come
// back in seed order with each failure's last stderr line, lines reach the callbacks tagged with
// their seed, at most `jobs` children run at once, and a stop starts no further seed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSeeds, runChildren } from '../../src/train/seeds.js';

/** A child that prints two lines, and for seed 2 fails with a message on stderr. */
const child = (seed: number) => [process.execPath, '-e',
  `console.log('start ${seed}'); setTimeout(() => { console.log('end ${seed}'); if (${seed} === 2) { console.error('warming up'); console.error('seed 2 broke'); process.exit(3); } }, ${seed === 1 ? 150 : 20});`];

describe('train --seeds', () => {
  it('parses ranges and lists, in the order given', () => {
    assert.deepEqual(parseSeeds('1-3,7'), [1, 2, 3, 7]);
    assert.deepEqual(parseSeeds(' 9 , 4-5'), [9, 4, 5]);
    assert.throws(() => parseSeeds('3-1'), /the range 3-1 is empty/);
    assert.throws(() => parseSeeds('1,2,1'), /seed 1 is given twice/);
    assert.throws(() => parseSeeds('a'), /"a" is not a seed or a range/);
    assert.throws(() => parseSeeds('0-1000'), /more than 1000 seeds/);
    assert.throws(() => parseSeeds('4294967296'), /seeds go up to 4294967295/);
  });

  it('runs every seed, jobs at a time; results in seed order, failures with their last stderr line', async () => {
    const out: string[] = [];
    const err: string[] = [];
    let running = 0, most = 0;
    const results = await runChildren([3, 1, 2], 2, (seed) => { running++; most = Math.max(most, running); return child(seed); },
      (seed, line) => { out.push(`${seed}: ${line}`); if (line.startsWith('end')) running--; }, (seed, line) => err.push(`${seed}: ${line}`));
    assert.deepEqual(results, [{ seed: 3, code: 0, error: '' }, { seed: 1, code: 0, error: '' }, { seed: 2, code: 3, error: 'seed 2 broke' }]);
    assert.deepEqual(out.sort(), ['1: end 1', '1: start 1', '2: end 2', '2: start 2', '3: end 3', '3: start 3']);
    assert.deepEqual(err, ['2: warming up', '2: seed 2 broke']);
    assert.equal(most, 2);
  });

  it('once stopped, starts no further seed and returns the ones started', async () => {
    let started = 0;
    const results = await runChildren([5, 6, 7, 8], 1, (seed) => { started++; return child(seed); }, () => {}, () => {}, () => started >= 2);
    assert.deepEqual(results.map((r) => [r.seed, r.code]), [[5, 0], [6, 0]]);
  });
});
