// BatchNorm kernels over (N,C,HW) float32, one channel range [c0,c1) per call so threads split by
// channel. Statistics are accumulated per image in f32x4 and summed in f64 for precision.
// The optional fused ReLU saves one full pass over the activations forward and backward.

// Per-plane sums are the unit of rounding: each plane of HW floats is summed in one f32x4
// accumulator (then its lanes pairwise and a scalar tail in f64), and the planes' sums are added to
// an f64 total in image order. Four planes run side by side, each with its own accumulator, so
// that four add chains overlap instead of one waiting on its own latency; the result is the same
// as summing the planes one at a time.

// The f64 sum of an f32x4 accumulator's lanes, as every reduction here does it.
// @ts-ignore: decorator
@inline function lanes(acc: v128): f64 {
  return <f64>(f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + <f64>(f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
}

// (x - m)² of a vector when sq != 0, else x (the branch folds away: sq is a constant at each call).
// @ts-ignore: decorator
@inline function term(v: v128, mv: v128, sq: i32): v128 {
  if (!sq) return v;
  const d = f32x4.sub(v, mv);
  return f32x4.mul(d, d);
}

// @ts-ignore: decorator
@inline function termS(v: f32, m: f32, sq: i32): f64 {
  if (!sq) return <f64>v;
  const d = v - m;
  return <f64>(d * d);
}

// The f64 sum of one plane's terms: f32x4 main loop, lanes, scalar tail.
// @ts-ignore: decorator
@inline function plane(p: usize, n: i32, m: f32, sq: i32): f64 {
  const mv = f32x4.splat(m);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, term(v128.load(p + (<usize>i << 2)), mv, sq));
  let s = lanes(acc);
  for (; i < n; i++) s += termS(load<f32>(p + (<usize>i << 2)), m, sq);
  return s;
}

// Σ over planes k < N (at p + k·stride bytes) of plane(…), added in plane order.
// @ts-ignore: decorator
@inline function planes(p: usize, stride: usize, N: i32, n: i32, m: f32, sq: i32): f64 {
  const mv = f32x4.splat(m);
  let s: f64 = 0;
  let k = 0;
  for (; k + 4 <= N; k += 4) {
    const p0 = p + <usize>k * stride, p1 = p0 + stride, p2 = p1 + stride, p3 = p2 + stride;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      a0 = f32x4.add(a0, term(v128.load(p0 + o), mv, sq));
      a1 = f32x4.add(a1, term(v128.load(p1 + o), mv, sq));
      a2 = f32x4.add(a2, term(v128.load(p2 + o), mv, sq));
      a3 = f32x4.add(a3, term(v128.load(p3 + o), mv, sq));
    }
    let s0 = lanes(a0), s1 = lanes(a1), s2 = lanes(a2), s3 = lanes(a3);
    for (let j = i; j < n; j++) s0 += termS(load<f32>(p0 + (<usize>j << 2)), m, sq);
    for (let j = i; j < n; j++) s1 += termS(load<f32>(p1 + (<usize>j << 2)), m, sq);
    for (let j = i; j < n; j++) s2 += termS(load<f32>(p2 + (<usize>j << 2)), m, sq);
    for (let j = i; j < n; j++) s3 += termS(load<f32>(p3 + (<usize>j << 2)), m, sq);
    s += s0;
    s += s1;
    s += s2;
    s += s3;
  }
  for (; k < N; k++) s += plane(p + <usize>k * stride, n, m, sq);
  return s;
}

/** mean[c], varb[c] (biased) over N and HW, for c in [c0,c1). x: (N,C,HW). */
export function bn_stats(x: usize, mean: usize, varb: usize, N: i32, C: i32, HW: i32, c0: i32, c1: i32): void {
  const cnt = <f64>N * <f64>HW;
  const stride = (<usize>C * <usize>HW) << 2;
  for (let c = c0; c < c1; c++) {
    const xc = x + ((<usize>c * <usize>HW) << 2);
    const m = <f32>(planes(xc, stride, N, HW, 0, 0) / cnt);
    const q = planes(xc, stride, N, HW, m, 1);
    store<f32>(mean + (<usize>c << 2), m);
    store<f32>(varb + (<usize>c << 2), <f32>(q / cnt));
  }
}

