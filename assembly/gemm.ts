// Register-tiled f32x4 matrix multiply: the engine of the convolutions (assembly/conv.ts,
// conv1x1.ts and conv_winograd.ts turn each conv pass into these products). Row-major, any sizes,
// no allocation: only locals, loads and stores, so every pool thread can run it on the shared
// memory. The micro-kernel here, nn: C[4×8] += Σ_k A[r,k] ⊗ B[k, 0..8] (splat of A, two vector
// rows of B; 8 accumulators), A packed in 4-row blocks first (packA, below); B's rows either
// row-major or, for an implicit GEMM, at a table of offsets. The dot-product kernel (nt) is in
// gemm_nt.ts.
// Helpers shared with the conv files are @global (visible there without an import) so that they
// do not become wasm exports.

/** acc + a·b, fused when relaxed SIMD is compiled in (the branch folds away at compile time). */
// @ts-ignore: decorator
@global @inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(f32x4.mul(a, b), acc);
}

// ---- nn: A (M,K) via strides · B (K,N) rows ----

/**
 * B's row k for the micro-kernels: rows == 0, the next row of a row-major B (b advances by ldb);
 * else at b + rows[k] (an i32 byte offset per k: an implicit GEMM's B, read in place). Inlined with
 * a constant `indirect`, so each kernel compiles to one form.
 */
// @ts-ignore: decorator
@inline function rowOf(b: usize, r: usize, indirect: bool): usize {
  return indirect ? b + <usize>load<i32>(r) : b;
}

/**
 * Row tail: one row of A times `nv` vectors (1 or 4) of B. Four independent accumulators hide the
 * FMA latency that a single row would otherwise expose.
 */
// @ts-ignore: decorator
@inline function nn1xvCore(K: i32, a: usize, aks: usize, b: usize, ldb: usize, rows: usize, c: usize, nv: i32, acc: i32, indirect: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  for (let k = 0; k < K; k++) {
    const s = v128.load32_splat(a), bk = rowOf(b, rows, indirect);
    c0 = madd(s, v128.load(bk), c0);
    if (nv > 1) {
      c1 = madd(s, v128.load(bk, 16), c1);
      c2 = madd(s, v128.load(bk, 32), c2);
      c3 = madd(s, v128.load(bk, 48), c3);
    }
    a += aks;
    if (indirect) rows += 4;
    else b += ldb;
  }
  if (acc) c0 = f32x4.add(c0, v128.load(c));
  v128.store(c, c0);
  if (nv > 1) {
    if (acc) {
      c1 = f32x4.add(c1, v128.load(c, 16));
      c2 = f32x4.add(c2, v128.load(c, 32));
      c3 = f32x4.add(c3, v128.load(c, 48));
    }
    v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
  }
}

function nn1xv(K: i32, a: usize, aks: usize, b: usize, ldb: usize, c: usize, nv: i32, acc: i32): void {
  nn1xvCore(K, a, aks, b, ldb, 0, c, nv, acc, false);
}

function nn1xvi(K: i32, a: usize, aks: usize, b: usize, rows: usize, c: usize, nv: i32, acc: i32): void {
  nn1xvCore(K, a, aks, b, 0, rows, c, nv, acc, true);
}

/**
 * Two rows of A (at a and a + ars) times `nv` vectors (1 or 4) of B: 2·nv accumulators, each row's
 * splat shared by the nv vectors and each B vector by both rows (8 independent sums at nv = 4,
 * where one row alone has 4). Each element is still Σ_k from +0 in k order by madd, as in nn1xv.
 */
// @ts-ignore: decorator
@inline function nn2xvCore(K: i32, a: usize, ars: usize, aks: usize, b: usize, ldb: usize, rows: usize, c: usize, ldcB: usize,
  nv: i32, acc: i32, indirect: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0), d2 = f32x4.splat(0), d3 = f32x4.splat(0);
  for (let k = 0; k < K; k++) {
    const s = v128.load32_splat(a), t = v128.load32_splat(a + ars), bk = rowOf(b, rows, indirect);
    const b0 = v128.load(bk);
    c0 = madd(s, b0, c0); d0 = madd(t, b0, d0);
    if (nv > 1) {
      const b1 = v128.load(bk, 16), b2 = v128.load(bk, 32), b3 = v128.load(bk, 48);
      c1 = madd(s, b1, c1); d1 = madd(t, b1, d1);
      c2 = madd(s, b2, c2); d2 = madd(t, b2, d2);
      c3 = madd(s, b3, c3); d3 = madd(t, b3, d3);
    }
    a += aks;
    if (indirect) rows += 4;
    else b += ldb;
  }
  const e = c + ldcB;
  if (acc) { c0 = f32x4.add(c0, v128.load(c)); d0 = f32x4.add(d0, v128.load(e)); }
  v128.store(c, c0); v128.store(e, d0);
  if (nv > 1) {
    if (acc) {
      c1 = f32x4.add(c1, v128.load(c, 16)); c2 = f32x4.add(c2, v128.load(c, 32)); c3 = f32x4.add(c3, v128.load(c, 48));
      d1 = f32x4.add(d1, v128.load(e, 16)); d2 = f32x4.add(d2, v128.load(e, 32)); d3 = f32x4.add(d3, v128.load(e, 48));
    }
    v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
    v128.store(e, d1, 16); v128.store(e, d2, 32); v128.store(e, d3, 48);
  }
}

