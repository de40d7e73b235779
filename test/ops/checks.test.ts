// Every op checks its inputs at the door: a named error with the offending value, for each check,
// and the edge that must still pass beside each refusal (a 1-wide conv output, p = 0, ε = 0,
// two values per channel, a 2×2 image).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { dropout, relu } from '../../src/ops/activation.js';
import { conv2d } from '../../src/ops/conv.js';
import { linear } from '../../src/ops/linear.js';
import { logSoftmax, nllLoss } from '../../src/ops/loss.js';
import { batchNorm2d } from '../../src/ops/norm.js';
import { avgPool2d, dropoutMaxPool2d, flatten, globalAvgPool, maxPool2d } from '../../src/ops/pool.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';

const z = (...shape: number[]) => Tensor.zeros(shape);
const bn = (x: Tensor, C: number, training = true, stat = C) =>
  batchNorm2d(x, z(C), z(C), z(stat), Tensor.from(new Array(stat).fill(1), [stat]), { training, momentum: 0.1, eps: 1e-5, relu: false });

const REFUSED: Array<[string, () => unknown, RegExp]> = [
  ['conv2d rank', () => conv2d(z(1, 4, 4), z(1, 1, 3, 3), null, 0), /conv2d: input must be rank 4, got rank 3 \[1,4,4\]/],
  ['conv2d weight rank', () => conv2d(z(1, 1, 4, 4), z(1, 3, 3), null, 0), /conv2d: weight must be rank 4/],
  ['conv2d channels', () => conv2d(z(1, 2, 4, 4), z(1, 3, 3, 3), null, 0), /conv2d: weight expects 3 input channels, input has 2/],
  ['conv2d bias', () => conv2d(z(1, 1, 4, 4), z(2, 1, 3, 3), z(3), 0), /conv2d: bias must have shape \[2\], got \[3\]/],
  ['conv2d padding', () => conv2d(z(1, 1, 4, 4), z(1, 1, 3, 3), null, 0.5), /conv2d: padding must be a non-negative integer, got 0.5/],
  ['conv2d negative padding', () => conv2d(z(1, 1, 4, 4), z(1, 1, 3, 3), null, -1), /padding must be a non-negative integer, got -1/],
  ['conv2d too narrow', () => conv2d(z(1, 1, 5, 2), z(1, 1, 3, 3), null, 0), /conv2d: kernel 3x3 larger than padded input 5x2 \(pad 0\)/],
  ['conv2d too short', () => conv2d(z(1, 1, 2, 5), z(1, 1, 3, 3), null, 0), /kernel 3x3 larger than padded input 2x5/],
  ['linear rank', () => linear(z(2, 3, 1), z(4, 3), null), /linear: input must be rank 2/],
  ['linear features', () => linear(z(2, 3), z(4, 5), null), /linear: weight expects 5 input features, input has 3/],
  ['linear bias', () => linear(z(2, 3), z(4, 3), z(3)), /linear: bias must have shape \[4\], got \[3\]/],
  ['logSoftmax rank', () => logSoftmax(z(2)), /logSoftmax: input must be rank 2/],
  ['nllLoss targets', () => nllLoss(z(2, 3), [0]), /nllLoss: 1 targets for a batch of 2/],
  ['nllLoss smoothing 1', () => nllLoss(z(1, 3), [0], 1), /label smoothing must be in \[0, 1\), got 1/],
  ['nllLoss smoothing < 0', () => nllLoss(z(1, 3), [0], -0.1), /got -0.1/],
  ['nllLoss class K', () => nllLoss(z(1, 3), [3]), /nllLoss: target 3 at 0 is not a class in \[0, 3\)/],
  ['nllLoss class -1', () => nllLoss(z(1, 3), [-1]), /target -1 at 0/],
  ['nllLoss class 1.5', () => nllLoss(z(2, 3), [0, 1.5]), /target 1.5 at 1/],
  ['dropout p 1', () => dropout(z(4), 1, true, new Rng(1)), /dropout: p must be in \[0, 1\), got 1/],
  ['dropout p < 0', () => dropout(z(4), -0.1, true, new Rng(1)), /got -0.1/],
  ['dropout + pool p 1', () => dropoutMaxPool2d(z(1, 1, 2, 2), 1, true, new Rng(1)), /dropout: p must be in \[0, 1\), got 1/],
  ['maxPool2d rank', () => maxPool2d(z(1, 2, 2)), /maxPool2d: input must be rank 4/],
  ['maxPool2d too narrow', () => maxPool2d(z(1, 1, 4, 1)), /maxPool2d: input 4x1 is smaller than the 2x2 window/],
  ['maxPool2d too short', () => maxPool2d(z(1, 1, 1, 4)), /input 1x4 is smaller/],
  ['globalAvgPool rank', () => globalAvgPool(z(1, 2, 2)), /globalAvgPool: input must be rank 4/],
  ['batchNorm2d rank', () => bn(z(2, 3), 3), /batchNorm2d: input must be rank 4/],
  ['batchNorm2d stats', () => bn(z(2, 3, 1, 1), 3, true, 2), /batchNorm2d: .* must have shape \[3\], got \[2\]/],
  ['batchNorm2d one value', () => bn(z(1, 3, 1, 1), 3), /batchNorm2d: training needs more than 1 value per channel, got input \[1,3,1,1\]/],
];

