// 2-D convolution, stride 1, NCHW, as im2col + the register-tiled GEMMs of gemm.ts. Not a direct
// convolution: for these shapes (O = 8–32 rows against 25–784 pixels) a GEMM whose long,
// vectorised dimension is the pixels wins.
//   forward:       y(O, P) = W(O, K) · col(K, P)              K = C·KH·KW, P = OH·OW
//   backward data: the forward pass run on dy with the kernel flipped and transposed, pad' = KH-1-pad
//   backward wt:   dW(O, K) += dy(O, P) · col(K, P)ᵀ          (dot products along the pixels)
// Each image is first copied into a zero-bordered buffer xp, so that every im2col row is a run of
// plain vector copies with no bounds tests (measured 15–25% faster overall than testing the border
// in im2col, and faster than reading xp directly with junk columns, an "implicit GEMM").
// Small images are batched: G images share one col matrix so that the GEMM sees ≥ ~256 columns.
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

/** Scratch of convForward and bwdWeight: xp (C,Hp,Wp), col (K, G·P), then out or dy group (O, G·P). */
function passScratch(C: i32, H: i32, W: i32, O: i32, KH: i32, KW: i32, padH: i32, padW: i32): i32 {
  const Hp = H + 2 * padH, Wp = W + 2 * padW, OH = Hp - KH + 1, OW = Wp - KW + 1;
  if (OH <= 0 || OW <= 0) return 0;
  const L = groupOf(OH * OW) * OH * OW;
  return lines(C * Hp * Wp) + lines(C * KH * KW * L) + lines(O * L);
}

/** Floats of per-thread scratch that conv2d_fwd, conv2d_bwd_data and conv2d_bwd_weight need. */
export function conv2d_scratch_floats(C: i32, H: i32, W: i32, O: i32, KH: i32, KW: i32, pad: i32): i32 {
  const OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;
  if (OH <= 0 || OW <= 0) return 16;
  const fwd = passScratch(C, H, W, O, KH, KW, pad, pad);
  const bwd = lines(C * O * KH * KW) + passScratch(O, OH, OW, C, KH, KW, KH - 1 - pad, KW - 1 - pad);
  return max(16, max(fwd, bwd));
}

// ---- copies ----

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

/** dst[k] = src[k] + bias for n floats (dst == src allowed). */
function copyBias(dst: usize, src: usize, n: i32, bias: f32): void {
  const vb = f32x4.splat(bias);
  let k = 0;
  for (; k + 4 <= n; k += 4) v128.store(dst + (<usize>k << 2), f32x4.add(v128.load(src + (<usize>k << 2)), vb));
  for (; k < n; k++) store<f32>(dst + (<usize>k << 2), load<f32>(src + (<usize>k << 2)) + bias);
}

/**
 * x (C,H,W) into xp (C,Hp,Wp), Hp = H + 2·padH, at offset (padH, padW); the caller has zeroed the
 * border once. A negative pad (backward-data of a conv with pad > KH-1) crops instead.
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

/**
 * col (K, g·P) = the unrolled patches of images [n, n+g) of x (N,C,H,W), each padded through the
 * zero-bordered buffer xp (C,Hp,Wp) first. Shared by the forward and the weight-gradient pass.
 */
function gatherGroup(x: usize, xp: usize, col: usize, n: i32, g: i32, C: i32, H: i32, W: i32,
  padH: i32, padW: i32, KH: i32, KW: i32): void {
  const Hp = H + 2 * padH, Wp = W + 2 * padW, OH = Hp - KH + 1, OW = Wp - KW + 1, P = OH * OW;
  for (let t = 0; t < g; t++) {
    padInto(xp, x + <usize>((n + t) * C * H * W) * 4, C, H, W, padH, padW, Hp, Wp);
    im2col(xp, col + <usize>(t * P) * 4, g * P, C, Hp, Wp, KH, KW, OH, OW);
  }
}

// ---- the two GEMM passes ----

/**
 * y (N,O,OH,OW) = conv(x (N,C,H,W), A) + b for images [n0, n1), A (O, C·KH·KW) row-major with
 * row stride ars bytes, so the plain and the flipped-transposed kernel share this routine.
 */