function nn2xv(K: i32, a: usize, ars: usize, aks: usize, b: usize, ldb: usize, c: usize, ldcB: usize, nv: i32, acc: i32): void {
  nn2xvCore(K, a, ars, aks, b, ldb, 0, c, ldcB, nv, acc, false);
}

function nn2xvi(K: i32, a: usize, ars: usize, aks: usize, b: usize, rows: usize, c: usize, ldcB: usize, nv: i32, acc: i32): void {
  nn2xvCore(K, a, ars, aks, b, 0, rows, c, ldcB, nv, acc, true);
}

/**
 * C(M,N) (+)= A(M,K)·B(K,N) two rows at a time (nn2xv), then one: columns by 16, then 4, then one
 * at a time (row-major B only: an implicit GEMM's N % 4 == 0). A[i,k] is at a + i*ars + k*aks
 * (bytes); B's rows as rowOf (row stride ldbB bytes, or the table rows); C row-major (row stride
 * ldcB bytes). gemmPacked's and gemmPackedRows' last M % 4 rows.
 */
// @ts-ignore: decorator
@inline function rowsCore(M: i32, N: i32, K: i32, a: usize, ars: usize, aks: usize, b: usize, ldbB: usize, rows: usize,
  c: usize, ldcB: usize, acc: i32, indirect: bool): void {
  let i = 0;
  for (; i + 2 <= M; i += 2) {
    const ai = a + <usize>i * ars, ci = c + <usize>i * ldcB;
    let j = 0;
    for (; j + 16 <= N; j += 16) {
      if (indirect) nn2xvi(K, ai, ars, aks, b + (<usize>j << 2), rows, ci + (<usize>j << 2), ldcB, 4, acc);
      else nn2xv(K, ai, ars, aks, b + (<usize>j << 2), ldbB, ci + (<usize>j << 2), ldcB, 4, acc);
    }
    for (; j + 4 <= N; j += 4) {
      if (indirect) nn2xvi(K, ai, ars, aks, b + (<usize>j << 2), rows, ci + (<usize>j << 2), ldcB, 1, acc);
      else nn2xv(K, ai, ars, aks, b + (<usize>j << 2), ldbB, ci + (<usize>j << 2), ldcB, 1, acc);
    }
    if (!indirect) {
      for (; j < N; j++) {
        nn1x1(K, ai, aks, b + (<usize>j << 2), ldbB, ci + (<usize>j << 2), acc);
        nn1x1(K, ai + ars, aks, b + (<usize>j << 2), ldbB, ci + ldcB + (<usize>j << 2), acc);
      }
    }
  }
  for (; i < M; i++) {
    const ai = a + <usize>i * ars, ci = c + <usize>i * ldcB;
    let j = 0;
    for (; j + 16 <= N; j += 16) {
      if (indirect) nn1xvi(K, ai, aks, b + (<usize>j << 2), rows, ci + (<usize>j << 2), 4, acc);
      else nn1xv(K, ai, aks, b + (<usize>j << 2), ldbB, ci + (<usize>j << 2), 4, acc);
    }
    for (; j + 4 <= N; j += 4) {
      if (indirect) nn1xvi(K, ai, aks, b + (<usize>j << 2), rows, ci + (<usize>j << 2), 1, acc);
      else nn1xv(K, ai, aks, b + (<usize>j << 2), ldbB, ci + (<usize>j << 2), 1, acc);
    }
    if (!indirect) for (; j < N; j++) nn1x1(K, ai, aks, b + (<usize>j << 2), ldbB, ci + (<usize>j << 2), acc);
  }
}

/** One element: C[0,0] (+)= Σ_k A[0,k]·B[k,0]. */
function nn1x1(K: i32, a: usize, aks: usize, b: usize, ldb: usize, c: usize, acc: i32): void {
  let s: f32 = 0;
  for (let k = 0; k < K; k++) {
    s += load<f32>(a) * load<f32>(b);
    a += aks;
    b += ldb;
  }
  store<f32>(c, acc ? load<f32>(c) + s : s);
}

