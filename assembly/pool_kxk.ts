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
  if (K == 2 && S == 2 && OW >= 4) {
    avgpool2Fwd(x, y, p0, p1, H, W, OH, OW);
    return;
  }
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
  if (K == 2 && S == 2 && OW >= 4) {
    avgpool2Bwd(dy, dx, p0, p1, H, W, OH, OW);
    return;
  }
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

// ---- 2×2 / stride 2 average pooling, four outputs per vector ----
// The same operations in the same order as the scalar loops above, so the same bits: forward
// ((((0 + a) + b) + c) + d) / 4 over the window's row-major taps; backward 0 + dy/4 (windows do not
// overlap, so each dx element gets at most one addition). A row's last vector overlaps the one
// before it instead of a scalar tail: it recomputes (and rewrites) the same values.

/** Output columns j..j+3 of one output row (2·j+8 ≤ W): 8 floats from each of the two input rows. */
// @ts-ignore: decorator
@inline function avg2Vec(r0: usize, r1: usize, out: usize, quarter: v128): void {
  const a0 = v128.load(r0), a1 = v128.load(r0, 16), b0 = v128.load(r1), b1 = v128.load(r1, 16);
  let s = f32x4.add(f32x4.splat(0), v128.shuffle<f32>(a0, a1, 0, 2, 4, 6));
  s = f32x4.add(s, v128.shuffle<f32>(a0, a1, 1, 3, 5, 7));
  s = f32x4.add(s, v128.shuffle<f32>(b0, b1, 0, 2, 4, 6));
  s = f32x4.add(s, v128.shuffle<f32>(b0, b1, 1, 3, 5, 7));
  v128.store(out, f32x4.div(s, quarter));
}

/** avgpool_fwd for K = S = 2, OW ≥ 4 (so 2·OW ≤ W holds for every vector, the last one included). */
function avgpool2Fwd(x: usize, y: usize, p0: i32, p1: i32, H: i32, W: i32, OH: i32, OW: i32): void {
  const four = f32x4.splat(4), last = OW - 4, rowB = <usize>W << 2;
  for (let pl = p0; pl < p1; pl++) {
    const xp = x + planeBase(pl, H * W), yp = y + planeBase(pl, OH * OW);
    for (let i = 0; i < OH; i++) {
      const r0 = xp + <usize>(2 * i) * rowB, r1 = r0 + rowB, out = yp + (<usize>(i * OW) << 2);
      for (let j = 0; j < last; j += 4) avg2Vec(r0 + (<usize>(2 * j) << 2), r1 + (<usize>(2 * j) << 2), out + (<usize>j << 2), four);
      avg2Vec(r0 + (<usize>(2 * last) << 2), r1 + (<usize>(2 * last) << 2), out + (<usize>last << 2), four);
    }
  }
}

/** dx columns 2j..2j+7 of two input rows from dy columns j..j+3: each g = 0 + dy/4 written twice per row. */
// @ts-ignore: decorator
@inline function avg2BwdVec(d: usize, r0: usize, r1: usize, four: v128): void {
  const g = f32x4.add(f32x4.splat(0), f32x4.div(v128.load(d), four));
  const lo = v128.shuffle<f32>(g, g, 0, 0, 1, 1), hi = v128.shuffle<f32>(g, g, 2, 2, 3, 3);
  v128.store(r0, lo); v128.store(r0, hi, 16);
  v128.store(r1, lo); v128.store(r1, hi, 16);
}

/** avgpool_bwd for K = S = 2, OW ≥ 4: the plane zeroed (odd H or W leave an uncovered edge), then the windows. */
function avgpool2Bwd(dy: usize, dx: usize, p0: i32, p1: i32, H: i32, W: i32, OH: i32, OW: i32): void {
  const four = f32x4.splat(4), last = OW - 4, rowB = <usize>W << 2;
  for (let pl = p0; pl < p1; pl++) {
    const xp = dx + planeBase(pl, H * W), dp = dy + planeBase(pl, OH * OW);
    if ((H | W) & 1) memory.fill(xp, 0, <usize>(H * W) << 2);
    for (let i = 0; i < OH; i++) {
      const r0 = xp + <usize>(2 * i) * rowB, r1 = r0 + rowB, d = dp + (<usize>(i * OW) << 2);
      for (let j = 0; j < last; j += 4) avg2BwdVec(d + (<usize>j << 2), r0 + (<usize>(2 * j) << 2), r1 + (<usize>(2 * j) << 2), four);
      avg2BwdVec(d + (<usize>last << 2), r0 + (<usize>(2 * last) << 2), r1 + (<usize>(2 * last) << 2), four);
    }
  }
}
