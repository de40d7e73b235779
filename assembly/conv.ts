// 2-D convolution, stride 1, NCHW, as GEMMs whose long, vectorised dimension is the pixels (for
// these shapes O = 8–32 rows against 25–784 pixels). Not a direct convolution. Two ways to feed them:
// - padded-width implicit GEMM (images with OW ≥ 6·(KW-1), e.g. 28×28 and 14×14 at 3×3): the image
//   is copied once into a zero-bordered (C, Hp, Wp) buffer; pixel q = oy·Wp + ox of every kernel tap
//   (c,i,j) is then xp[c, q + i·Wp + j], so the GEMM reads xp directly (no im2col) and computes
//   Wp - OW junk columns per row that are dropped when the result is copied out;
// - im2col (small images, where junk columns would cost more, and cropping pads): col (K, G·P),
//   several images side by side so that the GEMM sees ≥ ~256 columns.
//   forward:       y(O, P) = W(O, K) · col(K, P)              K = C·KH·KW, P = OH·OW
//   backward data: the forward pass run on dy with the kernel flipped and transposed, pad' = KH-1-pad
//   backward wt:   dW(O, K) += dy(O, P) · col(K, P)ᵀ          (dot products along the pixels)
// Only images [n0, n1) are touched, so pool threads split a batch by image; `scratch` is per thread.

// @ts-ignore: decorator
@inline const GROUP_COLS = 256;

// @ts-ignore: decorator
@inline function groupOf(P: i32): i32 {
  return max(1, GROUP_COLS / P);
}

/** Floats rounded up to a whole cache line, so that every scratch region stays 64-byte aligned. */
// @ts-ignore: decorator
@inline function lines(floats: i32): i32 {
  return (floats + 15) & ~15;
}

/** Whether the padded-width implicit GEMM pays for this output width (and no pad crops). */
// @ts-ignore: decorator
@inline function implicitPays(OW: i32, KW: i32, padH: i32, padW: i32): bool {
  return padH >= 0 && padW >= 0 && OW >= 6 * (KW - 1);
}

/** Scratch of the forward routines (also covers backward-weight: col or xp, then a dy group). */
function fwdScratch(C: i32, H: i32, W: i32, O: i32, KH: i32, KW: i32, padH: i32, padW: i32): i32 {
  const OH = H + 2 * padH - KH + 1, OW = W + 2 * padW - KW + 1;
  if (OH <= 0 || OW <= 0) return 0;
  if (implicitPays(OW, KW, padH, padW)) {
    const Wp = W + 2 * padW, Q8 = (OH * Wp + 7) & ~7;
    return xpFloats(C, H + 2 * padH, Wp, KW) + lines(((O + 3) & ~3) * Q8);
  }
  const L = groupOf(OH * OW) * OH * OW;
  return lines(C * KH * KW * L) + lines(O * L);
}

/** Floats of per-thread scratch that conv2d_fwd, conv2d_bwd_data and conv2d_bwd_weight need. */
export function conv2d_scratch_floats(C: i32, H: i32, W: i32, O: i32, KH: i32, KW: i32, pad: i32): i32 {
  const fwd = fwdScratch(C, H, W, O, KH, KW, pad, pad);
  const OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;
  if (OH <= 0 || OW <= 0) return 16;
  const bwd = lines(C * O * KH * KW) + fwdScratch(O, OH, OW, C, KH, KW, KH - 1 - pad, KW - 1 - pad);
  return max(16, max(fwd, bwd));
}

// ---- padded-width implicit GEMM ----

/** xp (C, Hp, Wp) plus slack: the last tile's junk columns read up to KW + 16 floats past the end. */
// @ts-ignore: decorator
@inline function xpFloats(C: i32, Hp: i32, Wp: i32, KW: i32): i32 {
  return lines(C * Hp * Wp + KW + 16);
}

/**
 * x (C,H,W) into xp (C,Hp,Wp), Hp = H + 2·padH, at offset (padH, padW); the caller has zeroed the
 * border. A negative pad crops instead.
 */
