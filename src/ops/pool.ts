// maxPool2d and avgPool2d (k×k window, stride s, floor mode, no padding) in wasm: 2×2/2 max-pool
// through the reference net's own vector kernels (also fused with dropout here and with BatchNorm in
// fused.ts), every other size through the general kernels of src/kernels/pool.ts. Global average
// pooling (wasm, float64 sums); flatten, a copy that keeps dimension 0.
import { engine } from '../engine/wasm.js';
import { gapBackward, gapForward } from '../kernels/linear.js';
import { avgPoolBackward, avgPoolForward, maxPoolBackward, maxPoolForward, poolOutSize, type PoolShape } from '../kernels/pool.js';
import { runSplit } from '../kernels/split.js';
import { gradInto, needsGrad, record } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';
import { checkRank } from './check.js';

/**
 * Checks x (N,C,H,W) for a 2×2 pool and makes its outputs: y (N,C,floor(H/2),floor(W/2)) and arg,
 * the winning tap 0..3 per output (as f32), which only a backward pass reads: withArg false (no
 * gradient wanted, as in evaluation) gives arg 0, and maxpool2_fwd then stores none. P = N·C planes.
 */
export function poolOutputs(x: Tensor, withArg = true): { y: Tensor; arg: number; P: number; H: number; W: number } {
  checkRank('maxPool2d', 'input', x, 4);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  if (H < 2 || W < 2) throw new Error(`maxPool2d: input ${H}x${W} is smaller than the 2x2 window`);
  const y = Tensor.empty([N, C, H >> 1, W >> 1]);
  return { y, arg: withArg ? engine().arena.alloc(y.size) : 0, P: N * C, H, W };
}

/** Checks x (N,C,H,W), the window and the stride; the pooling's sizes over P = N·C planes. */
function poolShapeOf(op: string, x: Tensor, kernel: number, stride: number): PoolShape {
  checkRank(op, 'input', x, 4);
  if (!Number.isInteger(kernel) || kernel < 1) throw new Error(`${op}: kernel size must be a positive integer, got ${kernel}`);
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`${op}: stride must be a positive integer, got ${stride}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  if (H < kernel || W < kernel) throw new Error(`${op}: input ${H}x${W} is smaller than the ${kernel}x${kernel} window`);
  return { P: N * C, H, W, K: kernel, S: stride };
}

/**
 * x: (N,C,H,W) → (N,C,OH,OW), OH = floor((H − kernel) / stride) + 1 (OW likewise): the maximum of
 * each window, PyTorch's F.max_pool2d(x, kernel, stride) (first maximum wins, NaN propagates).
 */
export function maxPool2d(x: Tensor, kernel = 2, stride = kernel): Tensor {
  if (kernel === 2 && stride === 2) return maxPool2x2(x);
  const s = poolShapeOf('maxPool2d', x, kernel, stride);
  const [OH, OW] = poolOutSize(s);
  const e = engine();
  const y = Tensor.empty([x.shape[0]!, x.shape[1]!, OH, OW]);
  const arg = e.arena.alloc(y.size); // winners' in-plane indices (i32), for backward
  maxPoolForward(e, x.ptr, y.ptr, arg, s);
  if (needsGrad(x)) record(y, [x], () => gradInto(x, (dx) => maxPoolBackward(e, y.gradPtr, arg, dx, s)));
  return y;
}

/**
 * x: (N,C,H,W) → (N,C,OH,OW) as maxPool2d: the mean of each window, PyTorch's
 * F.avg_pool2d(x, kernel, stride) (no padding, so every window counts kernel² elements).
 */
export function avgPool2d(x: Tensor, kernel: number, stride = kernel): Tensor {
  const s = poolShapeOf('avgPool2d', x, kernel, stride);
  const [OH, OW] = poolOutSize(s);
  const e = engine();
  const y = Tensor.empty([x.shape[0]!, x.shape[1]!, OH, OW]);
  avgPoolForward(e, x.ptr, y.ptr, s);
  if (needsGrad(x)) record(y, [x], () => gradInto(x, (dx) => avgPoolBackward(e, y.gradPtr, dx, s)));
  return y;
}

/** The reference net's max-pool: 2×2, stride 2, x: (N,C,H,W) → (N,C,floor(H/2),floor(W/2)). */
function maxPool2x2(x: Tensor): Tensor {
  const e = engine();
  const grad = needsGrad(x);
  const { y, arg, P, H, W } = poolOutputs(x, grad);
  runSplit(e, 'maxpool2_fwd', P, x.size, (p0, p1) => [x.ptr, y.ptr, arg, p0, p1, H, W, 0, 0, 1]);
  if (grad) {
    record(y, [x], () => gradInto(x, (dx) => runSplit(e, 'maxpool2_bwd', P, x.size, (p0, p1) => [y.gradPtr, arg, dx, p0, p1, H, W])));
  }
  return y;
}

/**
 * maxPool2d(dropout(x, p)) in one pass, with exactly the masks dropout() would draw from the same
 * generator state: the reference net's dropout is always followed by a max-pool.
 */
export function dropoutMaxPool2d(x: Tensor, p: number, training: boolean, rng: Rng): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return maxPool2d(x);
  const e = engine();
  const { y, arg, P, H, W } = poolOutputs(x);
  const seed = rng.nextU32();
  runSplit(e, 'dropout_maxpool2_fwd', P, x.size, (p0, p1) => [x.ptr, y.ptr, arg, p0, p1, H, W, seed, p, 0, 0, 1]);
  if (needsGrad(x)) {
    record(y, [x], () => gradInto(x, (dx) => runSplit(e, 'dropout_maxpool2_bwd', P, x.size, (p0, p1) => [y.gradPtr, arg, dx, p0, p1, H, W, seed, p])));
  }
  return y;
}

/**
 * x: (N,C,H,W) → (N,C,1,1): the mean over each plane (like adaptive_avg_pool2d(x, 1)), a float64
 * sum in order (src/kernels/linear.ts; the same bits as gapRefFwd).
 */
export function globalAvgPool(x: Tensor): Tensor {
  checkRank('globalAvgPool', 'input', x, 4);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const P = N * C, HW = H * W;
  const e = engine();
  const y = Tensor.empty([N, C, 1, 1]);
  gapForward(e, x.ptr, y.ptr, P, HW);
  if (needsGrad(x)) record(y, [x], () => gradInto(x, (dx) => gapBackward(e, y.gradPtr, dx, P, HW)));
  return y;
}

/** x: (N, ...) → (N, product of the rest). A copy (tensors here are never views). */
export function flatten(x: Tensor): Tensor {
  const N = x.shape[0]!;
  const y = Tensor.empty([N, x.size / N]);
  y.data().set(x.data());
  if (needsGrad(x)) {
    record(y, [x], () => gradInto(x, (p) => engine().floats(p, x.size).set(engine().floats(y.gradPtr, y.size))));
  }
  return y;
}
