// The one range check behind train's flags and the recipe block, at and either side of each bound.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rangeProblem } from '../../src/util/range.js';
import { recipeValueProblem, RECIPE_OPTIONS } from '../../src/train/recipe-options.js';

describe('range checks', () => {
  it('take the bounds themselves, refuse what is past them, and an exclusive minimum only above it', () => {
    const r = { type: 'number' as const, min: 0, max: 180 };
    assert.deepEqual([-0.001, 0, 180, 180.001].map((v) => rangeProblem(r, v)), ['must be ≥ 0', null, null, 'must be ≤ 180']);
    const lr = { type: 'number' as const, min: 0, minExclusive: true };
    assert.deepEqual([0, 1e-9].map((v) => rangeProblem(lr, v)), ['must be > 0', null]);
    assert.deepEqual([2.5, 3].map((v) => rangeProblem({ type: 'int', min: 1 }, v)), ['must be a whole number', null]);
  });

  it('say the same in a recipe block', () => {
    const rotate = RECIPE_OPTIONS.find((o) => o.flag === 'rotate')!;
    assert.deepEqual([recipeValueProblem(rotate, 180), recipeValueProblem(rotate, 181)], [null, 'must be ≤ 180, got 181']);
  });
});
