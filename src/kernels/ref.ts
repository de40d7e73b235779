// Naive reference kernels for BatchNorm, ReLU, max- and average pooling: plain loops over Float32Arrays
// in float64 arithmetic, the oracle the wasm kernels are tested against on odd shapes. Kept forever;
// never used for training.

/** Training-mode BatchNorm (+ optional ReLU) over x: (N,C,HW) → y, batch mean and biased variance. */
export function bnRefForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, N: number, C: number, HW: number, eps: number, relu: boolean) {
  const mean = new Float64Array(C), varb = new Float64Array(C), y = new Float32Array(x.length);
  const M = N * HW;
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let i = 0; i < HW; i++) s += x[(n * C + c) * HW + i]!;
    mean[c] = s / M;
    let q = 0;
    for (let n = 0; n < N; n++) for (let i = 0; i < HW; i++) q += (x[(n * C + c) * HW + i]! - mean[c]!) ** 2;
    varb[c] = q / M;
    const inv = 1 / Math.sqrt(varb[c]! + eps);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < HW; i++) {
        const k = (n * C + c) * HW + i;
        const v = (x[k]! - mean[c]!) * inv * gamma[c]! + beta[c]!;
        y[k] = relu && v < 0 ? 0 : v;
      }
    }
  }
  return { y, mean, varb };
}

/** Backward of bnRefForward given upstream dy: dx, dgamma, dbeta. */
export function bnRefBackward(x: Float32Array, y: Float32Array, dy: Float32Array, gamma: Float32Array, mean: Float64Array, varb: Float64Array,
  N: number, C: number, HW: number, eps: number, relu: boolean) {
  const dx = new Float32Array(x.length), dgamma = new Float32Array(C), dbeta = new Float32Array(C);
  const M = N * HW;
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(varb[c]! + eps);
    let sg = 0, sgx = 0;
    const g = (k: number) => (relu && y[k]! <= 0 ? 0 : dy[k]!);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < HW; i++) {
        const k = (n * C + c) * HW + i;
        sg += g(k);
        sgx += g(k) * (x[k]! - mean[c]!) * inv;
      }
    }
    dgamma[c] = sgx;
    dbeta[c] = sg;
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < HW; i++) {
        const k = (n * C + c) * HW + i;
        const xh = (x[k]! - mean[c]!) * inv;
        dx[k] = (gamma[c]! * inv / M) * (M * g(k) - sg - xh * sgx);
      }
    }
  }
  return { dx, dgamma, dbeta };
}

export function reluRef(x: Float32Array): Float32Array {
  return x.map((v) => (v > 0 ? v : 0));
}

/** 2x2/2 max-pool of (P,H,W), first maximum wins; returns y and, for backward, dx from dy. */
export function maxPoolRef(x: Float32Array, P: number, H: number, W: number, dy?: Float32Array) {
  const OH = H >> 1, OW = W >> 1;
  const y = new Float32Array(P * OH * OW), dx = new Float32Array(x.length);
  for (let p = 0; p < P; p++) {
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        let bestK = (p * H + 2 * i) * W + 2 * j;
        for (const [di, dj] of [[0, 1], [1, 0], [1, 1]] as const) {
          const k = (p * H + 2 * i + di) * W + 2 * j + dj;
          if (x[k]! > x[bestK]! || Number.isNaN(x[k]!)) bestK = k;
        }
        const o = (p * OH + i) * OW + j;
        y[o] = x[bestK]!;
        if (dy) dx[bestK] = dy[o]!;
      }
    }
  }
  return { y, dx };
}

/**
 * k×k / stride-s max-pool of (P,H,W), floor mode, no padding: the first maximum of each window in
 * row-major order wins, NaN wins over numbers. Returns y and, for backward, dx from dy, ADDED at
 * each window's winner (overlapping windows can share one).
 */
export function maxPoolRefK(x: Float32Array, P: number, H: number, W: number, K: number, S: number, dy?: Float32Array) {
  const OH = Math.floor((H - K) / S) + 1, OW = Math.floor((W - K) / S) + 1;
  const y = new Float32Array(P * OH * OW), dx = new Float32Array(x.length);
  for (let p = 0; p < P; p++) {
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        let bestK = -1;
        for (let di = 0; di < K; di++) {
          for (let dj = 0; dj < K; dj++) {
            const k = (p * H + i * S + di) * W + j * S + dj;
            if (bestK < 0 || x[k]! > x[bestK]! || Number.isNaN(x[k]!)) bestK = k;
          }
        }
        const o = (p * OH + i) * OW + j;
        y[o] = x[bestK]!;
        if (dy) dx[bestK]! += dy[o]!;
      }
    }
  }
  return { y, dx };
}

