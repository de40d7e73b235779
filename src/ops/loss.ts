// logSoftmax over classes and the mean negative log-likelihood loss, with optional label
// smoothing (PyTorch's CrossEntropyLoss(label_smoothing=ε) applied to log-probabilities).
import { engine } from '../engine/wasm.js';
import { gradInto, needsGrad, record } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { checkRank } from './check.js';

/** x: (N,K) → (N,K), numerically stable (max subtracted). */
export function logSoftmax(x: Tensor): Tensor {
  checkRank('logSoftmax', 'input', x, 2);
  const [N, K] = x.shape as [number, number];
  const y = Tensor.empty([N, K]);
  const xd = x.data(), yd = y.data();
  for (let n = 0; n < N; n++) {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, xd[n * K + k]!);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(xd[n * K + k]! - mx);
    const lse = mx + Math.log(s);
    for (let k = 0; k < K; k++) yd[n * K + k] = xd[n * K + k]! - lse;
  }
  if (needsGrad(x)) {
    // dx = dy - softmax * Σ dy
    record(y, [x], () =>
      gradInto(x, (p) => {
        const e = engine();
        const dx = e.floats(p, x.size), dy = e.floats(y.gradPtr, y.size), yv = y.data();
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += dy[n * K + k]!;
          for (let k = 0; k < K; k++) dx[n * K + k] = dy[n * K + k]! - Math.exp(yv[n * K + k]!) * s;
        }
      }),
    );
  }
  return y;
}

/** logp: (N,K), targets: N class indices → scalar mean loss. smoothing ε spreads ε/K on every class. */
export function nllLoss(logp: Tensor, targets: ArrayLike<number>, smoothing = 0): Tensor {
  checkRank('nllLoss', 'input', logp, 2);
  const [N, K] = logp.shape as [number, number];
  if (targets.length !== N) throw new Error(`nllLoss: ${targets.length} targets for a batch of ${N}`);
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`nllLoss: label smoothing must be in [0, 1), got ${smoothing}`);
  const lp = logp.data();
  let total = 0;
  for (let n = 0; n < N; n++) {
    const t = targets[n]!;
    if (!(t >= 0 && t < K && Number.isInteger(t))) throw new Error(`nllLoss: target ${t} at ${n} is not a class in [0, ${K})`);
    let row = (1 - smoothing) * -lp[n * K + t]!;
    if (smoothing > 0) {
      let s = 0;
      for (let k = 0; k < K; k++) s -= lp[n * K + k]!;
      row += (smoothing / K) * s;
    }
    total += row;
  }
  const loss = Tensor.from([total / N], []);
  if (needsGrad(logp)) {
    record(loss, [logp], () =>
      gradInto(logp, (p) => {
        const e = engine();
        const g = e.floats(loss.gradPtr, 1)[0]! / N;
        const d = e.floats(p, logp.size);
        d.fill((-smoothing / K) * g);
        for (let n = 0; n < N; n++) d[n * K + targets[n]!]! -= (1 - smoothing) * g;
      }),
    );
  }
  return loss;
}
