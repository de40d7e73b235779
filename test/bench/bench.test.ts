// `bench --arch NAME` times a zoo entry as `train --arch NAME` runs it: with its recipe's numerics.
// tiny's recipe computes unpadded 3×3 convs by im2col (its records were made so); the reference
// recipe takes Winograd F(4×4). Held to convAlgoFor's rule, read off the per-layer table that the
// benchmark itself reports, not to the setting it copies.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { benchTraining } from '../../src/bench/bench.js';
import { closeEngine } from '../../src/engine/node.js';
import { parseArchSpec } from '../../src/models/index.js';

describe('bench takes the architecture\'s own recipe', () => {
  after(() => closeEngine());
  // conv2: an unpadded 3×3 conv, 28×28 → 26×26: Winograd F(4×4) under the engine's default.
  const layers = [
    { type: 'conv2d', out_channels: 8, kernel_size: 3, padding: 1 }, { type: 'relu' },
    { type: 'conv2d', out_channels: 8, kernel_size: 3 }, { type: 'relu' },
    { type: 'conv2d', out_channels: 10, kernel_size: 1 }, { type: 'gap' }, { type: 'flatten' }, { type: 'logsoftmax' },
  ];
  const algoOf = (recipe: Record<string, unknown> | undefined) => {
    const spec = parseArchSpec({ name: 'u', layers, ...(recipe ? { recipe } : {}) }, 'u.json');
    const r = benchTraining({ threads: 1, steps: 1, spec });
    return { algo: r.layers.find((l) => l.layer === 'conv2')!.algo, reported: r.unpaddedConv };
  };

  it('im2col when the recipe asks for it', () => {
    assert.deepEqual(algoOf({ 'unpadded-conv': 'im2col' }), { algo: 'im2col', reported: 'im2col' });
  });
  it('Winograd without a recipe block', () => {
    assert.deepEqual(algoOf(undefined), { algo: 'winograd4', reported: 'winograd' });
  });
});