/** y = x*scale[c] + shift[c], then ReLU if relu != 0; channels [c0,c1). x, y: (N,C,HW), may alias. */
export function bn_apply(x: usize, y: usize, scale: usize, shift: usize, N: i32, C: i32, HW: i32, c0: i32, c1: i32, relu: i32): void {
  const zero = f32x4.splat(0);
  for (let c = c0; c < c1; c++) {
    const a = load<f32>(scale + (<usize>c << 2));
    const b = load<f32>(shift + (<usize>c << 2));
    const av = f32x4.splat(a), bv = f32x4.splat(b);
    for (let n = 0; n < N; n++) {
      const off = (<usize>(n * C + c) * <usize>HW) << 2;
      const px = x + off, py = y + off;
      let i = 0;
      for (; i + 4 <= HW; i += 4) {
        const o = <usize>i << 2;
        let v = bnAffine(v128.load(px + o), av, bv);
        if (relu) v = f32x4.max(v, zero);
        v128.store(py + o, v);
      }
      for (; i < HW; i++) {
        const o = <usize>i << 2;
        let v = load<f32>(px + o) * a + b;
        if (relu && v < 0) v = 0;
        store<f32>(py + o, v);
      }
    }
  }
}

// One plane's Σg and Σg·(x-m): the vector part's lane sums s1, s2 plus the scalar tail (elements
// i0 ≤ i < n) in f64, into tailG and tailGX (globals: AssemblyScript functions return one value).
let tailG: f64 = 0, tailGX: f64 = 0;
// @ts-ignore: decorator
@inline function gradTail(xp: usize, dp: usize, i0: i32, n: i32, m: f32, sa: f32, sb: f32, relu: i32, s1: f64, s2: f64): void {
  for (let i = i0; i < n; i++) {
    const o = <usize>i << 2;
    const xs = load<f32>(xp + o);
    let g = load<f32>(dp + o);
    if (relu && !(xs * sa + sb > 0)) g = 0;
    s1 += <f64>g;
    s2 += <f64>(g * (xs - m));
  }
  tailG = s1;
  tailGX = s2;
}

/**
 * Backward of training-mode BatchNorm (optionally followed by ReLU).
 * x: (N,C,HW) input, dy: upstream, dx: written. mean, invstd, gamma, scale, shift: (C).
 * dgamma, dbeta: (C) written (not accumulated).
 * dx = gamma*invstd/M * (M*g - sum(g) - xhat*sum(g*xhat)),  g = dy masked by ReLU's y > 0.
 * The mask is recomputed from x with bn_apply's own arithmetic (x*scale + shift > 0, the same
 * operations in the same order, so the same bits) instead of reading y: one array less per pass.
 * dx may be dy (in place): the second pass reads each element of dy before writing its dx.
 */
