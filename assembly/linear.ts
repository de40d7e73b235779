// Linear layer (y = x·wᵀ + b, w: (O, I) as PyTorch) and global average pooling, forward and
// backward, in float64: every output is one f64 sum in a fixed order, rounded to f32 once at the
// end — exactly the arithmetic of the TypeScript loops they replace (linearRef, gapRef in
// src/kernels/ref.ts), so results are bit-identical to them. A product of two f32 values is exact
// in f64, so no fused multiply-add could change a bit either; the sums are never reordered.
// f64x2 lanes hold two independent outputs. Threads split rows (n, or o for the weight gradient)
// and each output is computed by one thread, so the thread count never changes a bit.

// @ts-ignore: decorator
@inline function ld(p: usize): f64 {
  return <f64>load<f32>(p);
}

/** Two adjacent f32 at p as f64x2. */
// @ts-ignore: decorator
@inline function ld2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** The two lanes of a, rounded to f32, at p and p+4. */
// @ts-ignore: decorator
@inline function st2(p: usize, a: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(a), 0);
}

/**
 * y (N,O) rows [n0, n1): y[n,o] = b[o] + Σ_i x[n,i]·w[o,i], i ascending (b == 0: from 0).
 * Two outputs o, o+1 per f64x2, two of them side by side; w's two rows are read lane by lane.
 */
export function linear_fwd(x: usize, w: usize, b: usize, y: usize, n0: i32, n1: i32, I: i32, O: i32): void {
  const rowB = <usize>I << 2;
  for (let n = n0; n < n1; n++) {
    const xn = x + <usize>n * rowB, yn = y + (<usize>(n * O) << 2);
    let o = 0;
    for (; o + 4 <= O; o += 4) {
      const w0 = w + <usize>o * rowB, w1 = w0 + rowB, w2 = w1 + rowB, w3 = w2 + rowB;
      let a = f64x2.splat(0), c = f64x2.splat(0);
      if (b) {
        a = ld2(b + (<usize>o << 2));
        c = ld2(b + (<usize>(o + 2) << 2));
      }
      for (let i = 0; i < I; i++) {
        const k = <usize>i << 2;
        const xv = f64x2.splat(ld(xn + k));
        a = f64x2.add(a, f64x2.mul(xv, f64x2.replace_lane(f64x2.splat(ld(w0 + k)), 1, ld(w1 + k))));
        c = f64x2.add(c, f64x2.mul(xv, f64x2.replace_lane(f64x2.splat(ld(w2 + k)), 1, ld(w3 + k))));
      }
      st2(yn + (<usize>o << 2), a);
      st2(yn + (<usize>(o + 2) << 2), c);
    }
    for (; o < O; o++) {
      const wo = w + <usize>o * rowB;
      let s: f64 = b ? ld(b + (<usize>o << 2)) : 0;
      for (let i = 0; i < I; i++) s += ld(xn + (<usize>i << 2)) * ld(wo + (<usize>i << 2));
      store<f32>(yn + (<usize>o << 2), <f32>s);
    }
  }
}

/** dx (N,I) rows [n0, n1), overwritten: dx[n,i] = Σ_o dy[n,o]·w[o,i], o ascending; four i at a time. */
export function linear_bwd_data(dy: usize, w: usize, dx: usize, n0: i32, n1: i32, I: i32, O: i32): void {
  const rowB = <usize>I << 2;
  for (let n = n0; n < n1; n++) {
    const gn = dy + (<usize>(n * O) << 2), dxn = dx + <usize>n * rowB;
    let i = 0;
    for (; i + 4 <= I; i += 4) {
      let a = f64x2.splat(0), c = f64x2.splat(0);
      let wp = w + (<usize>i << 2);
      for (let o = 0; o < O; o++) {
        const g = f64x2.splat(ld(gn + (<usize>o << 2)));
        a = f64x2.add(a, f64x2.mul(g, ld2(wp)));
        c = f64x2.add(c, f64x2.mul(g, ld2(wp + 8)));
        wp += rowB;
      }
      st2(dxn + (<usize>i << 2), a);
      st2(dxn + (<usize>(i + 2) << 2), c);
    }
    for (; i < I; i++) {
      let s: f64 = 0;
      for (let o = 0; o < O; o++) s += ld(gn + (<usize>o << 2)) * ld(w + <usize>o * rowB + (<usize>i << 2));
      store<f32>(dxn + (<usize>i << 2), <f32>s);
    }
  }
}

/**
 * dw (O,I) rows [o0, o1), overwritten: dw[o,i] = Σ_n dy[n,o]·x[n,i], n ascending over all N rows;
 * db[o] = Σ_n dy[n,o] likewise (db == 0: skipped). Four i at a time.
 */
export function linear_bwd_weight(dy: usize, x: usize, dw: usize, db: usize, o0: i32, o1: i32, N: i32, I: i32, O: i32): void {
  const rowB = <usize>I << 2, gB = <usize>O << 2;
  for (let o = o0; o < o1; o++) {
    const go = dy + (<usize>o << 2), dwo = dw + <usize>o * rowB;
    let i = 0;
    for (; i + 4 <= I; i += 4) {
      let a = f64x2.splat(0), c = f64x2.splat(0);
      let xp = x + (<usize>i << 2), gp = go;
      for (let n = 0; n < N; n++) {
        const g = f64x2.splat(ld(gp));
        a = f64x2.add(a, f64x2.mul(g, ld2(xp)));
        c = f64x2.add(c, f64x2.mul(g, ld2(xp + 8)));
        xp += rowB;
        gp += gB;
      }
      st2(dwo + (<usize>i << 2), a);
      st2(dwo + (<usize>(i + 2) << 2), c);
    }
    for (; i < I; i++) {
      let s: f64 = 0;
      for (let n = 0; n < N; n++) s += ld(go + <usize>n * gB) * ld(x + <usize>n * rowB + (<usize>i << 2));
      store<f32>(dwo + (<usize>i << 2), <f32>s);
    }
    if (db) {
      let s: f64 = 0;
      for (let n = 0; n < N; n++) s += ld(go + <usize>n * gB);
      store<f32>(db + (<usize>o << 2), <f32>s);
    }
  }
}

/** y (P) for planes [p0, p1) of x (P, HW): the f64 sum of the plane in order, divided by HW, then rounded. */
export function gap_fwd(x: usize, y: usize, p0: i32, p1: i32, HW: i32): void {
  for (let p = p0; p < p1; p++) {
    const xp = x + (<usize>p * <usize>HW << 2);
    let s: f64 = 0;
    for (let i = 0; i < HW; i++) s += ld(xp + (<usize>i << 2));
    store<f32>(y + (<usize>p << 2), <f32>(s / <f64>HW));
  }
}

/** dx (P, HW) planes [p0, p1), overwritten: every element of plane p is dy[p] / HW (in f64, then rounded). */
export function gap_bwd(dy: usize, dx: usize, p0: i32, p1: i32, HW: i32): void {
  for (let p = p0; p < p1; p++) {
    const v = f32x4.splat(<f32>(ld(dy + (<usize>p << 2)) / <f64>HW));
    const xp = dx + (<usize>p * <usize>HW << 2);
    let i = 0;
    for (; i + 4 <= HW; i += 4) v128.store(xp + (<usize>i << 2), v);
    for (; i < HW; i++) store<f32>(xp + (<usize>i << 2), f32x4.extract_lane(v, 0));
  }
}
