// Winograd F(4×4, 3×3) transforms of the data side (the kernel side is in winograd_kernel.ts): 6×6
// input tiles, 36 planes, 2.25 multiplies per output and channel pair where F(2×2, 3×3)
// (winograd.ts) needs 4 and the direct convolution 9. Same plane
// layout and tile order as winograd.ts (tile t = image·th·tw + ty·tw + tx, plane = 6·row + column).
// Sizes need not be multiples of 4: tiles past the image read zeros, their outputs are cropped.
// Vectorised over 4 consecutive tiles, whose columns are strided by 4, so images are first copied
// into buffers whose rows are split into 4 phases (columns ≡ 0, 1, 2, 3 mod 4): column 4tx+k of 4
// tiles is then the vector at phase k%4, index tx + k/4. A group of 4 may end one tile row and start
// the next (flatGroup), its lanes blended from two loads, so narrow images fill every lane. Each 2-D
// transform is two 1-D passes through `tmp` (36 vectors of per-thread scratch): along the columns of
// each row, then the rows. The A-side transforms (output, gradient) are in winograd4_out.ts.
// Matrices (Lavin & Gray 2016; checked in numpy against the direct convolution):
//   Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
import { storeN } from './winograd';

/**
 * Floats per phase of a phase-split row with tw tiles: tw + 1 are read (one tile's overhang), and 3
 * more take the zeros that deinterleave4's last, masked block of a row stores past the image.
 */
// @ts-ignore: decorator
@inline export function phaseLen(tw: i32): i32 {
  return tw + 4;
}

/** Floats per row of a phase-split buffer: 4 phases. */
// @ts-ignore: decorator
@inline export function phaseRow(tw: i32): i32 {
  return 4 * phaseLen(tw);
}

/**
 * x (C,H,W) into xq (C, rows, phaseRow(tw)) at padded offset (p, p): padded column q goes to phase
 * q % 4, index q / 4. The caller zeroes xq once (borders, and the overhang past the image).
 * 16 source columns at a time: a 4×4 lane transpose gives each phase 4 consecutive values, stored
 * as whole vectors. A row's last block has its columns past the row masked to zero, so its stores
 * write zeros where the image ends (within phaseLen). Loads may run past a row into the next ones
 * of the same image; the image's last block goes through `tmp` (16 floats) so that nothing past x
 * is read. scale != 0: the copy is of max(x·scale[c] + shift[c], 0), BatchNorm + ReLU applied on the
 * way with bn_apply's operations (so the same bits as copying bn_apply's output).
 */
export function deinterleave4(xq: usize, x: usize, C: i32, H: i32, W: i32, rows: i32, tw: i32, p: i32, tmp: usize, scale: usize, shift: usize): void {
  const S = phaseLen(tw), L = phaseRow(tw), total = C * H * W;
  const jt = (W - 1) & ~15, left = W - jt; // the last block: columns [jt, W)
  const m0 = laneMask(left, 0), m1 = laneMask(left, 4), m2 = laneMask(left, 8), m3 = laneMask(left, 12);
  // Byte offsets of t_k's phase and index: padded column j + k + p is phase (k+p)%4, index j/4 + (k+p)/4.
  const o0 = phaseAt(S, p), o1 = phaseAt(S, p + 1), o2 = phaseAt(S, p + 2), o3 = phaseAt(S, p + 3);
  for (let c = 0; c < C; c++) {
    const xc = x + (<usize>(c * H * W) << 2), qc = xq + (<usize>(c * rows * L) << 2);
    const left0 = total - c * H * W; // floats of x from this channel on
    // Two instantiations, so that the plain copy carries no BatchNorm arithmetic.
    if (scale) {
      const av = f32x4.splat(load<f32>(scale + (<usize>c << 2))), bv = f32x4.splat(load<f32>(shift + (<usize>c << 2)));
      channelRows(qc, xc, H, W, L, p, jt, left, left0, m0, m1, m2, m3, o0, o1, o2, o3, tmp, true, av, bv);
    } else {
      channelRows(qc, xc, H, W, L, p, jt, left, left0, m0, m1, m2, m3, o0, o1, o2, o3, tmp, false, m0, m0);
    }
  }
}

