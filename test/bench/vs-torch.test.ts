// bench --vs-torch's ratios are paired by round. In the series below the machine is twice as fast
// in rounds 2 and 4 for both sides (a quiet minute), and ours is 1.5× PyTorch in every round; the
// ratio of the two medians would say 2.0× (60 / 30), pairing says 1.5×. Hand-computed, not from
// the code under test.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pairedRatios, spreadWarning } from '../../src/bench/vs-torch.js';

describe('bench --vs-torch ratios', () => {
  it('divide each round by its own partner, then take the median', () => {
    const ours = [30, 60, 30, 60, 60];
    const torch = [20, 40, 20, 40, 30]; // round 5: PyTorch had a slow moment (2.0×)
    const r = pairedRatios(ours, torch);
    assert.deepEqual(r.rounds, [1.5, 1.5, 1.5, 1.5, 2]);
    assert.equal(r.median, 1.5);
  });

  it('takes the middle two for an even count, and refuses unequal series', () => {
    assert.equal(pairedRatios([10, 20, 30, 40], [10, 10, 10, 10]).median, 2.5);
    assert.throws(() => pairedRatios([1, 2], [1]), /2 and 1 rounds/);
    assert.throws(() => pairedRatios([], []), /0 and 0 rounds/);
  });

  it('warn when the rounds disagree by more than a quarter', () => {
    // This session's 1-thread seed16k rounds: 1.59 / 1.09 = 1.46.
    assert.match(spreadWarning([1.09, 1.31, 1.52, 1.59, 1.52])!, /disagree by 46%/);
    assert.equal(spreadWarning([1.72, 1.75, 1.74, 1.57, 1.68]), null); // 1.11
    assert.equal(spreadWarning([1.5]), null);
  });
});