function padInto(xp: usize, x: usize, C: i32, H: i32, W: i32, padH: i32, padW: i32, Hp: i32, Wp: i32): void {
  const y0 = max(0, -padH), y1 = min(H, H + padH), x0 = max(0, -padW), x1 = min(W, W + padW);
  for (let c = 0; c < C; c++) {
    for (let iy = y0; iy < y1; iy++) {
      copy(xp + <usize>((c * Hp + iy + padH) * Wp + x0 + padW) * 4, x + <usize>((c * H + iy) * W + x0) * 4, x1 - x0);
    }
  }
}

/**
 * out[4×8] = Σ over taps (c,i,j) of A[r, (c,i,j)] ⊗ xp[c, q..q+8 + i·Wp + j], with b = &xp[0, q].
 * Rows past nr alias the last valid row (computed, then stored into the caller's padding rows).
 */
function implicit4x8(C: i32, KH: i32, KW: i32, a: usize, ars: usize, nr: i32, b: usize, chanB: usize, rowB: usize,
  c: usize, ldc: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const a1 = nr > 1 ? a + ars : a, a2 = nr > 2 ? a + 2 * ars : a1, a3 = nr > 3 ? a + 3 * ars : a2;
  let off: usize = 0;
  for (let ch = 0; ch < C; ch++) {
    let bi = b + <usize>ch * chanB;
    for (let i = 0; i < KH; i++) {
      for (let j = 0; j < KW; j++) {
        const p = bi + (<usize>j << 2);
        const b0 = v128.load(p), b1 = v128.load(p, 16);
        let s = v128.load32_splat(a + off);
        c00 = madd(s, b0, c00); c01 = madd(s, b1, c01);
        s = v128.load32_splat(a1 + off);
        c10 = madd(s, b0, c10); c11 = madd(s, b1, c11);
        s = v128.load32_splat(a2 + off);
        c20 = madd(s, b0, c20); c21 = madd(s, b1, c21);
        s = v128.load32_splat(a3 + off);
        c30 = madd(s, b0, c30); c31 = madd(s, b1, c31);
        off += 4;
      }
      bi += rowB;
    }
  }
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(r1, c10); v128.store(r1, c11, 16);
  v128.store(r2, c20); v128.store(r2, c21, 16);
  v128.store(r3, c30); v128.store(r3, c31, 16);
}

/** As convForwardCol, through xp; A rows are contiguous over k = (c,i,j) with row stride ars bytes. */
function convForwardImplicit(x: usize, a: usize, ars: usize, b: usize, y: usize, n0: i32, n1: i32,
  C: i32, H: i32, W: i32, O: i32, KH: i32, KW: i32, padH: i32, padW: i32, scratch: usize): void {
  const Hp = H + 2 * padH, Wp = W + 2 * padW, OH = Hp - KH + 1, OW = Wp - KW + 1;
  const Q8 = (OH * Wp + 7) & ~7;
  const xp = scratch, out = xp + <usize>xpFloats(C, Hp, Wp, KW) * 4; // out: (O rounded up to 4, Q8)
  zero(xp, xpFloats(C, Hp, Wp, KW));
  const chanB = <usize>(Hp * Wp) * 4, rowB = <usize>Wp * 4, ldc = <usize>Q8 * 4;
  for (let n = n0; n < n1; n++) {
    padInto(xp, x + <usize>(n * C * H * W) * 4, C, H, W, padH, padW, Hp, Wp);
    for (let q = 0; q < Q8; q += 8) {
      for (let o = 0; o < O; o += 4) {
        implicit4x8(C, KH, KW, a + <usize>o * ars, ars, min(4, O - o), xp + (<usize>q << 2), chanB, rowB,
          out + <usize>o * ldc + (<usize>q << 2), ldc);
      }
    }
    for (let o = 0; o < O; o++) {
      const bias: f32 = b ? load<f32>(b + (<usize>o << 2)) : 0;
      const yo = y + <usize>((n * O + o) * OH * OW) * 4, oo = out + <usize>o * ldc;
      for (let oy = 0; oy < OH; oy++) copyBias(yo + <usize>(oy * OW) * 4, oo + <usize>(oy * Wp) * 4, OW, bias);
    }
  }
}