/** deinterleave4 of one channel xc (H,W) into qc: its rows, full blocks then the masked last one. */
// @ts-ignore: decorator
@inline function channelRows(qc: usize, xc: usize, H: i32, W: i32, L: i32, p: i32, jt: i32, left: i32, avail: i32,
  m0: v128, m1: v128, m2: v128, m3: v128, o0: usize, o1: usize, o2: usize, o3: usize, tmp: usize, bn: bool, av: v128, bv: v128): void {
  for (let iy = 0; iy < H; iy++) {
    const row = qc + (<usize>((iy + p) * L) << 2);
    const src = xc + (<usize>(iy * W) << 2);
    for (let j = 0; j < jt; j += 16) {
      const s = src + (<usize>j << 2);
      transposeStore(bnr(v128.load(s), bn, av, bv), bnr(v128.load(s, 16), bn, av, bv), bnr(v128.load(s, 32), bn, av, bv),
        bnr(v128.load(s, 48), bn, av, bv), row + <usize>j, o0, o1, o2, o3);
    }
    let s = src + (<usize>jt << 2);
    if (iy * W + jt + 16 > avail) {
      for (let k = 0; k < left; k++) store<f32>(tmp + (<usize>k << 2), load<f32>(s + (<usize>k << 2)));
      s = tmp;
    }
    transposeStore(v128.and(bnr(v128.load(s), bn, av, bv), m0), v128.and(bnr(v128.load(s, 16), bn, av, bv), m1),
      v128.and(bnr(v128.load(s, 32), bn, av, bv), m2), v128.and(bnr(v128.load(s, 48), bn, av, bv), m3), row + <usize>jt, o0, o1, o2, o3);
  }
}

/** All-ones in the lanes i of columns first + i < left, zero elsewhere. */
// @ts-ignore: decorator
@inline export function laneMask(left: i32, first: i32): v128 {
  return i32x4.gt_s(i32x4.splat(left - first), i32x4(0, 1, 2, 3));
}

/** Byte offset, within a phase-split row, of phase q % 4 at index q / 4. */
// @ts-ignore: decorator
@inline export function phaseAt(S: i32, q: i32): usize {
  return <usize>((q & 3) * S + (q >> 2)) << 2;
}

/**
 * Source columns 0..15 of a block (v0..v3) → t_k = columns k, k+4, k+8, k+12 stored at row + o_k
 * (row already advanced by the block's first column / 4 floats).
 */
// @ts-ignore: decorator
@inline function transposeStore(v0: v128, v1: v128, v2: v128, v3: v128, row: usize, o0: usize, o1: usize, o2: usize, o3: usize): void {
  const a0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), a1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
  const a2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), a3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
  v128.store(row + o0, v128.shuffle<f32>(a0, a1, 0, 1, 4, 5));
  v128.store(row + o1, v128.shuffle<f32>(a0, a1, 2, 3, 6, 7));
  v128.store(row + o2, v128.shuffle<f32>(a2, a3, 0, 1, 4, 5));
  v128.store(row + o3, v128.shuffle<f32>(a2, a3, 2, 3, 6, 7));
}

/** Bᵀ·(d0..d5) into 6 vectors at dst + k·stride (first n lanes). */
// @ts-ignore: decorator
@inline function bt6(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, dst: usize, stride: usize, n: i32): void {
  const f4 = f32x4.splat(4), f5 = f32x4.splat(5), f2 = f32x4.splat(2);
  const a = f32x4.sub(d4, f32x4.mul(f4, d2)), b = f32x4.sub(f32x4.mul(f4, d1), d3);
  const c = f32x4.sub(d4, d2), e = f32x4.mul(f2, f32x4.sub(d3, d1));
  storeN(dst, f32x4.add(f32x4.sub(f32x4.mul(f4, d0), f32x4.mul(f5, d2)), d4), n);
  storeN(dst + stride, f32x4.sub(a, b), n);
  storeN(dst + 2 * stride, f32x4.add(a, b), n);
  storeN(dst + 3 * stride, f32x4.add(c, e), n);
  storeN(dst + 4 * stride, f32x4.sub(c, e), n);
  storeN(dst + 5 * stride, f32x4.add(f32x4.sub(f32x4.mul(f4, d1), f32x4.mul(f5, d3)), d5), n);
}

