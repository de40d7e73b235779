// k×k max and average pooling with stride s (PyTorch's floor mode, no padding) over planes [p0,p1)
// of (P, H, W) = (N·C, H, W): forward and backward. OH = (H - k) / s + 1 (OW likewise); the caller
// checks k ≤ H, W. The reference net's 2×2/2 max-pool keeps its own vector kernels (pool.ts,
// pool_bwd.ts, with the fused dropout and BatchNorm variants); these are the general case, where
// windows may overlap (k > s) or leave gaps (k < s). Each plane is independent, so pool threads
// split by plane and the results do not depend on the thread count.
// The naive references are maxPoolRefK and avgPoolRef in src/kernels/ref.ts.

/** Byte offset of plane pl in planes of n floats each. */
// @ts-ignore: decorator
@inline function planeBase(pl: i32, n: i32): usize {
  return <usize>pl * <usize>n << 2;
}

/**
 * y (P,OH,OW) = max over each k×k window, arg (P,OH,OW) = the winner's index within its plane of
 * x (as i32). Windows are scanned in row-major order and a later tap replaces the best only when it
 * is greater or NaN: the first maximum wins ties and NaN propagates, as in PyTorch (and maxpool2_fwd).
 */
export function maxpool_fwd(x: usize, y: usize, arg: usize, p0: i32, p1: i32, H: i32, W: i32, K: i32, S: i32): void {
  const OH = (H - K) / S + 1, OW = (W - K) / S + 1;
  for (let pl = p0; pl < p1; pl++) {
    const xp = x + planeBase(pl, H * W), yo = planeBase(pl, OH * OW);
    let o = yo;
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const k0 = i * S * W + j * S;
        let best = load<f32>(xp + (<usize>k0 << 2)), bestK = k0;
        for (let di = 0; di < K; di++) {
          const r = k0 + di * W;
          for (let dj = di == 0 ? 1 : 0; dj < K; dj++) {
            const v = load<f32>(xp + (<usize>(r + dj) << 2));
            if (v > best || isNaN(v)) { best = v; bestK = r + dj; }
          }
        }
        store<f32>(y + o, best);
        store<i32>(arg + o, bestK);
        o += 4;
      }
    }
  }
}

/**
 * dx (P,H,W) written in full: zero, then each output's gradient ADDED at its winner (overlapping
 * windows can share a winner, which then gets the sum, in output order).
 */
export function maxpool_bwd(dy: usize, arg: usize, dx: usize, p0: i32, p1: i32, H: i32, W: i32, K: i32, S: i32): void {
  const n = ((H - K) / S + 1) * ((W - K) / S + 1);
  for (let pl = p0; pl < p1; pl++) {
    const xp = dx + planeBase(pl, H * W), yo = planeBase(pl, n);
    memory.fill(xp, 0, <usize>(H * W) << 2);
    for (let o = 0; o < n; o++) {
      const q = yo + (<usize>o << 2);
      const d = xp + (<usize>load<i32>(arg + q) << 2);
      store<f32>(d, load<f32>(d) + load<f32>(dy + q));
    }
  }
}

/**
 * y (P,OH,OW) = the mean of each k×k window: an f32 sum in row-major order divided by k², as
 * PyTorch's CPU kernel computes it (count_include_pad is moot without padding).
 */
export function avgpool_fwd(x: usize, y: usize, p0: i32, p1: i32, H: i32, W: i32, K: i32, S: i32): void {
  const OH = (H - K) / S + 1, OW = (W - K) / S + 1;
  const div = <f32>(K * K);
  for (let pl = p0; pl < p1; pl++) {
    const xp = x + planeBase(pl, H * W);
    let o = y + planeBase(pl, OH * OW);
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        let s: f32 = 0;
        for (let di = 0; di < K; di++) {
          const r = xp + (<usize>((i * S + di) * W + j * S) << 2);
          for (let dj = 0; dj < K; dj++) s += load<f32>(r + (<usize>dj << 2));
        }
        store<f32>(o, s / div);
        o += 4;
      }
    }
  }
}

/** dx (P,H,W) written in full: zero, then dy/k² ADDED over each output's window (windows may overlap). */
export function avgpool_bwd(dy: usize, dx: usize, p0: i32, p1: i32, H: i32, W: i32, K: i32, S: i32): void {
  const OH = (H - K) / S + 1, OW = (W - K) / S + 1;
  const div = <f32>(K * K);
  for (let pl = p0; pl < p1; pl++) {
    const xp = dx + planeBase(pl, H * W);
    memory.fill(xp, 0, <usize>(H * W) << 2);
    let o = dy + planeBase(pl, OH * OW);
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const g = load<f32>(o) / div;
        for (let di = 0; di < K; di++) {
          const r = xp + (<usize>((i * S + di) * W + j * S) << 2);
          for (let dj = 0; dj < K; dj++) {
            const d = r + (<usize>dj << 2);
            store<f32>(d, load<f32>(d) + g);
          }
        }
        o += 4;
      }
    }
  }
}
