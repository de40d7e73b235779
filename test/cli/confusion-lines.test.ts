// eval's two summary lines of a confusion matrix, on a hand-made 3-class matrix whose answers are
// worked out here: per-class accuracy (an empty class shown as '-'), mistakes largest first, ties by
// true then predicted class, the diagonal never listed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confusionLines } from '../../src/cli/eval.js';

describe('eval confusion lines', () => {
  it('per-class accuracy and the largest mistakes', () => {
    const c = [
      [8, 2, 0], // class 0: 8 of 10 right; 2 taken for 1
      [0, 0, 0], // class 1: no images
      [1, 2, 17], // class 2: 17 of 20; 2 taken for 1, 1 for 0
    ];
    assert.deepEqual(confusionLines(c), [
      'per digit: 0 80.0%, 1 -, 2 85.0%',
      'most frequent mistakes (true as predicted: images): 0 as 1: 2, 2 as 1: 2, 2 as 0: 1',
    ]);
    assert.equal(confusionLines(c, 1)[1], 'most frequent mistakes (true as predicted: images): 0 as 1: 2');
    assert.equal(confusionLines([[5, 0], [0, 5]])[1], 'most frequent mistakes (true as predicted: images): none');
  });
});
