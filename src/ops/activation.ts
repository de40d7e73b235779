// relu and dropout: element-wise, split over threads by range.
import { engine } from '../engine/wasm.js';
import { runSplit } from '../kernels/split.js';
import { gradInto, needsGrad, record } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';

export function relu(x: Tensor): Tensor {
  const e = engine();
  const y = Tensor.empty(x.shape);
  runSplit(e, 'relu_fwd', x.size, x.size, (a, b) => [x.ptr, y.ptr, a, b]);
  if (needsGrad(x)) {
    record(y, [x], () => gradInto(x, (dx) => runSplit(e, 'relu_bwd', x.size, x.size, (a, b) => [y.ptr, y.gradPtr, dx, a, b])));
  }
  return y;
}

/** Inverted dropout: zeroes with probability p, scales the rest by 1/(1-p); identity when not training. */
export function dropout(x: Tensor, p: number, training: boolean, rng: Rng): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const e = engine();
  const y = Tensor.empty(x.shape);
  const mask = e.arena.alloc(x.size); // (same shape as x): 0 or 1/(1-p)
  const seed = rng.nextU32();
  runSplit(e, 'dropout_fwd', x.size, x.size, (a, b) => [x.ptr, y.ptr, mask, a, b, seed, p]);
  if (needsGrad(x)) {
    record(y, [x], () => gradInto(x, (dx) => runSplit(e, 'mul', x.size, x.size, (a, b) => [y.gradPtr, mask, dx, a, b])));
  }
  return y;
}
