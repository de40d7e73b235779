// batchNorm2d over (N,C,H,W), PyTorch semantics: training uses batch statistics (biased variance
// to normalise, unbiased variance into the running estimate, momentum 0.1), evaluation uses the
// running statistics. `relu: true` fuses the following ReLU (one pass less each way).
import { engine } from '../engine/wasm.js';
import { runSplit } from '../kernels/split.js';
import { gradInto, needsGrad, record } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { checkRank, checkShape } from './check.js';

export interface BatchNormOptions {
  training: boolean;
  momentum: number;
  eps: number;
  relu: boolean;
}

/**
 * A BatchNorm's per-channel arithmetic for one batch: y = x·scale + shift (then ReLU if relu). mean
 * and invstd are what training-mode backward needs. Tensors of (C) floats.
 */
export interface BatchNormState {
  mean: Tensor;
  invstd: Tensor;
  scale: Tensor;
  shift: Tensor;
}

/**
 * Checks the shapes, computes the statistics (batch statistics in training, updating the running
 * ones; running statistics in evaluation) and the per-channel scale and shift. The part of
 * batchNorm2d before it touches y, shared with the ops that apply the BatchNorm inside the next
 * layer's kernel (ops/fused.ts).
 */
export function batchNormState(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, o: BatchNormOptions): BatchNormState {
  checkRank('batchNorm2d', 'input', x, 4);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  for (const [name, t] of [['weight', gamma], ['bias', beta], ['running_mean', runningMean], ['running_var', runningVar]] as const) {
    checkShape('batchNorm2d', name, t, [C]);
  }
  const HW = H * W, M = N * HW;
  if (o.training && M < 2) throw new Error(`batchNorm2d: training needs more than 1 value per channel, got input [${x.shape}]`);
  const e = engine();
  // Per-channel scratch (C each): mean, biased var, invstd, scale, shift.
  const mean = Tensor.empty([C]), varb = Tensor.empty([C]), invstd = Tensor.empty([C]);
  const scale = Tensor.empty([C]), shift = Tensor.empty([C]);
  if (o.training) {
    runSplit(e, 'bn_stats', C, x.size, (c0, c1) => [x.ptr, mean.ptr, varb.ptr, N, C, HW, c0, c1]);
  } else {
    mean.data().set(runningMean.data());
    varb.data().set(runningVar.data());
  }
  const [m, v, is, sc, sh] = [mean.data(), varb.data(), invstd.data(), scale.data(), shift.data()];
  const g = gamma.data(), b = beta.data();
  for (let c = 0; c < C; c++) {
    is[c] = 1 / Math.sqrt(v[c]! + o.eps);
    sc[c] = g[c]! * is[c]!;
    sh[c] = b[c]! - m[c]! * sc[c]!;
  }
  if (o.training) {
    const rm = runningMean.data(), rv = runningVar.data();
    for (let c = 0; c < C; c++) {
      rm[c] = (1 - o.momentum) * rm[c]! + o.momentum * m[c]!;
      rv[c] = (1 - o.momentum) * rv[c]! + o.momentum * ((v[c]! * M) / (M - 1));
    }
  }
  return { mean, invstd, scale, shift };
}

/**
 * Training-mode backward: dy (byte offset, x.size floats) is the gradient wrt the BatchNorm (+ ReLU)
 * output; adds into the gradients of x, gamma and beta. dy may be x's gradient buffer itself when
 * this is that gradient's first write: bn_bwd reads each element of dy before writing it.
 */
export function batchNormBackward(x: Tensor, dy: number, st: BatchNormState, gamma: Tensor, beta: Tensor, relu: boolean): void {
  const e = engine();
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const HW = H * W;
  const dg = Tensor.empty([C]), db = Tensor.empty([C]);
  // One kernel gives dx, dγ and dβ: dx goes straight into x's gradient, or to scratch when x
  // needs none (the kernel must still run for dγ and dβ).
  const bwd = (dx: number) =>
    runSplit(e, 'bn_bwd', C, x.size, (c0, c1) =>
      [x.ptr, dy, dx, st.mean.ptr, st.invstd.ptr, gamma.ptr, st.scale.ptr, st.shift.ptr, dg.ptr, db.ptr, N, C, HW, c0, c1, relu ? 1 : 0]);
  if (x.requiresGrad) gradInto(x, bwd);
  else bwd(e.arena.alloc(x.size));
  gradInto(gamma, (p) => e.floats(p, C).set(dg.data()));
  gradInto(beta, (p) => e.floats(p, C).set(db.data()));
}

/** x: (N,C,H,W); gamma, beta, runningMean, runningVar: (C). Updates the running stats in training. */
export function batchNorm2d(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, o: BatchNormOptions): Tensor {
  const st = batchNormState(x, gamma, beta, runningMean, runningVar, o);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const HW = H * W;
  const e = engine();
  const relu = o.relu ? 1 : 0;
  const y = Tensor.empty(x.shape);
  runSplit(e, 'bn_apply', C, x.size, (c0, c1) => [x.ptr, y.ptr, st.scale.ptr, st.shift.ptr, N, C, HW, c0, c1, relu]);
  if (!needsGrad(x, gamma, beta)) return y;
  record(y, [x, gamma, beta], () => {
    if (o.training) {
      batchNormBackward(x, y.gradPtr, st, gamma, beta, o.relu);
      return;
    }
    const dg = Tensor.empty([C]), db = Tensor.empty([C]);
    gradInto(x, (dx) => runSplit(e, 'bn_eval_bwd', C, x.size, (c0, c1) => [y.ptr, y.gradPtr, dx, st.scale.ptr, N, C, HW, c0, c1, relu]));
    evalParamGrads(x.data(), y.data(), e.floats(y.gradPtr, x.size), st.mean.data(), st.invstd.data(), dg.data(), db.data(), N, C, HW, o.relu);
    gradInto(gamma, (p) => e.floats(p, C).set(dg.data()));
    gradInto(beta, (p) => e.floats(p, C).set(db.data()));
  });
  return y;
}

// Evaluation-mode parameter gradients (only gradient checks need them): dγ = Σ g·x̂, dβ = Σ g.
function evalParamGrads(x: Float32Array, y: Float32Array, dy: Float32Array, mean: Float32Array, invstd: Float32Array,
  dg: Float32Array, db: Float32Array, N: number, C: number, HW: number, relu: boolean): void {
  dg.fill(0);
  db.fill(0);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * HW;
      for (let i = base; i < base + HW; i++) {
        const gi = relu && y[i]! <= 0 ? 0 : dy[i]!;
        dg[c] = dg[c]! + gi * (x[i]! - mean[c]!) * invstd[c]!;
        db[c] = db[c]! + gi;
      }
    }
  }
}
