// A BatchNorm (+ ReLU) applied inside the kernel of the layer that reads its output, so that output
// is never stored: the reference net's BatchNorms feed either a 3×3 conv (bn1 → conv2, bn3 → conv4;
// other nets' im2col convs, e.g. stride 2 or 5×5, take it the same way) or dropout + max-pool (bn2, bn4; max-pool alone when dropout is off, as in evaluation).
// Same bits as the unfused ops (test/ops/fusion.test.ts): the kernels apply the BatchNorm with
// bn_apply's own vector operations (max(x·scale + shift, 0)).
// Forward saves a write and a read of the activation; backward computes the gradient wrt the
// BatchNorm output into scratch, then runs the BatchNorm's backward as batchNorm2d would.
import { engine } from '../engine/wasm.js';
import { conv2dBackward, conv2dForward, convAlgoFor, convOutSize, type ConvShape, type InputBN, type UnpaddedConv } from '../kernels/conv.js';
import { runSplit } from '../kernels/split.js';
import { gradInto, needsGrad, record, reserveGrads } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';
import { convShapeOf } from './conv.js';
import { batchNormBackward, batchNormState, type BatchNormOptions, type BatchNormState } from './norm.js';
import { poolOutputs } from './pool.js';

/** A BatchNorm2d's tensors and options, as batchNorm2d takes them (relu must be on). */
export interface BatchNormArgs {
  gamma: Tensor;
  beta: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  options: BatchNormOptions;
}

/**
 * Whether the BatchNorm can run inside this conv: a fused ReLU, a conv computed by Winograd F(4×4)
 * or im2col (the kernels that apply it: F(4×4) in its input tiles, im2col in its zero-bordered
 * copy; not the 1×1 GEMMs, which read x in place), and not an evaluation-mode backward
 * (batchNorm2d keeps that case).
 */
export function bnConvFuses(bn: BatchNormArgs, s: ConvShape, unpadded: UnpaddedConv = 'winograd'): boolean {
  const a = convAlgoFor(s, unpadded);
  return bn.options.relu && (bn.options.training || !needsGrad(bn.gamma, bn.beta)) && (a === 'winograd4' || a === 'im2col');
}

/**
 * Where a fused backward puts ∂/∂(BatchNorm output), which batchNormBackward turns into x's
 * gradient: x's own gradient buffer when this is its first write (bn_bwd reads and writes each
 * element in place), else arena scratch (x needs no gradient, or adds to one it has).
 */
function scratchOrGrad(x: Tensor): number {
  return x.requiresGrad && !x.hasGrad && x.gradPtr !== 0 ? x.gradPtr : engine().arena.alloc(x.size);
}

/** conv2d(batchNorm2d(x, relu), w, b, pad, stride, unpadded) without storing the BatchNorm's output. */
export function bnReluConv2d(x: Tensor, bn: BatchNormArgs, w: Tensor, b: Tensor | null, pad: number, stride = 1, unpadded: UnpaddedConv = 'winograd'): Tensor {
  const s = convShapeOf(x, w, b, pad, stride);
  if (!bnConvFuses(bn, s, unpadded)) throw new Error('bnReluConv2d: this BatchNorm and conv do not fuse (see bnConvFuses)');
  const a = convAlgoFor(s, unpadded);
  const st = batchNormState(x, bn.gamma, bn.beta, bn.runningMean, bn.runningVar, bn.options);
  const e = engine();
  const [OH, OW] = convOutSize(s);
  const y = Tensor.empty([s.N, s.O, OH, OW]);
  const ibn: InputBN = { scale: st.scale.ptr, shift: st.shift.ptr };
  conv2dForward(e, x.ptr, w.ptr, b ? b.ptr : 0, y.ptr, s, a, ibn);
  const inputs = [x, bn.gamma, bn.beta, w, ...(b ? [b] : [])];
  if (needsGrad(...inputs)) {
    record(y, inputs, () => {
      // ∂/∂(BatchNorm output), the weight and bias gradients, in one sweep; then the BatchNorm's
      // backward. da goes where x's gradient will be when that is its first write (bn_bwd then
      // works in place), else to scratch; the scratch is released at the end, the gradients
      // having their buffers below it (reserveGrads). A training step's arena peak is smaller by
      // these activations (fast at batch 256: 75 → 57 MB).
      reserveGrads(...inputs);
      const mark = e.arena.mark();
      const da = scratchOrGrad(x), dw = e.arena.alloc(w.size), db = b ? e.arena.alloc(s.O) : 0;
      conv2dBackward(e, y.gradPtr, x.ptr, w.ptr, da, dw, db, s, a, ibn);
      gradInto(w, (p) => e.f32().copyWithin(p >> 2, dw >> 2, (dw >> 2) + w.size));
      if (b) gradInto(b, (p) => e.f32().copyWithin(p >> 2, db >> 2, (db >> 2) + s.O));
      batchNormBackward(x, da, st, bn.gamma, bn.beta, true);
      e.arena.release(mark);
    });
  }
  return y;
}