export function bn_bwd(x: usize, dy: usize, dx: usize, mean: usize, invstd: usize, gamma: usize, scale: usize, shift: usize,
  dgamma: usize, dbeta: usize, N: i32, C: i32, HW: i32, c0: i32, c1: i32, relu: i32): void {
  const cnt = <f32>(<f64>N * <f64>HW);
  const zero = f32x4.splat(0);
  for (let c = c0; c < c1; c++) {
    const m = load<f32>(mean + (<usize>c << 2));
    const is = load<f32>(invstd + (<usize>c << 2));
    const mv = f32x4.splat(m);
    const sa = load<f32>(scale + (<usize>c << 2)), sb = load<f32>(shift + (<usize>c << 2));
    const sav = f32x4.splat(sa), sbv = f32x4.splat(sb);
    // Σg and Σg·(x-m), per plane then in image order (as in `planes`), two planes side by side.
    let sg: f64 = 0, sgx: f64 = 0;
    const stride = (<usize>C * <usize>HW) << 2, cb = (<usize>c * <usize>HW) << 2;
    let n = 0;
    for (; n + 2 <= N; n += 2) {
      const x0 = x + cb + <usize>n * stride, d0 = dy + cb + <usize>n * stride;
      const x1 = x0 + stride, d1 = d0 + stride;
      let ag0 = f32x4.splat(0), agx0 = f32x4.splat(0), ag1 = f32x4.splat(0), agx1 = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= HW; i += 4) {
        const o = <usize>i << 2;
        const xa = v128.load(x0 + o), xb = v128.load(x1 + o);
        let ga = v128.load(d0 + o), gb = v128.load(d1 + o);
        if (relu) {
          ga = v128.and(ga, f32x4.gt(bnAffine(xa, sav, sbv), zero));
          gb = v128.and(gb, f32x4.gt(bnAffine(xb, sav, sbv), zero));
        }
        ag0 = f32x4.add(ag0, ga);
        agx0 = f32x4.add(agx0, f32x4.mul(ga, f32x4.sub(xa, mv)));
        ag1 = f32x4.add(ag1, gb);
        agx1 = f32x4.add(agx1, f32x4.mul(gb, f32x4.sub(xb, mv)));
      }
      gradTail(x0, d0, i, HW, m, sa, sb, relu, lanes(ag0), lanes(agx0));
      sg += tailG;
      sgx += tailGX;
      gradTail(x1, d1, i, HW, m, sa, sb, relu, lanes(ag1), lanes(agx1));
      sg += tailG;
      sgx += tailGX;
    }
    for (; n < N; n++) {
      const x0 = x + cb + <usize>n * stride, d0 = dy + cb + <usize>n * stride;
      let ag = f32x4.splat(0), agx = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= HW; i += 4) {
        const o = <usize>i << 2;
        const xv = v128.load(x0 + o);
        let g = v128.load(d0 + o);
        if (relu) g = v128.and(g, f32x4.gt(bnAffine(xv, sav, sbv), zero));
        ag = f32x4.add(ag, g);
        agx = f32x4.add(agx, f32x4.mul(g, f32x4.sub(xv, mv)));
      }
      gradTail(x0, d0, i, HW, m, sa, sb, relu, lanes(ag), lanes(agx));
      sg += tailG;
      sgx += tailGX;
    }
    const gam = load<f32>(gamma + (<usize>c << 2));
    const dgam = <f32>sgx * is; // sum(g * xhat)
    store<f32>(dgamma + (<usize>c << 2), dgam);
    store<f32>(dbeta + (<usize>c << 2), <f32>sg);
    // dx = k * (g - sg/M - (x-m)*is * dgam/M),  k = gam*is
    const k = gam * is;
    const a = f32x4.splat(k);
    const meanG = f32x4.splat(<f32>sg / cnt);
    const coef = f32x4.splat(is * dgam / cnt);
    for (let n = 0; n < N; n++) {
      const off = (<usize>(n * C + c) * <usize>HW) << 2;
      let i = 0;
      for (; i + 4 <= HW; i += 4) {
        const o = <usize>i << 2;
        const xv = v128.load(x + off + o);
        let g = v128.load(dy + off + o);
        if (relu) g = v128.and(g, f32x4.gt(bnAffine(xv, sav, sbv), zero));
        const xh = f32x4.mul(f32x4.sub(xv, mv), coef);
        v128.store(dx + off + o, f32x4.mul(a, f32x4.sub(f32x4.sub(g, meanG), xh)));
      }
      for (; i < HW; i++) {
        const o = <usize>i << 2;
        const xs = load<f32>(x + off + o);
        let g = load<f32>(dy + off + o);
        if (relu && !(xs * sa + sb > 0)) g = 0;
        const xh = (xs - m) * (is * dgam / cnt);
        store<f32>(dx + off + o, k * (g - <f32>sg / cnt - xh));
      }
    }
  }
}

/** Backward of evaluation-mode BatchNorm (+ReLU): dx = g*scale[c]. Used only for gradient checks. */
export function bn_eval_bwd(y: usize, dy: usize, dx: usize, scale: usize, N: i32, C: i32, HW: i32, c0: i32, c1: i32, relu: i32): void {
  for (let c = c0; c < c1; c++) {
    const a = load<f32>(scale + (<usize>c << 2));
    for (let n = 0; n < N; n++) {
      const off = (<usize>(n * C + c) * <usize>HW) << 2;
      for (let i = 0; i < HW; i++) {
        const o = <usize>i << 2;
        let g = load<f32>(dy + off + o);
        if (relu && load<f32>(y + off + o) <= 0) g = 0;
        store<f32>(dx + off + o, g * a);
      }
    }
  }
}
