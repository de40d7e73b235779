// BatchNorm kernels over (N,C,HW) float32, one channel range [c0,c1) per call so threads split by
// channel. Statistics are accumulated per image in f32x4 and summed in f64 for precision.
// The optional fused ReLU saves one full pass over the activations forward and backward.

// Sum of n floats at p (f32x4 main loop, scalar tail).
@inline function sum(p: usize, n: i32): f64 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, v128.load(p + (<usize>i << 2)));
  let s = <f64>(f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + <f64>(f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  for (; i < n; i++) s += <f64>load<f32>(p + (<usize>i << 2));
  return s;
}

// Sum of (x - m)^2 over n floats at p.
@inline function sumSqDev(p: usize, n: i32, m: f32): f64 {
  let acc = f32x4.splat(0);
  const mv = f32x4.splat(m);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d = f32x4.sub(v128.load(p + (<usize>i << 2)), mv);
    acc = f32x4.add(acc, f32x4.mul(d, d));
  }
  let s = <f64>(f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + <f64>(f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  for (; i < n; i++) {
    const d = load<f32>(p + (<usize>i << 2)) - m;
    s += <f64>(d * d);
  }
  return s;
}

/** mean[c], varb[c] (biased) over N and HW, for c in [c0,c1). x: (N,C,HW). */
export function bn_stats(x: usize, mean: usize, varb: usize, N: i32, C: i32, HW: i32, c0: i32, c1: i32): void {
  const cnt = <f64>N * <f64>HW;
  for (let c = c0; c < c1; c++) {
    let s: f64 = 0;
    for (let n = 0; n < N; n++) s += sum(x + ((<usize>(n * C + c) * <usize>HW) << 2), HW);
    const m = <f32>(s / cnt);
    let q: f64 = 0;
    for (let n = 0; n < N; n++) q += sumSqDev(x + ((<usize>(n * C + c) * <usize>HW) << 2), HW, m);
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
        let v = f32x4.add(f32x4.mul(v128.load(px + o), av), bv);
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

/**
 * Backward of training-mode BatchNorm (optionally followed by ReLU).
 * x: (N,C,HW) input, dy: upstream, dx: written. mean, invstd, gamma, scale, shift: (C).
 * dgamma, dbeta: (C) written (not accumulated).
 * dx = gamma*invstd/M * (M*g - sum(g) - xhat*sum(g*xhat)),  g = dy masked by ReLU's y > 0.
 * The mask is recomputed from x with bn_apply's own arithmetic (x*scale + shift > 0, the same
 * operations in the same order, so the same bits) instead of reading y: one array less per pass.
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
    let sg: f64 = 0, sgx: f64 = 0;
    for (let n = 0; n < N; n++) {
      const off = (<usize>(n * C + c) * <usize>HW) << 2;
      let ag = f32x4.splat(0), agx = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= HW; i += 4) {
        const o = <usize>i << 2;
        const xv = v128.load(x + off + o);
        let g = v128.load(dy + off + o);
        if (relu) g = v128.and(g, f32x4.gt(f32x4.add(f32x4.mul(xv, sav), sbv), zero));
        ag = f32x4.add(ag, g);
        agx = f32x4.add(agx, f32x4.mul(g, f32x4.sub(xv, mv)));
      }
      let s1 = <f64>(f32x4.extract_lane(ag, 0) + f32x4.extract_lane(ag, 1)) + <f64>(f32x4.extract_lane(ag, 2) + f32x4.extract_lane(ag, 3));
      let s2 = <f64>(f32x4.extract_lane(agx, 0) + f32x4.extract_lane(agx, 1)) + <f64>(f32x4.extract_lane(agx, 2) + f32x4.extract_lane(agx, 3));
      for (; i < HW; i++) {
        const o = <usize>i << 2;
        const xs = load<f32>(x + off + o);
        let g = load<f32>(dy + off + o);
        if (relu && !(xs * sa + sb > 0)) g = 0;
        s1 += <f64>g;
        s2 += <f64>(g * (xs - m));
      }
      sg += s1;
      sgx += s2;
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
        if (relu) g = v128.and(g, f32x4.gt(f32x4.add(f32x4.mul(xv, sav), sbv), zero));
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