// ---- packed A: the same products in the same order, A's 4-row blocks read from one pointer ----
// Layout of a packed (M, K) matrix (packA): the rows [0, M4), M4 = M & ~3, as M4/4 blocks of
// (K, 4), block b's value at k for row 4b + r at (b·K + k)·4 + r; then the last M − M4 rows as
// they are (row-major). The micro-kernels then load a block's 4 values at k at constant offsets
// from one pointer, where row-major A costs four address computations per k: measured 1.3–1.4×
// the multiply-adds per second (Winograd's plane products, 8–32 rows, and an im2col product).
// Each element is still Σ_k from 0 in k order, by the same madd or scalar steps as with row-major
// A, so the results have the same bits.

/** Index (floats) of A[i, k] in a packed (M, K) matrix. */
// @ts-ignore: decorator
@inline export function packedIndex(i: i32, k: i32, M: i32, K: i32): i32 {
  const M4 = M & ~3;
  return i < M4 ? ((i >> 2) * K + k) * 4 + (i & 3) : M4 * K + (i - M4) * K + k;
}

/** ap = A (M, K) packed, A[i, k] read at a + i·ars + k·aks (bytes). */
// @ts-ignore: decorator
@global function packA(M: i32, K: i32, a: usize, ars: usize, aks: usize, ap: usize): void {
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) store<f32>(ap + (<usize>packedIndex(i, k, M, K) << 2), load<f32>(a + <usize>i * ars + <usize>k * aks));
  }
}

/** C[4×8] (+)= a packed block ap (K, 4) · B's 8 columns from b (rows: see rowOf). */
// @ts-ignore: decorator
@inline function nn4x8Core(K: i32, ap: usize, b: usize, ldb: usize, rows: usize, c: usize, ldc: usize, acc: i32, indirect: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = ap + (<usize>K << 4);
  for (; ap < end; ap += 16) {
    const bk = rowOf(b, rows, indirect);
    const b0 = v128.load(bk), b1 = v128.load(bk, 16);
    let s = v128.load32_splat(ap);
    c00 = madd(s, b0, c00); c01 = madd(s, b1, c01);
    s = v128.load32_splat(ap, 4);
    c10 = madd(s, b0, c10); c11 = madd(s, b1, c11);
    s = v128.load32_splat(ap, 8);
    c20 = madd(s, b0, c20); c21 = madd(s, b1, c21);
    s = v128.load32_splat(ap, 12);
    c30 = madd(s, b0, c30); c31 = madd(s, b1, c31);
    if (indirect) rows += 4;
    else b += ldb;
  }
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  if (acc) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(r1)); c11 = f32x4.add(c11, v128.load(r1, 16));
    c20 = f32x4.add(c20, v128.load(r2)); c21 = f32x4.add(c21, v128.load(r2, 16));
    c30 = f32x4.add(c30, v128.load(r3)); c31 = f32x4.add(c31, v128.load(r3, 16));
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(r1, c10); v128.store(r1, c11, 16);
  v128.store(r2, c20); v128.store(r2, c21, 16);
  v128.store(r3, c30); v128.store(r3, c31, 16);
}

function nn4x8p(K: i32, ap: usize, b: usize, ldb: usize, c: usize, ldc: usize, acc: i32): void {
  nn4x8Core(K, ap, b, ldb, 0, c, ldc, acc, false);
}

function nn4x8pi(K: i32, ap: usize, b: usize, rows: usize, c: usize, ldc: usize, acc: i32): void {
  nn4x8Core(K, ap, b, 0, rows, c, ldc, acc, true);
}

/** C[4×4] (+)= a packed block ap (K, 4) · B's 4 columns from b (rows: see rowOf). */
// @ts-ignore: decorator
@inline function nn4x4Core(K: i32, ap: usize, b: usize, ldb: usize, rows: usize, c: usize, ldc: usize, acc: i32, indirect: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const end = ap + (<usize>K << 4);
  for (; ap < end; ap += 16) {
    const b0 = v128.load(rowOf(b, rows, indirect));
    c0 = madd(v128.load32_splat(ap), b0, c0);
    c1 = madd(v128.load32_splat(ap, 4), b0, c1);
    c2 = madd(v128.load32_splat(ap, 8), b0, c2);
    c3 = madd(v128.load32_splat(ap, 12), b0, c3);
    if (indirect) rows += 4;
    else b += ldb;
  }
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  if (acc) {
    c0 = f32x4.add(c0, v128.load(c)); c1 = f32x4.add(c1, v128.load(r1));
    c2 = f32x4.add(c2, v128.load(r2)); c3 = f32x4.add(c3, v128.load(r3));
  }
  v128.store(c, c0); v128.store(r1, c1); v128.store(r2, c2); v128.store(r3, c3);
}

