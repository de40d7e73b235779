// 2-D convolution, stride S (1, 2, ...), NCHW, as im2col + the register-tiled GEMMs of gemm.ts. Not
// a direct convolution: for these shapes (O = 8–32 rows against 25–784 pixels) a GEMM whose long,
// vectorised dimension is the pixels wins.
//   forward:       y(O, P) = W(O, K) · col(K, P)              K = C·KH·KW, P = OH·OW
//   backward data, S = 1: the forward pass run on dy with the kernel flipped and transposed,
//                  pad' = KH-1-pad;
//   backward data, S > 1: dcol(K, P) = W(O, K)ᵀ · dy(O, P), then col2im adds the columns back into
//                  a zero-bordered image (overlapping windows accumulate), cropped into dx
//   backward wt:   dW(O, K) += dy(O, P) · col(K, P)ᵀ          (dot products along the pixels)
// Each padded image is first copied into a zero-bordered buffer xp (an unpadded one is read in
// place), so that every im2col row is a run of plain vector copies with no bounds tests (measured
// 15–25% faster overall than testing the border in im2col). The stride-1 backward-data pass, whose
// column matrix is the largest (O·KH·KW rows of a padded dy), skips im2col where it can: its GEMM
// reads xp in place with junk columns, an "implicit GEMM" (implicitForward; same bits).
// Small images are batched: G images share one col matrix so that the GEMM sees ≥ ~256 columns.
// Only images [n0, n1) are touched, so pool threads split a batch by image; `scratch` is per thread.
// The copies and sums live in conv_util.ts; 1×1 convolutions have their own GEMMs (conv1x1.ts).
import { biasGrad, bnPadInto, col2im, copy, copyBias, im2col, lines, padInto, rowSum, zero } from './conv_util';

// @ts-ignore: decorator
@inline const GROUP_COLS = 256;

// @ts-ignore: decorator
@inline function groupOf(P: i32): i32 {
  return max(1, GROUP_COLS / P);
}

/** Output size along one dimension of padded size `padded`: floor((padded - K) / S) + 1, or 0. */
// @ts-ignore: decorator
@inline function outSize(padded: i32, K: i32, S: i32): i32 {
  return padded < K ? 0 : (padded - K) / S + 1;
}

/** Floats of the zero-bordered copy xp (C,Hp,Wp), with 16 more that an implicit GEMM's last rows run into. */
// @ts-ignore: decorator
@inline function xpLines(C: i32, Hp: i32, Wp: i32): i32 {
  return lines(C * Hp * Wp + 16);
}

/**
 * Columns of convForward's implicit GEMM (stride 1): the output rows at xp's row stride Wp, the
 * last Wp − OW of each junk, rounded up to 4.
 */
// @ts-ignore: decorator
@inline function implicitCols(OH: i32, Wp: i32): i32 {
  return (OH * Wp + 3) & ~3;
}

/**
 * Scratch of convForward, bwdWeight and bwdDataCols: xp (C,Hp,Wp), col (K, G·P), then out or a dy
 * group (O, G·P; the implicit GEMM's out is O × implicitCols), then the GEMM's A packed (gemm.ts
 * packA: O·K floats).
 */
function passScratch(C: i32, H: i32, W: i32, O: i32, KH: i32, KW: i32, padH: i32, padW: i32, S: i32): i32 {
  const Hp = H + 2 * padH, Wp = W + 2 * padW, OH = outSize(Hp, KH, S), OW = outSize(Wp, KW, S);
  if (OH <= 0 || OW <= 0) return 0;
  const L = groupOf(OH * OW) * OH * OW;
  return xpLines(C, Hp, Wp) + lines(C * KH * KW * L) + lines(O * max(L, implicitCols(OH, Wp))) + lines(O * C * KH * KW);
}

/** Floats of per-thread scratch that conv2d_fwd, conv2d_bwd_data and conv2d_bwd_weight need. */
export function conv2d_scratch_floats(C: i32, H: i32, W: i32, O: i32, KH: i32, KW: i32, pad: i32, S: i32): i32 {
  const OH = outSize(H + 2 * pad, KH, S), OW = outSize(W + 2 * pad, KW, S);
  if (OH <= 0 || OW <= 0) return 16;
  const fwd = passScratch(C, H, W, O, KH, KW, pad, pad, S); // also bwdDataCols' (S > 1)
  if (S > 1) return max(16, fwd);
  const bwd = lines(C * O * KH * KW) + passScratch(O, OH, OW, C, KH, KW, KH - 1 - pad, KW - 1 - pad, 1);
  return max(16, max(fwd, bwd));
}

