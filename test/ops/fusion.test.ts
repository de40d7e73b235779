// Fused kernels must equal the unfused ops they replace exactly (same masks, same tie-breaking).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { engine } from '../../src/engine/wasm.js';
import { dropout, relu } from '../../src/ops/activation.js';
import { seed16k } from '../../src/models/seed16k.js';
import { fuse } from '../../src/nn/fuse.js';
import { BatchNorm2d } from '../../src/nn/layers.js';
import { conv2dBackward, convAlgoFor, convOutSize } from '../../src/kernels/conv.js';
import { conv2d } from '../../src/ops/conv.js';
import { bnConvFuses, bnReluConv2d, bnReluDropoutMaxPool2d, bnReluMaxPool2d, type BatchNormArgs } from '../../src/ops/fused.js';
import { nllLoss } from '../../src/ops/loss.js';
import { batchNorm2d } from '../../src/ops/norm.js';
import { dropoutMaxPool2d, maxPool2d } from '../../src/ops/pool.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { arenaBytes } from '../helpers.js';

function input(shape: number[], seed: number): Float32Array {
  const rng = new Rng(seed);
  // ReLU outputs: many exact zeros, so ties between dropped and zero taps are exercised.
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.max(0, rng.normal()));
}

describe('dropout + max-pool fusion', () => {
  after(closeEngine);
  for (const [threads, shape, p] of [[1, [2, 3, 6, 6], 0.3], [2, [4, 16, 28, 28], 0.05], [2, [3, 5, 7, 9], 0.5], [2, [5, 24, 14, 14], 0.05], [1, [2, 3, 10, 15], 0.5]] as const) {
    it(`equals maxPool2d(dropout(x)) for [${shape}], p=${p}, ${threads} thread(s)`, () => {
      initEngine({ threads });
      const x0 = input([...shape], 3);
      const gy = Array.from({ length: (shape[0] * shape[1] * (shape[2] >> 1) * (shape[3] >> 1)) }, (_, i) => Math.sin(i));
      const xa = Tensor.from(x0, shape, true);
      const ya = maxPool2d(dropout(relu(xa), p, true, new Rng(11)));
      ya.backward(gy);
      const xb = Tensor.from(x0, shape, true);
      const yb = dropoutMaxPool2d(relu(xb), p, true, new Rng(11));
      yb.backward(gy);
      assert.deepEqual(yb.toArray(), ya.toArray());
      assert.deepEqual(Array.from(xb.grad()!), Array.from(xa.grad()!));
    });
  }
});