function convForward(x: usize, a: usize, ars: usize, b: usize, y: usize, n0: i32, n1: i32,
  C: i32, H: i32, W: i32, O: i32, KH: i32, KW: i32, padH: i32, padW: i32, scratch: usize): void {
  const Hp = H + 2 * padH, Wp = W + 2 * padW, OH = Hp - KH + 1, OW = Wp - KW + 1;
  const P = OH * OW, K = C * KH * KW, G = groupOf(P);
  const xp = scratch, col = xp + <usize>lines(C * Hp * Wp) * 4, out = col + <usize>lines(K * G * P) * 4;
  zero(xp, C * Hp * Wp);
  for (let n = n0; n < n1; n += G) {
    const g = min(G, n1 - n), L = g * P;
    gatherGroup(x, xp, col, n, g, C, H, W, padH, padW, KH, KW);
    if (g == 1) {
      // Straight into y; the bias (if any) is added in place while the rows are still in cache.
      const yn = y + <usize>(n * O * P) * 4;
      gemmStrided(O, P, K, a, ars, 4, col, P, yn, P, 0);
      if (b) for (let o = 0; o < O; o++) copyBias(yn + <usize>(o * P) * 4, yn + <usize>(o * P) * 4, P, load<f32>(b + (<usize>o << 2)));
    } else {
      gemmStrided(O, L, K, a, ars, 4, col, L, out, L, 0); // out: (O, G·P)
      for (let t = 0; t < g; t++) {
        for (let o = 0; o < O; o++) {
          const bias: f32 = b ? load<f32>(b + (<usize>o << 2)) : 0;
          copyBias(y + <usize>(((n + t) * O + o) * P) * 4, out + <usize>(o * L + t * P) * 4, P, bias);
        }
      }
    }
  }
}

/** dw (O, K) += Σ_n dy_n (O, P) · col_n (K, P)ᵀ over images [n0, n1). */
function bwdWeight(dy: usize, x: usize, dw: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32,
  O: i32, KH: i32, KW: i32, pad: i32, scratch: usize): void {
  const Hp = H + 2 * pad, Wp = W + 2 * pad, OH = Hp - KH + 1, OW = Wp - KW + 1;
  const P = OH * OW, K = C * KH * KW, G = groupOf(P);
  const xp = scratch, col = xp + <usize>lines(C * Hp * Wp) * 4, dyg = col + <usize>lines(K * G * P) * 4;
  zero(xp, C * Hp * Wp);
  for (let n = n0; n < n1; n += G) {
    const g = min(G, n1 - n), L = g * P;
    gatherGroup(x, xp, col, n, g, C, H, W, pad, pad, KH, KW);
    let a = dy + <usize>(n * O * P) * 4;
    if (g > 1) {
      // dyg: (O, G·P), the group's dy side by side like its columns in col.
      for (let t = 0; t < g; t++) {
        for (let o = 0; o < O; o++) copy(dyg + <usize>(o * L + t * P) * 4, a + <usize>((t * O + o) * P) * 4, P);
      }
      a = dyg;
    }
    gemmNTStrided(O, K, L, a, L, col, L, dw, K, 1);
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

/** db (O) += Σ dy over images [n0, n1) and the P pixels of each plane of dy (N,O,P). */
function biasGrad(dy: usize, db: usize, n0: i32, n1: i32, O: i32, P: i32): void {
  for (let o = 0; o < O; o++) {
    let s: f32 = 0;
    for (let n = n0; n < n1; n++) s += rowSum(dy + <usize>((n * O + o) * P) * 4, P);
    store<f32>(db + (<usize>o << 2), load<f32>(db + (<usize>o << 2)) + s);
  }
}

/**
 * biasGrad one image at a time, while its dy is in cache (conv_winograd.ts): acc (O) += the plane
 * sums of image dyn (O,P). With acc zeroed first and, after the last image, db[o] += acc[o], each
 * db[o] gets the same additions in the same order as from biasGrad.
 */
// @ts-ignore: decorator
@global function biasSums(dyn: usize, acc: usize, O: i32, P: i32): void {
  for (let o = 0; o < O; o++) {
    const a = acc + (<usize>o << 2);
    store<f32>(a, load<f32>(a) + rowSum(dyn + <usize>(o * P) * 4, P));
  }
}

// ---- exports ----

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
  bwdWeight(dy, x, dw, n0, n1, C, H, W, O, KH, KW, pad, scratch);
  if (db) biasGrad(dy, db, n0, n1, O, OH * OW);
}