/**
 * col (K, g·P) = the unrolled patches of images [n, n+g) of x (N,C,H,W), each padded through the
 * zero-bordered buffer xp (C,Hp,Wp) first. Shared by the forward and the weight-gradient pass.
 */
function gatherGroup(x: usize, xp: usize, col: usize, n: i32, g: i32, C: i32, H: i32, W: i32,
  padH: i32, padW: i32, KH: i32, KW: i32, S: i32, scale: usize, shift: usize): void {
  const Hp = H + 2 * padH, Wp = W + 2 * padW, OH = outSize(Hp, KH, S), OW = outSize(Wp, KW, S), P = OH * OW;
  if (scale) {
    bnGatherGroup(x, xp, col, n, g, C, H, W, padH, padW, KH, KW, S, scale, shift);
    return;
  }
  for (let t = 0; t < g; t++) {
    const xn = x + <usize>((n + t) * C * H * W) * 4;
    // Without padding the image is its own zero-bordered copy: im2col reads it in place.
    if (padH == 0 && padW == 0) {
      im2col(xn, col + <usize>(t * P) * 4, g * P, C, H, W, KH, KW, OH, OW, S);
      continue;
    }
    padInto(xp, xn, C, H, W, padH, padW, Hp, Wp);
    im2col(xp, col + <usize>(t * P) * 4, g * P, C, Hp, Wp, KH, KW, OH, OW, S);
  }
}

/** gatherGroup with a BatchNorm + ReLU applied on the way (bnPadInto); its own loop, so the plain one stays as it was. */
function bnGatherGroup(x: usize, xp: usize, col: usize, n: i32, g: i32, C: i32, H: i32, W: i32,
  padH: i32, padW: i32, KH: i32, KW: i32, S: i32, scale: usize, shift: usize): void {
  const Hp = H + 2 * padH, Wp = W + 2 * padW, OH = outSize(Hp, KH, S), OW = outSize(Wp, KW, S), P = OH * OW;
  for (let t = 0; t < g; t++) {
    bnPadInto(xp, x + <usize>((n + t) * C * H * W) * 4, C, H, W, padH, padW, Hp, Wp, scale, shift);
    im2col(xp, col + <usize>(t * P) * 4, g * P, C, Hp, Wp, KH, KW, OH, OW, S);
  }
}

// ---- the two GEMM passes ----

/**
 * y (N,O,OH,OW) = conv(x (N,C,H,W), A) + b for images [n0, n1), A (O, C·KH·KW) row-major with
 * row stride ars bytes, so the plain and the flipped-transposed kernel share this routine.
 * implicit: where it applies (and there is no bias or input BatchNorm), the GEMM reads the image in
 * place (implicitForward) instead of from im2col's columns. Taken by the backward-data pass only:
 * there the column matrix is large (O·KH·KW
 * rows of a padded dy against few output channels) and skipping it measured 1.1–1.3× faster
 * (6 → 10 and 10 → 12 channels, 26×26 and 12×12, unpadded); for the forward passes it was no
 * faster, and slower with one input channel (9 rows, each now a table load).
 */
function convForward(x: usize, a: usize, ars: usize, b: usize, y: usize, n0: i32, n1: i32,
  C: i32, H: i32, W: i32, O: i32, KH: i32, KW: i32, padH: i32, padW: i32, S: i32, scratch: usize, scale: usize, shift: usize,
  implicit: bool): void {
  const Hp = H + 2 * padH, Wp = W + 2 * padW, OH = outSize(Hp, KH, S), OW = outSize(Wp, KW, S);
  const P = OH * OW, K = C * KH * KW, G = groupOf(P);
  const xp = scratch, col = xp + <usize>xpLines(C, Hp, Wp) * 4, out = col + <usize>lines(K * G * P) * 4;
  const ap = out + <usize>lines(O * max(G * P, implicitCols(OH, Wp))) * 4;
  packA(O, K, a, ars, 4, ap);
  zero(xp, xpLines(C, Hp, Wp));
  if (implicit && !b && !scale && S == 1 && G == 1 && (P & 3) == 0) {
    implicitForward(x, ap, y, n0, n1, C, H, W, O, KH, KW, padH, padW, xp, col, out);
    return;
  }
  for (let n = n0; n < n1; n += G) {
    const g = min(G, n1 - n), L = g * P;
    gatherGroup(x, xp, col, n, g, C, H, W, padH, padW, KH, KW, S, scale, shift);
    if (g == 1) {
      // Straight into y; the bias (if any) is added in place while the rows are still in cache.
      const yn = y + <usize>(n * O * P) * 4;
      gemmPacked(O, P, K, ap, col, P, yn, P, 0);
      if (b) for (let o = 0; o < O; o++) copyBias(yn + <usize>(o * P) * 4, yn + <usize>(o * P) * 4, P, load<f32>(b + (<usize>o << 2)));
    } else {
      gemmPacked(O, L, K, ap, col, L, out, L, 0); // out: (O, G·P)
      for (let t = 0; t < g; t++) {
        for (let o = 0; o < O; o++) {
          const bias: f32 = b ? load<f32>(b + (<usize>o << 2)) : 0;
          copyBias(y + <usize>(((n + t) * O + o) * P) * 4, out + <usize>(o * L + t * P) * 4, P, bias);
        }
      }
    }
  }
}