const ACCEPTED: Array<[string, () => Tensor]> = [
  ['conv2d output 1x1', () => conv2d(z(1, 1, 3, 3), z(1, 1, 3, 3), z(1), 0)],
  ['conv2d padding 0 on 1x1 kernel', () => conv2d(z(1, 1, 1, 1), z(2, 1, 1, 1), null, 0)],
  ['linear with bias', () => linear(z(2, 3), z(4, 3), z(4))],
  ['nllLoss class K-1, smoothing 0', () => nllLoss(logSoftmax(z(1, 3)), [2], 0)],
  ['dropout p 0 (identity)', () => dropout(z(4), 0, true, new Rng(1))],
  ['dropout + pool p 0', () => dropoutMaxPool2d(z(1, 1, 2, 2), 0, true, new Rng(1))],
  ['maxPool2d 2x2', () => maxPool2d(z(1, 1, 2, 2))],
  ['batchNorm2d two values per channel', () => bn(z(2, 3, 1, 1), 3)],
  ['batchNorm2d eval, one value', () => bn(z(1, 3, 1, 1), 3, false)],
];

describe('op input checks', () => {
  after(closeEngine);
  for (const [name, call, pattern] of REFUSED) {
    it(`refuses: ${name}`, () => {
      initEngine({ threads: 1 });
      assert.throws(call, pattern);
    });
  }
  for (const [name, call] of ACCEPTED) {
    it(`accepts: ${name}`, () => {
      initEngine({ threads: 1 });
      assert.ok(call().size > 0);
    });
  }
  // PyTorch takes an empty batch: conv2d of (0, C, H, W) is (0, O, OH, OW), and its backward leaves
  // a zero weight gradient. Every conv algorithm (im2col for one channel, Winograd F(4×4), F(2×2)).
  for (const [C, H] of [[1, 28], [8, 14], [8, 6]] as const) {
    it(`accepts: conv2d of an empty batch (C=${C}, ${H}×${H}), 2 threads`, () => {
      initEngine({ threads: 2 });
      const x = Tensor.from([], [0, C, H, H], true), w = Tensor.from(new Array(8 * C * 9).fill(0.1), [8, C, 3, 3], true);
      const y = conv2d(x, w, Tensor.zeros([8], true), 1);
      assert.deepEqual(y.shape, [0, 8, H, H]);
      y.backward([]);
      assert.deepEqual(Array.from(w.grad()!), new Array(w.size).fill(0));
    });
  }
});