function nn4x4p(K: i32, ap: usize, b: usize, ldb: usize, c: usize, ldc: usize, acc: i32): void {
  nn4x4Core(K, ap, b, ldb, 0, c, ldc, acc, false);
}

function nn4x4pi(K: i32, ap: usize, b: usize, rows: usize, c: usize, ldc: usize, acc: i32): void {
  nn4x4Core(K, ap, b, 0, rows, c, ldc, acc, true);
}

/**
 * C(M,N) (+)= A(M,K)·B(K,N) with A packed (packA); B's rows as rowOf (row-major with leading
 * dimension ldb floats, or at the table rows: then N % 4 == 0 and no column takes the scalar tail);
 * C row-major (ldc floats). Rows in blocks of 4 (columns by 8, then 4, then one at a time), then the
 * last M % 4 rows (rowsCore). Column panels of B (K×8) stay in L1 across all row blocks.
 */
// @ts-ignore: decorator
@inline function packedCore(M: i32, N: i32, K: i32, ap: usize, b: usize, ldb: i32, rows: usize, c: usize, ldc: i32, acc: i32,
  indirect: bool): void {
  const ldbB = <usize>ldb << 2, ldcB = <usize>ldc << 2, blockB = <usize>K << 4;
  const M4 = M & ~3;
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    const bj = b + (<usize>j << 2), cj = c + (<usize>j << 2);
    for (let i = 0; i < M4; i += 4) {
      if (indirect) nn4x8pi(K, ap + <usize>(i >> 2) * blockB, bj, rows, cj + <usize>i * ldcB, ldcB, acc);
      else nn4x8p(K, ap + <usize>(i >> 2) * blockB, bj, ldbB, cj + <usize>i * ldcB, ldcB, acc);
    }
  }
  if (j + 4 <= N) {
    const bj = b + (<usize>j << 2), cj = c + (<usize>j << 2);
    for (let i = 0; i < M4; i += 4) {
      if (indirect) nn4x4pi(K, ap + <usize>(i >> 2) * blockB, bj, rows, cj + <usize>i * ldcB, ldcB, acc);
      else nn4x4p(K, ap + <usize>(i >> 2) * blockB, bj, ldbB, cj + <usize>i * ldcB, ldcB, acc);
    }
    j += 4;
  }
  if (!indirect) {
    for (; j < N; j++) {
      for (let i = 0; i < M4; i++) nn1x1(K, ap + <usize>(i >> 2) * blockB + (<usize>(i & 3) << 2), 16, b + (<usize>j << 2), ldbB, c + <usize>i * ldcB + (<usize>j << 2), acc);
    }
  }
  // The last M % 4 rows, stored as they are after the blocks.
  if (M4 < M) rowsCore(M - M4, N, K, ap + (<usize>packedIndex(M4, 0, M, K) << 2), <usize>K << 2, 4, b, ldbB, rows, c + <usize>M4 * ldcB, ldcB, acc, indirect);
}

/** C(M,N) (+)= A(M,K)·B(K,N) with A packed (packA); B and C row-major with leading dimensions ldb, ldc (floats). */
// @ts-ignore: decorator
@global function gemmPacked(M: i32, N: i32, K: i32, ap: usize, b: usize, ldb: i32, c: usize, ldc: i32, acc: i32): void {
  packedCore(M, N, K, ap, b, ldb, 0, c, ldc, acc, false);
}

/**
 * gemmPacked with B's row k read at b + rows[k] (i32 byte offsets; an implicit GEMM), N % 4 == 0:
 * the same panels and steps, so each element gets the same operations as from gemmPacked on a
 * written-out B (there, N % 4 == 0 too, so no column takes the scalar tail).
 */
// @ts-ignore: decorator
@global function gemmPackedRows(M: i32, N: i32, K: i32, ap: usize, b: usize, rows: usize, c: usize, ldc: i32, acc: i32): void {
  packedCore(M, N, K, ap, b, 0, rows, c, ldc, acc, true);
}

// ---- exports ----

/** C(M,N) = A(M,K)·B(K,N), or += when accumulate != 0. All row-major; scratch: M·K floats (A packed). */
export function gemm(M: i32, N: i32, K: i32, A: usize, B: usize, C: usize, accumulate: i32, scratch: usize): void {
  packA(M, K, A, <usize>K << 2, 4, scratch);
  gemmPacked(M, N, K, scratch, B, N, C, N, accumulate);
}

/** C(M,N) = Aᵀ·B with A given as (K,M) (Linear backward: dW = dYᵀ·X); scratch: M·K floats. */
export function gemm_tn(M: i32, N: i32, K: i32, A: usize, B: usize, C: usize, accumulate: i32, scratch: usize): void {
  packA(M, K, A, 4, <usize>M << 2, scratch);
  gemmPacked(M, N, K, scratch, B, N, C, N, accumulate);
}