/**
 * convForward for stride 1, one image per GEMM (P > 128), P % 4 == 0, no bias and no input
 * BatchNorm (the backward-data pass), without im2col: B's row (c,i,j) is read in place from xp at
 * offset (c·Hp + i)·Wp + j (a table in col), over the output rows at xp's row stride, so each row of
 * out (O, implicitCols) holds Wp − OW junk columns that are not copied to y. Each real output gets
 * the operations im2col + gemmPacked give it (no column in either GEMM takes the scalar tail), so
 * the same bits.
 */
function implicitForward(x: usize, ap: usize, y: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32, O: i32,
  KH: i32, KW: i32, padH: i32, padW: i32, xp: usize, rows: usize, out: usize): void {
  const Hp = H + 2 * padH, Wp = W + 2 * padW, OH = Hp - KH + 1, OW = Wp - KW + 1, P = OH * OW, K = C * KH * KW;
  const N = implicitCols(OH, Wp);
  let k = 0;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++, k++) store<i32>(rows + (<usize>k << 2), ((c * Hp + i) * Wp + j) << 2);
  }
  for (let n = n0; n < n1; n++) {
    const xn = x + <usize>(n * C * H * W) * 4, yn = y + <usize>(n * O * P) * 4;
    padInto(xp, xn, C, H, W, padH, padW, Hp, Wp);
    gemmPackedRows(O, N, K, ap, xp, rows, out, N, 0);
    for (let o = 0; o < O; o++) {
      for (let oy = 0; oy < OH; oy++) copy(yn + <usize>(o * P + oy * OW) * 4, out + <usize>(o * N + oy * Wp) * 4, OW);
    }
  }
}

/** dw (O, K) += Σ_n dy_n (O, P) · col_n (K, P)ᵀ over images [n0, n1). */
function bwdWeight(dy: usize, x: usize, dw: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32,
  O: i32, KH: i32, KW: i32, pad: i32, S: i32, scratch: usize, scale: usize, shift: usize): void {
  const Hp = H + 2 * pad, Wp = W + 2 * pad, OH = outSize(Hp, KH, S), OW = outSize(Wp, KW, S);
  const P = OH * OW, K = C * KH * KW, G = groupOf(P);
  const xp = scratch, col = xp + <usize>xpLines(C, Hp, Wp) * 4, dyg = col + <usize>lines(K * G * P) * 4;
  zero(xp, C * Hp * Wp);
  for (let n = n0; n < n1; n += G) {
    const g = min(G, n1 - n), L = g * P;
    gatherGroup(x, xp, col, n, g, C, H, W, pad, pad, KH, KW, S, scale, shift);
    gemmNTStrided(O, K, L, dyGroup(dy, dyg, n, g, O, P), L, col, L, dw, K, 1);
  }
}

/**
 * dy of images [n, n+g) as one (O, g·P) matrix whose columns line up with col's: the images' own
 * rows when g = 1, else copied side by side into dyg.
 */
function dyGroup(dy: usize, dyg: usize, n: i32, g: i32, O: i32, P: i32): usize {
  const a = dy + <usize>(n * O * P) * 4;
  if (g == 1) return a;
  const L = g * P;
  for (let t = 0; t < g; t++) {
    for (let o = 0; o < O; o++) copy(dyg + <usize>(o * L + t * P) * 4, a + <usize>((t * O + o) * P) * 4, P);
  }
  return dyg;
}

/**
 * dx (N,C,H,W) for images [n0, n1) of a conv with stride S > 1, overwritten: per group of images,
 * dcol (K, g·P) = wᵀ · dy, w (O, K) read transposed through strides; then per image, col2im into
 * the zeroed buffer xp (C,Hp,Wp) and its interior copied out (a negative pad in padInto crops).
 */