// As in PyTorch, an op records a graph only when one of its inputs requires a gradient and
// recording is on: otherwise its output requires none (and holds no node to keep memory alive).
describe('outputs require a gradient only when an input does', () => {
  after(closeEngine);
  const r = (grad: boolean, ...shape: number[]) => Tensor.from(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i) + 0.5), shape, grad);
  const OPS: Array<[string, (g: boolean) => Tensor]> = [
    ['relu', (g) => relu(r(g, 2, 3))],
    ['dropout', (g) => dropout(r(g, 2, 3), 0.5, true, new Rng(1))],
    ['conv2d', (g) => conv2d(r(g, 1, 2, 5, 5), r(g, 3, 2, 3, 3), r(g, 3), 1)],
    ['linear', (g) => linear(r(g, 2, 3), r(g, 4, 3), r(g, 4))],
    ['logSoftmax', (g) => logSoftmax(r(g, 2, 3))],
    ['nllLoss', (g) => nllLoss(logSoftmax(r(g, 2, 3)), [0, 2], 0.1)],
    ['batchNorm2d', (g) => batchNorm2d(r(g, 2, 3, 2, 2), r(g, 3), r(g, 3), z(3), r(false, 3), { training: true, momentum: 0.1, eps: 1e-5, relu: true })],
    ['maxPool2d', (g) => maxPool2d(r(g, 1, 2, 4, 4))],
    ['maxPool2d 3×3 stride 1', (g) => maxPool2d(r(g, 1, 2, 5, 5), 3, 1)],
    ['avgPool2d', (g) => avgPool2d(r(g, 1, 2, 4, 4), 2)],
    ['dropoutMaxPool2d', (g) => dropoutMaxPool2d(r(g, 1, 2, 4, 4), 0.5, true, new Rng(1))],
    ['globalAvgPool', (g) => globalAvgPool(r(g, 1, 2, 4, 4))],
    ['flatten', (g) => flatten(r(g, 1, 2, 2, 2))],
  ];
  for (const [name, op] of OPS) {
    it(name, () => {
      initEngine({ threads: 1 });
      assert.equal(op(false).requiresGrad, false, 'inputs without gradients');
      assert.equal(noGrad(() => op(true)).requiresGrad, false, 'under noGrad');
      assert.equal(op(true).requiresGrad, true, 'inputs with gradients');
    });
  }
});

// Frozen weights (an input's saliency, a frozen feature extractor): conv2d's backward then computes
// only dx, by another kernel call (backward-data alone); it must agree with the dx computed with the
// weights' gradients (im2col, Winograd F(4×4) and F(2×2) shapes).
describe('conv2d with frozen weights', () => {
  after(closeEngine);
  for (const [C, H] of [[1, 9], [8, 14], [8, 6]] as const) {
    it(`dx matches the trainable-weights path (C=${C}, ${H}×${H})`, () => {
      initEngine({ threads: 2 });
      const val = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(i * k));
      const dx = (train: boolean) => {
        const x = Tensor.from(val(2 * C * H * H, 0.37), [2, C, H, H], true);
        const y = conv2d(x, Tensor.from(val(8 * C * 9, 0.11), [8, C, 3, 3], train), Tensor.from(val(8, 0.5), [8], train), 1);
        y.backward(val(y.size, 0.23));
        return Array.from(x.grad()!);
      };
      const frozen = dx(false), trained = dx(true);
      assert.ok(frozen.some((v) => v !== 0));
      frozen.forEach((v, i) => assert.ok(Math.abs(v - trained[i]!) <= 1e-5 * (1 + Math.abs(trained[i]!)), `dx[${i}] ${v} vs ${trained[i]}`));
    });
  }
});

// p = 0 in training is the identity and, as in PyTorch (ATen returns the input before drawing),
// draws nothing from the generator: the next layer's masks do not shift.
describe('dropout with p = 0 draws nothing', () => {
  after(closeEngine);
  for (const [name, op] of [
    ['dropout', (rng: Rng) => dropout(Tensor.from([1, 2, 3, 4], [4]), 0, true, rng)],
    ['dropoutMaxPool2d', (rng: Rng) => dropoutMaxPool2d(Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]), 0, true, rng)],
  ] as const) {
    it(name, () => {
      initEngine({ threads: 1 });
      const rng = new Rng(9);
      op(rng);
      assert.equal(rng.nextU32(), new Rng(9).nextU32());
    });
  }
});

// BatchNorm on an input that needs no gradient (the first layer, on images): the kernel that gives
// dx also gives dγ and dβ, so they must equal those computed when x does need its gradient.
describe('batchNorm2d on an input without gradient', () => {
  after(closeEngine);
  it('dγ and dβ equal those with dx wanted', () => {
    initEngine({ threads: 1 });
    const grads = (xGrad: boolean) => {
      const x = Tensor.from(Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.sin(i)), [2, 3, 2, 2], xGrad);
      const g = Tensor.from([1, 0.5, 2], [3], true), b = Tensor.from([0, 0.1, -0.2], [3], true);
      const y = batchNorm2d(x, g, b, z(3), Tensor.from([1, 1, 1], [3]), { training: true, momentum: 0.1, eps: 1e-5, relu: false });
      y.backward(Array.from({ length: 24 }, (_, i) => Math.cos(i)));
      return [Array.from(g.grad()!), Array.from(b.grad()!)];
    };
    assert.deepEqual(grads(false), grads(true));
  });
});