/** As bwdWeightCol, through xp and dy laid out as (O, OH·Wp) with zeros in the junk columns. */
function bwdWeightImplicit(dy: usize, x: usize, dw: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32,
  O: i32, KH: i32, KW: i32, pad: i32, scratch: usize): void {
  const Hp = H + 2 * pad, Wp = W + 2 * pad, OH = Hp - KH + 1, OW = Wp - KW + 1;
  const Q = OH * Wp, S = KH * KW, K = C * S;
  const xp = scratch, dyp = xp + <usize>xpFloats(C, Hp, Wp, KW) * 4; // dyp: (O, Q)
  zero(xp, xpFloats(C, Hp, Wp, KW));
  zero(dyp, O * Q);
  const ldq = <usize>Q * 4, ldk = <usize>K * 4;
  for (let n = n0; n < n1; n++) {
    padInto(xp, x + <usize>(n * C * H * W) * 4, C, H, W, pad, pad, Hp, Wp);
    padInto(dyp, dy + <usize>(n * O * OH * OW) * 4, O, OH, OW, 0, 0, OH, Wp);
    for (let o = 0; o < O; o += 4) {
      for (let k = 0; k < K; k += 2) {
        const b0 = xp + tapOffset(k, S, KW, Hp, Wp), b1 = k + 1 < K ? xp + tapOffset(k + 1, S, KW, Hp, Wp) : b0;
        nt4x2(Q, dyp + <usize>o * ldq, ldq, b0, b1 - b0, dw + <usize>o * ldk + (<usize>k << 2), ldk,
          min(4, O - o), min(2, K - k), 1);
      }
    }
  }
}

/** Byte offset in xp of tap k = (c,i,j): c·Hp·Wp + i·Wp + j floats. */
// @ts-ignore: decorator
@inline function tapOffset(k: i32, S: i32, KW: i32, Hp: i32, Wp: i32): usize {
  const c = k / S, r = k - c * S, i = r / KW, j = r - i * KW;
  return <usize>((c * Hp + i) * Wp + j) * 4;
}

// ---- im2col ----

/**
 * One image's im2col from its padded copy xp (C,Hp,Wp) into columns [0, OH·OW) of col (rows
 * K = C·KH·KW, row stride ld floats): row (c,i,j), column (oy,ox) = xp[c, oy+i, ox+j].
 */
function im2col(xp: usize, col: usize, ld: i32, C: i32, Hp: i32, Wp: i32, KH: i32, KW: i32, OH: i32, OW: i32): void {
  const ldB = <usize>ld << 2, rowB = <usize>Wp << 2, outB = <usize>OW << 2;
  let row = col;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < KH; i++) {
      for (let j = 0; j < KW; j++) {
        let src = xp + <usize>((c * Hp + i) * Wp + j) * 4, dst = row;
        for (let oy = 0; oy < OH; oy++) {
          copy(dst, src, OW);
          src += rowB;
          dst += outB;
        }
        row += ldB;
      }
    }
  }
}

// @ts-ignore: decorator
@inline function zero(dst: usize, n: i32): void {
  for (let k = 0; k < n; k++) store<f32>(dst + (<usize>k << 2), 0);
}

/** Copies n floats (unaligned, non-overlapping); a last overlapping vector replaces a scalar tail. */
// @ts-ignore: decorator
@inline function copy(dst: usize, src: usize, n: i32): void {
  if (n >= 4) {
    const last = <usize>(n - 4) << 2;
    for (let k: usize = 0; k < last; k += 16) v128.store(dst + k, v128.load(src + k));
    v128.store(dst + last, v128.load(src + last));
  } else {
    for (let k = 0; k < n; k++) store<f32>(dst + (<usize>k << 2), load<f32>(src + (<usize>k << 2)));
  }
}