function bwdDataCols(dy: usize, w: usize, dx: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32,
  O: i32, KH: i32, KW: i32, pad: i32, S: i32, scratch: usize): void {
  const Hp = H + 2 * pad, Wp = W + 2 * pad, OH = outSize(Hp, KH, S), OW = outSize(Wp, KW, S);
  const P = OH * OW, K = C * KH * KW, G = groupOf(P);
  const xp = scratch, col = xp + <usize>xpLines(C, Hp, Wp) * 4, dyg = col + <usize>lines(K * G * P) * 4;
  const ap = dyg + <usize>lines(O * G * P) * 4;
  packA(K, O, w, 4, <usize>K * 4, ap); // wᵀ (K, O)
  for (let n = n0; n < n1; n += G) {
    const g = min(G, n1 - n), L = g * P;
    gemmPacked(K, L, O, ap, dyGroup(dy, dyg, n, g, O, P), L, col, L, 0);
    for (let t = 0; t < g; t++) {
      zero(xp, C * Hp * Wp);
      col2im(col + <usize>(t * P) * 4, L, xp, C, Hp, Wp, KH, KW, OH, OW, S);
      padInto(dx + <usize>((n + t) * C * H * W) * 4, xp, C, Hp, Wp, -pad, -pad, H, W);
    }
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
  O: i32, KH: i32, KW: i32, pad: i32, S: i32, scratch: usize, scale: usize, shift: usize): void {
  if (outSize(H + 2 * pad, KH, S) <= 0 || outSize(W + 2 * pad, KW, S) <= 0) return;
  convForward(x, w, <usize>(C * KH * KW) * 4, b, y, n0, n1, C, H, W, O, KH, KW, pad, pad, S, scratch, scale, shift, false);
}

/**
 * dx (N,C,H,W) = ∂/∂x of conv2d_fwd given dy (N,O,OH,OW), images [n0, n1), overwritten. Stride 1:
 * a stride-1 convolution of dy with wT[c,o,i,j] = w[o,c,KH-1-i,KW-1-j] and padding KH-1-pad;
 * stride > 1: bwdDataCols.
 */
export function conv2d_bwd_data(dy: usize, w: usize, dx: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32,
  O: i32, KH: i32, KW: i32, pad: i32, S: i32, scratch: usize): void {
  const OH = outSize(H + 2 * pad, KH, S), OW = outSize(W + 2 * pad, KW, S);
  if (OH <= 0 || OW <= 0) {
    for (let n = n0; n < n1; n++) zero(dx + <usize>(n * C * H * W) * 4, C * H * W);
    return;
  }
  if (S > 1) {
    bwdDataCols(dy, w, dx, n0, n1, C, H, W, O, KH, KW, pad, S, scratch);
    return;
  }
  const T = KH * KW, K = O * T;
  const wT = scratch; // wT: (C, O, KH, KW)
  for (let c = 0; c < C; c++) {
    for (let o = 0; o < O; o++) {
      const src = w + <usize>((o * C + c) * T) * 4, dst = wT + <usize>(c * K + o * T) * 4;
      for (let t = 0; t < T; t++) store<f32>(dst + (<usize>t << 2), load<f32>(src + <usize>(T - 1 - t) * 4));
    }
  }
  convForward(dy, wT, <usize>K * 4, 0, dx, n0, n1, O, OH, OW, C, KH, KW, KH - 1 - pad, KW - 1 - pad, 1,
    scratch + <usize>lines(C * K) * 4, 0, 0, true);
}

/**
 * dw (O,C,KH,KW) += ∂/∂w and db (O) += Σ dy over images [n0, n1) and pixels (db == 0: skipped).
 * Accumulates, so each thread owns its dw/db and the caller sums them.
 */
export function conv2d_bwd_weight(dy: usize, x: usize, dw: usize, db: usize, n0: i32, n1: i32, C: i32, H: i32,
  W: i32, O: i32, KH: i32, KW: i32, pad: i32, S: i32, scratch: usize, scale: usize, shift: usize): void {
  const OH = outSize(H + 2 * pad, KH, S), OW = outSize(W + 2 * pad, KW, S);
  if (OH <= 0 || OW <= 0) return;
  bwdWeight(dy, x, dw, n0, n1, C, H, W, O, KH, KW, pad, S, scratch, scale, shift);
  if (db) biasGrad(dy, db, n0, n1, O, OH * OW);
}
