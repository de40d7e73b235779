// linear: y = x·Wᵀ + b, PyTorch's layout (W: (out, in)): forward and backward side by side. The math
// is in src/kernels/linear.ts (wasm, float64 sums in a fixed order: the same bits as the plain loops
// of linearRef* that it replaced, on any thread count); this file checks shapes and records autograd.
import { engine } from '../engine/wasm.js';
import { linearBackwardData, linearBackwardWeight, linearForward } from '../kernels/linear.js';
import { gradInto, needsGrad, record } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { checkRank, checkShape } from './check.js';

/** x: (N,I), w: (O,I), b: (O) or null → (N,O). */
export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  checkRank('linear', 'input', x, 2);
  checkRank('linear', 'weight', w, 2);
  const [N, I] = x.shape as [number, number];
  const [O, I2] = w.shape as [number, number];
  if (I2 !== I) throw new Error(`linear: weight expects ${I2} input features, input has ${I}`);
  if (b) checkShape('linear', 'bias', b, [O]);
  const y = Tensor.empty([N, O]);
  const e = engine();
  linearForward(e, x.ptr, w.ptr, b ? b.ptr : 0, y.ptr, N, I, O);
  if (needsGrad(x, w, b)) {
    record(y, b ? [x, w, b] : [x, w], () => {
      gradInto(x, (dx) => linearBackwardData(e, y.gradPtr, w.ptr, dx, N, I, O));
      if (!w.requiresGrad && !b?.requiresGrad) return;
      // Both in one pass over dy, into temporaries (as conv2d does), then into the gradients.
      const dw = e.arena.alloc(w.size), db = b ? e.arena.alloc(O) : 0;
      linearBackwardWeight(e, y.gradPtr, x.ptr, dw, db, N, I, O);
      gradInto(w, (p) => e.f32().copyWithin(p >> 2, dw >> 2, (dw >> 2) + w.size));
      if (b) gradInto(b, (p) => e.f32().copyWithin(p >> 2, db >> 2, (db >> 2) + O));
    });
  }
  return y;
}