/** dst[k] = src[k] + bias for n floats. */
function copyBias(dst: usize, src: usize, n: i32, bias: f32): void {
  const vb = f32x4.splat(bias);
  let k = 0;
  for (; k + 4 <= n; k += 4) v128.store(dst + (<usize>k << 2), f32x4.add(v128.load(src + (<usize>k << 2)), vb));
  for (; k < n; k++) store<f32>(dst + (<usize>k << 2), load<f32>(src + (<usize>k << 2)) + bias);
}

/**
 * y (N,O,OH,OW) = conv(x (N,C,H,W), A) + b for images [n0, n1). A[o, k] is at a + o·ars + k·aks
 * bytes (k = (c,i,j)), so the plain and the flipped-transposed kernel share this routine.
 */
function convForwardCol(x: usize, a: usize, ars: usize, aks: usize, b: usize, y: usize, n0: i32, n1: i32,
  C: i32, H: i32, W: i32, O: i32, KH: i32, KW: i32, padH: i32, padW: i32, scratch: usize): void {
  const OH = H + 2 * padH - KH + 1, OW = W + 2 * padW - KW + 1;
  const P = OH * OW, K = C * KH * KW, G = groupOf(P);
  const col = scratch, out = col + <usize>lines(K * G * P) * 4;
  for (let n = n0; n < n1; n += G) {
    const g = min(G, n1 - n), L = g * P;
    for (let t = 0; t < g; t++) {
      im2col(x + <usize>((n + t) * C * H * W) * 4, col + <usize>(t * P) * 4, L, C, H, W, KH, KW, padH, padW, OH, OW);
    }
    if (g == 1) {
      // Straight into y; the bias (if any) is added in place while the rows are still in cache.
      const yn = y + <usize>(n * O * P) * 4;
      gemmStrided(O, P, K, a, ars, aks, col, P, yn, P, 0);
      if (b) for (let o = 0; o < O; o++) copyBias(yn + <usize>(o * P) * 4, yn + <usize>(o * P) * 4, P, load<f32>(b + (<usize>o << 2)));
    } else {
      gemmStrided(O, L, K, a, ars, aks, col, L, out, L, 0);
      for (let t = 0; t < g; t++) {
        for (let o = 0; o < O; o++) {
          const bias: f32 = b ? load<f32>(b + (<usize>o << 2)) : 0;
          copyBias(y + <usize>(((n + t) * O + o) * P) * 4, out + <usize>(o * L + t * P) * 4, P, bias);
        }
      }
    }
  }
}

/** dW (O, K) += Σ_n dy_n (O, P) · col_n (K, P)ᵀ, small images grouped G at a time. */
function bwdWeightCol(dy: usize, x: usize, dw: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32,
  O: i32, KH: i32, KW: i32, pad: i32, scratch: usize): void {
  const OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;
  const P = OH * OW, K = C * KH * KW, G = groupOf(P);
  const col = scratch, dyg = col + <usize>lines(K * G * P) * 4; // dyg: (O, G·P)
  for (let n = n0; n < n1; n += G) {
    const g = min(G, n1 - n), L = g * P;
    for (let t = 0; t < g; t++) {
      im2col(x + <usize>((n + t) * C * H * W) * 4, col + <usize>(t * P) * 4, L, C, H, W, KH, KW, pad, pad, OH, OW);
    }
    let a = dy + <usize>(n * O * P) * 4;
    if (g > 1) {
      for (let t = 0; t < g; t++) {
        for (let o = 0; o < O; o++) copy(dyg + <usize>(o * L + t * P) * 4, a + <usize>((t * O + o) * P) * 4, P);
      }
      a = dyg;
    }
    gemmNTStrided(O, K, L, a, L, col, L, dw, K, 1);
  }
}

// ---- exports ----

