// linear: y = x·Wᵀ + b, PyTorch's layout (W: (out, in)). Plain TypeScript: the reference net's
// only linear layer is 16→10, a few thousand multiply-adds per batch.
import { engine } from '../engine/wasm.js';
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
  const xd = x.data(), wd = w.data(), yd = y.data(), bd = b?.data();
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      let s = bd ? bd[o]! : 0;
      for (let i = 0; i < I; i++) s += xd[n * I + i]! * wd[o * I + i]!;
      yd[n * O + o] = s;
    }
  }
  if (needsGrad(x, w, b)) {
    record(y, b ? [x, w, b] : [x, w], () => {
      const e = engine();
      const dy = () => e.floats(y.gradPtr, y.size);
      gradInto(x, (p) => {
        const dx = e.floats(p, x.size), g = dy(), wv = w.data();
        for (let n = 0; n < N; n++) {
          for (let i = 0; i < I; i++) {
            let s = 0;
            for (let o = 0; o < O; o++) s += g[n * O + o]! * wv[o * I + i]!;
            dx[n * I + i] = s;
          }
        }
      });
      gradInto(w, (p) => {
        const dw = e.floats(p, w.size), g = dy(), xv = x.data();
        for (let o = 0; o < O; o++) {
          for (let i = 0; i < I; i++) {
            let s = 0;
            for (let n = 0; n < N; n++) s += g[n * O + o]! * xv[n * I + i]!;
            dw[o * I + i] = s;
          }
        }
      });
      if (b) {
        gradInto(b, (p) => {
          const db = e.floats(p, O), g = dy();
          for (let o = 0; o < O; o++) {
            let s = 0;
            for (let n = 0; n < N; n++) s += g[n * O + o]!;
            db[o] = s;
          }
        });
      }
    });
  }
  return y;
}
