// The autograd tape's contract, each part against a value computed here by hand: y = x·wᵀ gives
// dx = gy·w and dw = gyᵀ·x; gradients accumulate over backward calls until zeroGrad, and across
// uses of a tensor; noGrad records nothing and restores the previous mode even on a throw; bad
// roots are refused with the reason; the graph is dropped after backward.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { relu } from '../../src/ops/activation.js';
import { linear } from '../../src/ops/linear.js';
import { backward, isGradEnabled, needsGrad, noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';

// x (1,2) = [1, 2], w (1,2) = [3, -4]: y = 1·3 + 2·(−4) = −5; with gy = 1: dx = w, dw = x.
const X = [1, 2], Wt = [3, -4];

describe('autograd', () => {
  after(closeEngine);
  it('gradients accumulate over backward calls until zeroGrad (hasGrad = false), then overwrite', () => {
    initEngine({ threads: 1 });
    const x = Tensor.from(X, [1, 2], true), w = Tensor.from(Wt, [1, 2], true);
    linear(x, w, null).backward([1]);
    assert.deepEqual(Array.from(x.grad()!), Wt);
    linear(x, w, null).backward([2]);
    assert.deepEqual(Array.from(x.grad()!), [9, -12], 'w + 2w');
    assert.deepEqual(Array.from(w.grad()!), [3, 6], 'x + 2x');
    x.hasGrad = false;
    w.hasGrad = false;
    linear(x, w, null).backward([1]);
    assert.deepEqual(Array.from(x.grad()!), Wt, 'overwritten after zeroGrad');
  });
  it('a tensor used three times gets the sum of the three gradients', () => {
    initEngine({ threads: 1 });
    const x = Tensor.from([3], [1, 1], true);
    const h = relu(x); // 3
    const z = linear(linear(h, h, null), h, null); // h·h·h = 27: h as input, weight, weight
    assert.equal(z.item(), 27);
    z.backward();
    assert.deepEqual(Array.from(x.grad()!), [27], 'd h³/dh = 3h² = 27');
  });
  it('leaves that do not require grad get none; the graph is dropped after backward', () => {
    initEngine({ threads: 1 });
    const x = Tensor.from(X, [1, 2]), w = Tensor.from(Wt, [1, 2], true);
    const y = linear(x, w, null);
    assert.ok(y.node !== null && y.requiresGrad);
    backward(y, [1]);
    assert.equal(x.grad(), null);
    assert.equal(y.node, null);
  });
  it('noGrad records nothing and restores the previous mode, even after a throw', () => {
    initEngine({ threads: 1 });
    const w = Tensor.from(Wt, [1, 2], true);
    assert.equal(isGradEnabled(), true);
    const y = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      assert.equal(needsGrad(w), false);
      noGrad(() => undefined);
      assert.equal(isGradEnabled(), false, 'nested noGrad restores "off"');
      return linear(Tensor.from(X, [1, 2]), w, null);
    });
    assert.equal(y.requiresGrad, false);
    assert.equal(y.node, null);
    assert.throws(() => noGrad(() => { throw new Error('boom'); }), /boom/);
    assert.equal(isGradEnabled(), true);
    assert.equal(needsGrad(null, undefined, Tensor.zeros([1])), false);
    assert.equal(needsGrad(null, w), true);
  });
  it('refuses a non-scalar root without a gradient, a gradient of the wrong size, a root without grad', () => {
    initEngine({ threads: 1 });
    const w = Tensor.from(Wt, [1, 2], true);
    const y = linear(Tensor.from([1, 2, 3, 4], [2, 2]), w, null); // (2,1)
    assert.throws(() => y.backward(), /backward: root must be a scalar or given a gradient, got shape \[2,1\]/);
    assert.throws(() => y.backward([1]), /backward: gradient has 1 values for shape \[2,1\]/);
    assert.throws(() => Tensor.from([1], [1]).backward(), /root does not require grad/);
    y.backward([1, 1]);
    assert.deepEqual(Array.from(w.grad()!), [4, 6], 'sum of the two rows of x');
  });
});

describe('Tensor', () => {
  it('from, item, toArray', () => {
    initEngine({ threads: 1 });
    assert.throws(() => Tensor.from([1, 2, 3], [2, 2]), /Tensor\.from: 3 values for shape \[2,2\]/);
    assert.throws(() => Tensor.from([1, 2], [2]).item(), /item: tensor has 2 elements, expected 1/);
    const t = Tensor.from([7], []);
    assert.equal(t.size, 1);
    assert.equal(t.item(), 7);
    const z = Tensor.zeros([2, 3]);
    assert.deepEqual(z.shape, [2, 3]);
    assert.equal(z.size, 6);
    assert.deepEqual(Array.from(z.data()), [0, 0, 0, 0, 0, 0]);
    const copy = z.toArray();
    z.data()[0] = 5;
    assert.equal(copy[0], 0, 'toArray is a copy');
    assert.equal(Tensor.empty([4], true).requiresGrad, true);
    assert.equal(Tensor.zeros([4]).requiresGrad, false);
  });
});
