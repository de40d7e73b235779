// The dot-product GEMM: C(M,N) (+)= A(M,K)·Bt(N,K)ᵀ with both operands' rows contiguous along k,
// for the weight gradients (conv.ts, conv1x1.ts, conv_winograd.ts: sums over the pixels) and the
// linear layer's backward pass. Micro-kernel nt4x2: C[4×2] += Σ_k A[r,k] · Bt[j,k] (vector dot products
// along k, horizontal sum at the end, a scalar tail for K % 4). Each element's lanes follow k, so the
// order of its additions is fixed by K alone. madd (fused or not, as the build) is gemm.ts's.

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/**
 * Dot products of `nr` rows of A (≤ 4) with `nc` rows of Bt (≤ 2), over K (vector body + scalar
 * tail); element (r, j) goes to c + r·rs + j·cs (bytes). A block's last M % 4 = 1 or 2 rows call it
 * with the operands swapped (4 rows of Bt, 2 of A, rs and cs exchanged) rather than padding those
 * rows out to 4 aliased ones (25–50% of the multiply-adds wasted); the products commute, so each
 * element's bits are the same either way.
 */
function nt4x2(K: i32, a: usize, lda: usize, b: usize, ldb: usize, c: usize, rs: usize, cs: usize, nr: i32, nc: i32, acc: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  // Rows past nr / nc alias the last valid row: harmless extra work, results not stored.
  const a1 = nr > 1 ? a + lda : a, a2 = nr > 2 ? a + 2 * lda : a1, a3 = nr > 3 ? a + 3 * lda : a2;
  const b1 = nc > 1 ? b + ldb : b;
  const K4 = K & ~3;
  let off: usize = 0;
  for (let k = 0; k < K4; k += 4) {
    const x0 = v128.load(b + off), x1 = v128.load(b1 + off);
    let s = v128.load(a + off);
    c00 = madd(s, x0, c00); c01 = madd(s, x1, c01);
    s = v128.load(a1 + off);
    c10 = madd(s, x0, c10); c11 = madd(s, x1, c11);
    s = v128.load(a2 + off);
    c20 = madd(s, x0, c20); c21 = madd(s, x1, c21);
    s = v128.load(a3 + off);
    c30 = madd(s, x0, c30); c31 = madd(s, x1, c31);
    off += 16;
  }
  let t00 = hsum(c00), t01 = hsum(c01), t10 = hsum(c10), t11 = hsum(c11);
  let t20 = hsum(c20), t21 = hsum(c21), t30 = hsum(c30), t31 = hsum(c31);
  for (let k = K4; k < K; k++) {
    const o = <usize>k << 2;
    const x0 = load<f32>(b + o), x1 = load<f32>(b1 + o);
    const v0 = load<f32>(a + o), v1 = load<f32>(a1 + o), v2 = load<f32>(a2 + o), v3 = load<f32>(a3 + o);
    t00 += v0 * x0; t01 += v0 * x1; t10 += v1 * x0; t11 += v1 * x1;
    t20 += v2 * x0; t21 += v2 * x1; t30 += v3 * x0; t31 += v3 * x1;
  }
  putPair(c, t00, t01, cs, nc, acc);
  if (nr > 1) putPair(c + rs, t10, t11, cs, nc, acc);
  if (nr > 2) putPair(c + 2 * rs, t20, t21, cs, nc, acc);
  if (nr > 3) putPair(c + 3 * rs, t30, t31, cs, nc, acc);
}

/** c[0] and, nc > 1, c[cs bytes on] (+)= v0, v1. */
// @ts-ignore: decorator
@inline function putPair(c: usize, v0: f32, v1: f32, cs: usize, nc: i32, acc: i32): void {
  store<f32>(c, acc ? load<f32>(c) + v0 : v0);
  if (nc > 1) store<f32>(c + cs, acc ? load<f32>(c + cs) + v1 : v1);
}

/** C(M,N) (+)= A(M,K)·Bt(N,K)ᵀ; leading dimensions in floats. */
// @ts-ignore: decorator
@global function gemmNTStrided(M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32,
  c: usize, ldc: i32, acc: i32): void {
  const ldaB = <usize>lda << 2, ldbB = <usize>ldb << 2, ldcB = <usize>ldc << 2;
  for (let i = 0; i < M; i += 4) {
    const nr = min(4, M - i);
    const ai = a + <usize>i * ldaB, ci = c + <usize>i * ldcB;
    if (nr <= 2) {
      // Transposed: 4 rows of Bt against the 2 of A, C's columns as the kernel's rows.
      for (let j = 0; j < N; j += 4) nt4x2(K, b + <usize>j * ldbB, ldbB, ai, ldaB, ci + (<usize>j << 2), 4, ldcB, min(4, N - j), nr, acc);
      continue;
    }
    for (let j = 0; j < N; j += 2) {
      nt4x2(K, ai, ldaB, b + <usize>j * ldbB, ldbB, ci + (<usize>j << 2), ldcB, 4, nr, min(2, N - j), acc);
    }
  }
}

/** C(M,N) = A(M,K)·Bᵀ with B given as (N,K) (Linear backward: dX = dY·W). */
export function gemm_nt(M: i32, N: i32, K: i32, A: usize, B: usize, C: usize, accumulate: i32): void {
  gemmNTStrided(M, N, K, A, K, B, K, C, N, accumulate);
}