/** Forward through whichever path pays; A (O, C·KH·KW) row-major with row stride ars bytes. */
function convForward(x: usize, a: usize, ars: usize, b: usize, y: usize, n0: i32, n1: i32,
  C: i32, H: i32, W: i32, O: i32, KH: i32, KW: i32, padH: i32, padW: i32, scratch: usize): void {
  if (implicitPays(W + 2 * padW - KW + 1, KW, padH, padW)) {
    convForwardImplicit(x, a, ars, b, y, n0, n1, C, H, W, O, KH, KW, padH, padW, scratch);
  } else {
    convForwardCol(x, a, ars, 4, b, y, n0, n1, C, H, W, O, KH, KW, padH, padW, scratch);
  }
}

/** y (N,O,OH,OW) = conv(x (N,C,H,W), w (O,C,KH,KW)) + b (O) (b == 0: no bias), images [n0, n1). */
export function conv2d_fwd(x: usize, w: usize, b: usize, y: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32,
  O: i32, KH: i32, KW: i32, pad: i32, scratch: usize): void {
  const OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;
  if (OH <= 0 || OW <= 0) return;
  convForward(x, w, <usize>(C * KH * KW) * 4, b, y, n0, n1, C, H, W, O, KH, KW, pad, pad, scratch);
}

/**
 * dx (N,C,H,W) = ∂/∂x of conv2d_fwd given dy (N,O,OH,OW), images [n0, n1), overwritten. It is a
 * stride-1 convolution of dy with wT[c,o,i,j] = w[o,c,KH-1-i,KW-1-j] and padding KH-1-pad.
 */
export function conv2d_bwd_data(dy: usize, w: usize, dx: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32,
  O: i32, KH: i32, KW: i32, pad: i32, scratch: usize): void {
  const OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;
  if (OH <= 0 || OW <= 0) {
    for (let n = n0; n < n1; n++) zero(dx + <usize>(n * C * H * W) * 4, C * H * W);
    return;
  }
  const S = KH * KW, K = O * S;
  const wT = scratch; // wT: (C, O, KH, KW)
  for (let c = 0; c < C; c++) {
    for (let o = 0; o < O; o++) {
      const src = w + <usize>((o * C + c) * S) * 4, dst = wT + <usize>(c * K + o * S) * 4;
      for (let s = 0; s < S; s++) store<f32>(dst + (<usize>s << 2), load<f32>(src + <usize>(S - 1 - s) * 4));
    }
  }
  convForward(dy, wT, <usize>K * 4, 0, dx, n0, n1, O, OH, OW, C, KH, KW, KH - 1 - pad, KW - 1 - pad,
    scratch + <usize>lines(C * K) * 4);
}

/**
 * dw (O,C,KH,KW) += ∂/∂w and db (O) += Σ dy over images [n0, n1) and pixels (db == 0: skipped).
 * Accumulates, so each thread owns its dw/db and the caller sums them.
 */
export function conv2d_bwd_weight(dy: usize, x: usize, dw: usize, db: usize, n0: i32, n1: i32, C: i32, H: i32,
  W: i32, O: i32, KH: i32, KW: i32, pad: i32, scratch: usize): void {
  const OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;
  if (OH <= 0 || OW <= 0) return;
  if (implicitPays(OW, KW, pad, pad)) bwdWeightImplicit(dy, x, dw, n0, n1, C, H, W, O, KH, KW, pad, scratch);
  else bwdWeightCol(dy, x, dw, n0, n1, C, H, W, O, KH, KW, pad, scratch);
  if (db) {
    const P = OH * OW;
    for (let o = 0; o < O; o++) {
      let s: f32 = 0;
      for (let n = n0; n < n1; n++) s += rowSum(dy + <usize>((n * O + o) * P) * 4, P);
      store<f32>(db + (<usize>o << 2), load<f32>(db + (<usize>o << 2)) + s);
    }
  }
}

function rowSum(p: usize, n: i32): f32 {
  let v = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= n; k += 4) v = f32x4.add(v, v128.load(p + (<usize>k << 2)));
  let s = f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
  for (; k < n; k++) s += load<f32>(p + (<usize>k << 2));
  return s;
}