// The BatchNorm fusions (ops/fused.ts) against batchNorm2d followed by the unfused op, and the
// whole reference net through Sequential (which fuses) against its modules called one by one.
describe('BatchNorm + ReLU applied inside the next layer', () => {
  after(closeEngine);
  const bnArgs = (C: number, training: boolean, seed: number): BatchNormArgs => {
    const rng = new Rng(seed);
    const t = (f: () => number, grad: boolean) => Tensor.from(Array.from({ length: C }, f), [C], grad);
    return {
      gamma: t(() => rng.range(0.5, 1.5), true), beta: t(() => rng.range(-0.5, 0.5), true),
      runningMean: t(() => rng.range(-0.2, 0.2), false), runningVar: t(() => rng.range(0.5, 2), false),
      options: { training, momentum: 0.1, eps: 1e-5, relu: true },
    };
  };
  const grads = (ts: Tensor[]) => ts.map((t) => Array.from(t.grad()!));
  const stats = (a: BatchNormArgs) => [Array.from(a.runningMean.data()), Array.from(a.runningVar.data())];

  // [threads, N, C, H, W, O, kernel, pad, stride, the conv's algorithm]
  const CONVS = [[1, 3, 8, 13, 11, 6, 3, 1, 1, 'winograd4'], [2, 4, 16, 14, 14, 32, 3, 1, 1, 'winograd4'], [2, 2, 8, 28, 28, 16, 3, 1, 1, 'winograd4'],
    [1, 3, 8, 13, 11, 6, 3, 1, 2, 'im2col'], [2, 4, 8, 28, 28, 16, 3, 1, 2, 'im2col'], [1, 2, 3, 15, 15, 10, 5, 2, 1, 'im2col'],
    [2, 5, 16, 7, 7, 24, 3, 0, 1, 'im2col'], [1, 3, 1, 9, 7, 4, 3, 1, 1, 'im2col'],
    [2, 5, 10, 12, 12, 12, 3, 0, 1, 'winograd4'], [1, 3, 6, 26, 19, 10, 3, 0, 1, 'winograd4']] as const;
  for (const [threads, N, C, H, W, O, K, pad, stride, algo] of CONVS) {
    it(`conv2d(batchNorm2d(x)) for [${N},${C},${H},${W}] → ${O}, ${K}×${K} pad ${pad} stride ${stride} (${algo}), ${threads} thread(s)`, () => {
      initEngine({ threads });
      const rng = new Rng(5);
      const s = { N, C, H, W, O, KH: K, KW: K, pad, stride };
      const [OH, OW] = convOutSize(s);
      assert.equal(convAlgoFor(s), algo);
      const x0 = Float32Array.from({ length: N * C * H * W }, () => rng.normal() * 2 + 0.3);
      const w0 = Float32Array.from({ length: O * C * K * K }, () => rng.normal() * 0.2);
      const b0 = Float32Array.from({ length: O }, () => rng.normal() * 0.1);
      const gy = Array.from({ length: N * O * OH * OW }, (_, i) => Math.sin(i * 0.7));
      const run = (fused: boolean, training: boolean) => {
        const bn = bnArgs(C, training, 9);
        const x = Tensor.from(x0, [N, C, H, W], true), w = Tensor.from(w0, [O, C, K, K], true), b = Tensor.from(b0, [O], true);
        assert.equal(bnConvFuses(bn, s), true);
        const y = fused ? bnReluConv2d(x, bn, w, b, pad, stride)
          : conv2d(batchNorm2d(x, bn.gamma, bn.beta, bn.runningMean, bn.runningVar, bn.options), w, b, pad, stride);
        if (!training) return { y: y.toArray() };
        y.backward(gy);
        return { y: y.toArray(), grads: grads([x, w, b, bn.gamma, bn.beta]), stats: stats(bn) };
      };
      assert.deepEqual(run(true, true), run(false, true));
      assert.deepEqual(noGrad(() => run(true, false)), noGrad(() => run(false, false)));
    });
  }

  for (const [threads, shape, p] of [[1, [2, 3, 6, 10], 0.3], [2, [4, 16, 28, 28], 0.05], [2, [5, 24, 14, 14], 0.5]] as const) {
    it(`maxPool2d(dropout(batchNorm2d(x))) for [${shape}], p=${p}, ${threads} thread(s)`, () => {
      initEngine({ threads });
      const rng = new Rng(8);
      const x0 = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const gy = Array.from({ length: shape[0] * shape[1] * (shape[2] >> 1) * (shape[3] >> 1) }, (_, i) => Math.cos(i));
      const run = (fused: boolean) => {
        const bn = bnArgs(shape[1], true, 4);
        const x = Tensor.from(x0, [...shape], true);
        const y = fused ? bnReluDropoutMaxPool2d(x, bn, p, new Rng(11))
          : dropoutMaxPool2d(batchNorm2d(x, bn.gamma, bn.beta, bn.runningMean, bn.runningVar, bn.options), p, true, new Rng(11));
        y.backward(gy);
        return { y: y.toArray(), grads: grads([x, bn.gamma, bn.beta]), stats: stats(bn) };
      };
      assert.deepEqual(run(true), run(false));
    });
  }

  for (const [threads, shape] of [[1, [2, 3, 6, 10]], [2, [4, 16, 28, 28]], [2, [5, 24, 14, 14]], [1, [2, 2, 9, 7]]] as const) {
    it(`maxPool2d(batchNorm2d(x)) for [${shape}], ${threads} thread(s)`, () => {
      initEngine({ threads });
      const rng = new Rng(6);
      const x0 = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const gy = Array.from({ length: shape[0] * shape[1] * (shape[2] >> 1) * (shape[3] >> 1) }, (_, i) => Math.sin(i * 1.3));
      const run = (fused: boolean, training: boolean) => {
        const bn = bnArgs(shape[1], training, 2);
        const x = Tensor.from(x0, [...shape], true);
        const y = fused ? bnReluMaxPool2d(x, bn) : maxPool2d(batchNorm2d(x, bn.gamma, bn.beta, bn.runningMean, bn.runningVar, bn.options));
        if (!training) return { y: y.toArray() };
        y.backward(gy);
        return { y: y.toArray(), grads: grads([x, bn.gamma, bn.beta]), stats: stats(bn) };
      };
      assert.deepEqual(run(true, true), run(false, true));
      assert.deepEqual(noGrad(() => run(true, false)), noGrad(() => run(false, false)));
    });
  }

  // A fused backward leaves in the arena only the gradients it was asked for, and on its way needs
  // no buffer as large as x besides x's gradient: ∂/∂ of the BatchNorm's output is written where
  // x's gradient goes, and the rest of its scratch is released. Bounds, each buffer rounded up to
  // the arena's 64 bytes: after the call, the root's gradient (y.backward allocates it) and one
  // per input that needs a gradient; during it, also the small buffers (dW and db, the
  // BatchNorm's two per-channel sums) and the conv kernel's own scratch, measured on its own.
  describe('a fused backward keeps only the gradients', () => {
    const grown = (y: Tensor, gy: number[], needGrad: Tensor[]) => {
      const e = engine();
      const before = e.arena.mark();
      const peak = e.arena.peakDuring(() => y.backward(gy)) - before;
      return { grown: e.arena.mark() - before, peak, bound: [y, ...needGrad].reduce((a, t) => a + arenaBytes(t.size), 0) };
    };
    for (const [N, C, H, O, pad, stride] of [[4, 8, 12, 16, 1, 1], [3, 8, 13, 6, 1, 2]] as const) {
      it(`bnReluConv2d, [${N},${C},${H},${H}] → ${O}, stride ${stride}`, () => {
        initEngine({ threads: 2 });
        const rng = new Rng(7);
        const bn = bnArgs(C, true, 5);
        const x = Tensor.from(Float32Array.from({ length: N * C * H * H }, () => rng.normal()), [N, C, H, H], true);
        const w = Tensor.from(Float32Array.from({ length: O * C * 9 }, () => rng.normal() * 0.2), [O, C, 3, 3], true);
        const b = Tensor.from(Float32Array.from({ length: O }, () => rng.normal()), [O], true);
        const y = bnReluConv2d(x, bn, w, b, pad, stride);
        // The conv kernel's scratch alone: its outputs allocated first, then its peak above them.
        const e = engine(), m0 = e.arena.mark();
        const dy = e.arena.alloc(y.size), dx = e.arena.alloc(x.size), dw = e.arena.alloc(w.size), db = e.arena.alloc(O);
        const top = e.arena.mark();
        const s = { N, C, H, W: H, O, KH: 3, KW: 3, pad, stride };
        const convScratch = e.arena.peakDuring(() => conv2dBackward(e, dy, x.ptr, w.ptr, dx, dw, db, s)) - top;
        e.arena.release(m0);
        const r = grown(y, Array.from({ length: y.size }, (_, i) => Math.sin(i)), [x, w, b, bn.gamma, bn.beta]);
        assert.ok(r.grown <= r.bound, `arena grew by ${r.grown} bytes, the gradients need ${r.bound}`);
        const small = arenaBytes(w.size) + arenaBytes(O) + 2 * arenaBytes(C);
        assert.ok(r.peak <= r.bound + small + convScratch, `arena peaked ${r.peak} bytes above its start, bound ${r.bound + small + convScratch}`);
      });
    }
    it('bnReluDropoutMaxPool2d, [4,16,28,28]', () => {
      initEngine({ threads: 2 });
      const rng = new Rng(8);
      const bn = bnArgs(16, true, 4);
      const x = Tensor.from(Float32Array.from({ length: 4 * 16 * 28 * 28 }, () => rng.normal()), [4, 16, 28, 28], true);
      const y = bnReluDropoutMaxPool2d(x, bn, 0.1, new Rng(11));
      const r = grown(y, Array.from({ length: y.size }, (_, i) => Math.cos(i)), [x, bn.gamma, bn.beta]);
      assert.ok(r.grown <= r.bound, `arena grew by ${r.grown} bytes, the gradients need ${r.bound}`);
      assert.ok(r.peak <= r.bound + 2 * arenaBytes(16), `arena peaked ${r.peak} bytes above its start, bound ${r.bound + 2 * arenaBytes(16)}`);
    });
  });

  // Called directly, the fused ops refuse what they cannot compute (the fusion pass asks first):
  // a BatchNorm without ReLU, and an evaluation-mode BatchNorm whose parameters need gradients.
  it('refuses a BatchNorm that does not fuse', () => {
    initEngine({ threads: 1 });
    const x = Tensor.from(new Array(2 * 8 * 8 * 8).fill(0.5), [2, 8, 8, 8], true);
    const w = Tensor.from(new Array(8 * 8 * 9).fill(0.01), [8, 8, 3, 3], true);
    const noRelu = bnArgs(8, true, 3);
    noRelu.options = { ...noRelu.options, relu: false };
    const evalWithGrad = bnArgs(8, false, 3);
    assert.throws(() => bnReluConv2d(x, noRelu, w, null, 1), /bnReluConv2d: this BatchNorm and conv do not fuse/);
    assert.throws(() => bnReluConv2d(x, evalWithGrad, w, null, 1), /do not fuse/);
    assert.throws(() => bnReluMaxPool2d(x, noRelu), /bnReluMaxPool2d: this BatchNorm does not fuse/);
    assert.throws(() => bnReluMaxPool2d(x, evalWithGrad), /does not fuse/);
  });

  for (const threads of [1, 2]) {
    it(`the reference net: fuse(model) equals its modules one by one, ${threads} thread(s)`, () => {
      initEngine({ threads });
      const rng = new Rng(3);
      const x0 = Float32Array.from({ length: 6 * 784 }, () => rng.uniform());
      const target = [3, 1, 4, 1, 5, 9];
      // mode 'bn': BatchNorms on batch statistics with dropout off, as precise-bn.ts runs the net.
      const run = (fused: boolean, mode: 'train' | 'eval' | 'bn') => {
        const plain = seed16k({ initRng: new Rng(1), dropoutRng: new Rng(2), dropout: 0.1 });
        const model = (fused ? fuse(plain) : plain).train(mode === 'train');
        if (mode === 'bn') for (const [, m] of model.modules()) if (m instanceof BatchNorm2d) m.train(true);
        const x = Tensor.from(x0, [6, 1, 28, 28]);
        let y = x;
        if (fused) y = model.forward(x);
        else for (const [, m] of model.modules()) y = m.forward(y); // the plain layers one by one
        const buffers = model.namedBuffers().map(([, t]) => Array.from(t.data()));
        if (mode !== 'train') return { y: y.toArray(), buffers };
        nllLoss(y, target).backward();
        return { y: y.toArray(), grads: grads(model.parameters()), buffers };
      };
      assert.deepEqual(run(true, 'train'), run(false, 'train'));
      assert.deepEqual(noGrad(() => run(true, 'eval')), noGrad(() => run(false, 'eval')));
      assert.deepEqual(noGrad(() => run(true, 'bn')), noGrad(() => run(false, 'bn')));
    });
  }
});