/** k×k / stride-s average pool of (P,H,W), floor mode, no padding (float64 sums); y and dx from dy. */
export function avgPoolRef(x: Float32Array, P: number, H: number, W: number, K: number, S: number, dy?: Float32Array) {
  const OH = Math.floor((H - K) / S) + 1, OW = Math.floor((W - K) / S) + 1;
  const y = new Float32Array(P * OH * OW), dx = new Float64Array(x.length);
  for (let p = 0; p < P; p++) {
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const o = (p * OH + i) * OW + j;
        let s = 0;
        for (let di = 0; di < K; di++) for (let dj = 0; dj < K; dj++) s += x[(p * H + i * S + di) * W + j * S + dj]!;
        y[o] = s / (K * K);
        if (dy) for (let di = 0; di < K; di++) for (let dj = 0; dj < K; dj++) dx[(p * H + i * S + di) * W + j * S + dj]! += dy[o]! / (K * K);
      }
    }
  }
  return { y, dx: Float32Array.from(dx) };
}

/**
 * avgPoolRef in float32 with the kernels' order of operations: each window summed from 0 in
 * row-major order, then divided by k²; dx zeroed, then dy/k² added over each window in output order.
 * The wasm kernels (general and 2×2/2) must give these bits.
 */
export function avgPoolRefF32(x: Float32Array, P: number, H: number, W: number, K: number, S: number, dy: Float32Array) {
  const f = Math.fround, OH = Math.floor((H - K) / S) + 1, OW = Math.floor((W - K) / S) + 1, div = K * K;
  const y = new Float32Array(P * OH * OW), dx = new Float32Array(x.length);
  for (let p = 0; p < P; p++) {
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const o = (p * OH + i) * OW + j;
        let s = 0;
        for (let di = 0; di < K; di++) for (let dj = 0; dj < K; dj++) s = f(s + x[(p * H + i * S + di) * W + j * S + dj]!);
        y[o] = f(s / div);
        const g = f(dy[o]! / div);
        for (let di = 0; di < K; di++) for (let dj = 0; dj < K; dj++) dx[(p * H + i * S + di) * W + j * S + dj]! += g;
      }
    }
  }
  return { y, dx };
}

// Linear and global average pooling: the TypeScript loops the ops ran before the wasm kernels of
// assembly/linear.ts, kept as they were (float64 sums in this order, one rounding to f32 at the
// store) — the kernels must reproduce them bit for bit.

/** y (N,O) = x (N,I) · w (O,I)ᵀ + b (O): bias first, then i = 0..I−1. */
export function linearRefFwd(x: Float32Array, w: Float32Array, b: Float32Array | null, N: number, I: number, O: number): Float32Array {
  const y = new Float32Array(N * O);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < I; i++) s += x[n * I + i]! * w[o * I + i]!;
      y[n * O + o] = s;
    }
  }
  return y;
}

/** dx (N,I) = dy (N,O) · w (O,I), o = 0..O−1. */
export function linearRefBwdData(dy: Float32Array, w: Float32Array, N: number, I: number, O: number): Float32Array {
  const dx = new Float32Array(N * I);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < I; i++) {
      let s = 0;
      for (let o = 0; o < O; o++) s += dy[n * O + o]! * w[o * I + i]!;
      dx[n * I + i] = s;
    }
  }
  return dx;
}

/** dw (O,I) = dy (N,O)ᵀ · x (N,I) and db (O) = Σ_n dy, n = 0..N−1. */
export function linearRefBwdWeight(dy: Float32Array, x: Float32Array, N: number, I: number, O: number): { dw: Float32Array; db: Float32Array } {
  const dw = new Float32Array(O * I), db = new Float32Array(O);
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += dy[n * O + o]! * x[n * I + i]!;
      dw[o * I + i] = s;
    }
    let s = 0;
    for (let n = 0; n < N; n++) s += dy[n * O + o]!;
    db[o] = s;
  }
  return { dw, db };
}

/** y (P) = the mean of each plane of x (P, HW): a float64 sum in order, divided by HW. */
export function gapRefFwd(x: Float32Array, P: number, HW: number): Float32Array {
  const y = new Float32Array(P);
  for (let p = 0; p < P; p++) {
    let s = 0;
    for (let i = p * HW; i < (p + 1) * HW; i++) s += x[i]!;
    y[p] = s / HW;
  }
  return y;
}

/** dx (P, HW): dy[p] / HW over plane p. */
export function gapRefBwd(dy: Float32Array, P: number, HW: number): Float32Array {
  const dx = new Float32Array(P * HW);
  for (let p = 0; p < P; p++) dx.fill(dy[p]! / HW, p * HW, (p + 1) * HW);
  return dx;
}