/**
 * maxPool2d(dropout(batchNorm2d(x, relu), p)) in training (p > 0) without storing the BatchNorm's
 * output; draws the dropout seed exactly as dropoutMaxPool2d does.
 */
export function bnReluDropoutMaxPool2d(x: Tensor, bn: BatchNormArgs, p: number, rng: Rng): Tensor {
  if (!(p > 0 && p < 1)) throw new Error(`bnReluDropoutMaxPool2d: p must be in (0, 1), got ${p}`);
  if (!bn.options.relu || !bn.options.training) throw new Error('bnReluDropoutMaxPool2d: needs a training-mode BatchNorm with ReLU');
  return bnReluPool(x, bn, { p, seed: rng.nextU32() });
}

/** Whether the BatchNorm can run inside a max-pool: a fused ReLU, and not an evaluation-mode backward. */
export function bnPoolFuses(bn: BatchNormArgs): boolean {
  return bn.options.relu && (bn.options.training || !needsGrad(bn.gamma, bn.beta));
}

/** maxPool2d(batchNorm2d(x, relu)) without storing the BatchNorm's output (evaluation, dropout off). */
export function bnReluMaxPool2d(x: Tensor, bn: BatchNormArgs): Tensor {
  if (!bnPoolFuses(bn)) throw new Error('bnReluMaxPool2d: this BatchNorm does not fuse (see bnPoolFuses)');
  return bnReluPool(x, bn, null);
}

/**
 * The two ops above: the BatchNorm's state, then the pooling kernel with it (and with the dropout
 * masks of (p, seed) when drop is given); backward pools the gradient into scratch, then runs the
 * BatchNorm's backward.
 */
function bnReluPool(x: Tensor, bn: BatchNormArgs, drop: { p: number; seed: number } | null): Tensor {
  const st: BatchNormState = batchNormState(x, bn.gamma, bn.beta, bn.runningMean, bn.runningVar, bn.options);
  const e = engine();
  const grad = needsGrad(x, bn.gamma, bn.beta);
  // The dropout kernel always stores the taps (it runs in training only).
  const { y, arg, P, H, W } = poolOutputs(x, drop !== null || grad);
  const C = x.shape[1]!;
  if (drop) {
    runSplit(e, 'dropout_maxpool2_fwd', P, x.size, (p0, p1) => [x.ptr, y.ptr, arg, p0, p1, H, W, drop.seed, drop.p, st.scale.ptr, st.shift.ptr, C]);
  } else {
    runSplit(e, 'maxpool2_fwd', P, x.size, (p0, p1) => [x.ptr, y.ptr, arg, p0, p1, H, W, st.scale.ptr, st.shift.ptr, C]);
  }
  if (grad) {
    record(y, [x, bn.gamma, bn.beta], () => {
      // da and the scratch as in bnReluConv2d.
      reserveGrads(x, bn.gamma, bn.beta);
      const mark = e.arena.mark();
      const da = scratchOrGrad(x);
      if (drop) runSplit(e, 'dropout_maxpool2_bwd', P, x.size, (p0, p1) => [y.gradPtr, arg, da, p0, p1, H, W, drop.seed, drop.p]);
      else runSplit(e, 'maxpool2_bwd', P, x.size, (p0, p1) => [y.gradPtr, arg, da, p0, p1, H, W]);
      batchNormBackward(x, da, st, bn.gamma, bn.beta, true);
      e.arena.release(mark);
    });
  }
  return y;
}