/** The column pass of column j: Bᵀ·(tmp[0][j] .. tmp[5][j]) into planes j, j+6, ... (first n lanes). */
// @ts-ignore: decorator
@inline function bt6Column(tmp: usize, j: i32, dst: usize, ps: usize, n: i32): void {
  const q = tmp + (<usize>j << 4);
  bt6(v128.load(q), v128.load(q, 96), v128.load(q, 192), v128.load(q, 288), v128.load(q, 384), v128.load(q, 480),
    dst + <usize>j * ps, 6 * ps, n);
}

/**
 * Bᵀ d B of every 6×6 tile of one phase-split, padded image xq (C, 4·th + 2, phaseRow(tw)) into
 * planes u (36 × (C, T), plane stride ps bytes) at tile columns [t0, t0 + th·tw).
 * Vectorised over 4 consecutive tiles of the image (flatGroup), which may end one tile row and
 * start the next: tw = 6 then takes 3 groups per 2 rows instead of 4, tw = 2 one instead of 2.
 */
export function inputTransform4(xq: usize, u: usize, ps: usize, T: i32, t0: i32, C: i32, th: i32, tw: i32, tmp: usize): void {
  const S = <usize>phaseLen(tw) << 2, rowB = <usize>phaseRow(tw) << 2, rows = 4 * th + 2, tiles = th * tw;
  for (let c = 0; c < C; c++) {
    const xc = xq + (<usize>(c * rows * phaseRow(tw)) << 2);
    for (let g = 0; g < tiles; ) {
      const ty = g / tw, tx = g - ty * tw, n = flatGroup(g, tiles, tw), s = tw - tx; // s: lanes in row ty
      const rA = xc + <usize>(4 * ty) * rowB + (<usize>tx << 2);
      // The second row's lanes are loaded s floats early so that its tile 0 lands in lane s (these
      // reads stay within xc: row 4·(ty+1) ≥ 4 has rows above it).
      if (n > s) bt6Rows(rA, xc + <usize>(4 * ty + 4) * rowB - (<usize>s << 2), laneMask(s, 0), S, rowB, tmp, true);
      else bt6Rows(rA, rA, laneMask(4, 0), S, rowB, tmp, false);
      const dst = u + (<usize>(c * T + t0 + g) << 2);
      // A whole group of 4 tiles stores plain vectors (n folds away); an image's last group, n lanes.
      if (n == 4) for (let j = 0; j < 6; j++) bt6Column(tmp, j, dst, ps, 4);
      else for (let j = 0; j < 6; j++) bt6Column(tmp, j, dst, ps, n);
      g += n;
    }
  }
}

/**
 * Tiles in the group that starts at flat tile g (of `tiles`, tw per row): 4, or fewer at the end of
 * the image. Lanes past a row's end continue at the next row's first tile; with tw = 1 that would
 * take 4 rows, so then a group is one tile.
 */
// @ts-ignore: decorator
@inline export function flatGroup(g: i32, tiles: i32, tw: i32): i32 {
  return tw == 1 ? 1 : min(4, tiles - g);
}

/**
 * The row pass of 4 tiles: Bᵀ along the 6 columns of each of the 6 rows from rA, into tmp[i][0..5]
 * (6 vectors per row i). two: lanes not in `mask` come from rB (the next tile row's first tiles).
 */
// @ts-ignore: decorator
@inline function bt6Rows(rA: usize, rB: usize, mask: v128, S: usize, rowB: usize, tmp: usize, two: bool): void {
  let a = rA, b = rB;
  for (let i = 0; i < 6; i++) {
    if (two) {
      bt6(v128.bitselect(v128.load(a), v128.load(b), mask), v128.bitselect(v128.load(a + S), v128.load(b + S), mask),
        v128.bitselect(v128.load(a + 2 * S), v128.load(b + 2 * S), mask), v128.bitselect(v128.load(a + 3 * S), v128.load(b + 3 * S), mask),
        v128.bitselect(v128.load(a, 4), v128.load(b, 4), mask), v128.bitselect(v128.load(a + S, 4), v128.load(b + S, 4), mask),
        tmp + (<usize>(6 * i) << 4), 16, 4);
    } else {
      bt6(v128.load(a), v128.load(a + S), v128.load(a + 2 * S), v128.load(a + 3 * S), v128.load(a, 4), v128.load(a + S, 4),
        tmp + (<usize>(6 * i) << 4), 16, 4);
    }
    a += rowB;
    b += rowB;
  }
}
