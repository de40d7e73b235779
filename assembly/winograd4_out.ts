// Winograd F(4×4, 3×3) transforms on the A side (layout and matrices: winograd4.ts): the output
// transform Aᵀ m A of the forward and backward-data passes, and the gradient transform A dy Aᵀ of
// the weight gradient, both in flat groups of 4 tiles (winograd4.ts's flatGroup).
import { storeN } from './winograd';
import { flatGroup, laneMask, phaseAt, phaseLen, phaseRow } from './winograd4';

/**
 * y (O,H,W) of one image = Aᵀ m A + bias from planes m (36 × (O, T), plane stride ps bytes), tile
 * columns [t0, t0 + th·tw), cropped to H×W. b == 0: no bias.
 */
export function outputTransform4(m: usize, ps: usize, T: i32, t0: i32, y: usize, b: usize, O: i32, H: i32, W: i32, tmp: usize): void {
  const th = (H + 3) >> 2, tw = (W + 3) >> 2;
  // Flat groups store lane by lane, which costs more than a row's side-by-side stores (tw = 4:
  // forward 10% slower), so they are taken only where they save a quarter of the groups or more
  // (tw = 2, 5, 6; not tw = 3, 7 or multiples of 4).
  if (4 * ((th * tw + 3) >> 2) <= 3 * th * ((tw + 3) >> 2) && tw > 1) outputTransformFlat(m, ps, T, t0, y, b, O, H, W, tmp);
  else outputTransformRows(m, ps, T, t0, y, b, O, H, W, tmp);
}

function outputTransformFlat(m: usize, ps: usize, T: i32, t0: i32, y: usize, b: usize, O: i32, H: i32, W: i32, tmp: usize): void {
  outputGroups(m, ps, T, t0, y, b, O, H, W, tmp, true);
}

function outputTransformRows(m: usize, ps: usize, T: i32, t0: i32, y: usize, b: usize, O: i32, H: i32, W: i32, tmp: usize): void {
  outputGroups(m, ps, T, t0, y, b, O, H, W, tmp, false);
}

/**
 * outputTransform4 in groups of 4 tiles: flat (as inputTransform4's: a lane's 4×4 block goes to its
 * own tile's place, in the next tile row past a row's end) or, flat false, within a tile row, whose
 * groups store their blocks side by side.
 */
// @ts-ignore: decorator
@inline function outputGroups(m: usize, ps: usize, T: i32, t0: i32, y: usize, b: usize, O: i32, H: i32, W: i32, tmp: usize, flat: bool): void {
  const th = (H + 3) >> 2, tw = (W + 3) >> 2, tiles = th * tw;
  const f2 = f32x4.splat(2), f4 = f32x4.splat(4), f8 = f32x4.splat(8);
  for (let o = 0; o < O; o++) {
    const bias = f32x4.splat(b ? load<f32>(b + (<usize>o << 2)) : 0);
    const yo = y + (<usize>(o * H * W) << 2);
    for (let g = 0; g < tiles; ) {
      const ty = g / tw, tx = g - ty * tw, n = flat ? flatGroup(g, tiles, tw) : min(4, tw - tx);
      // Rows (Aᵀ·) of each column j into tmp[r][j], r < 4.
      const src = m + (<usize>(o * T + t0 + g) << 2);
      for (let j = 0; j < 6; j++) {
        const q = src + <usize>j * ps, s6 = ps * 6;
        const m0 = v128.load(q), m1 = v128.load(q + s6), m2 = v128.load(q + 2 * s6);
        const m3 = v128.load(q + 3 * s6), m4 = v128.load(q + 4 * s6), m5 = v128.load(q + 5 * s6);
        const s12 = f32x4.add(m1, m2), d12 = f32x4.sub(m1, m2), s34 = f32x4.add(m3, m4), d34 = f32x4.sub(m3, m4);
        const t = tmp + (<usize>j << 4);
        v128.store(t, f32x4.add(f32x4.add(m0, s12), s34));
        v128.store(t, f32x4.add(d12, f32x4.mul(f2, d34)), 96);
        v128.store(t, f32x4.add(s12, f32x4.mul(f4, s34)), 192);
        v128.store(t, f32x4.add(f32x4.add(d12, f32x4.mul(f8, d34)), m5), 288);
      }
      // Columns (·A) of each row r, then the 4 tiles' rows side by side: a 4×4 lane transpose.
      for (let r = 0; r < 4; r++) {
        const q = tmp + <usize>(96 * r);
        const m0 = v128.load(q), m1 = v128.load(q, 16), m2 = v128.load(q, 32);
        const m3 = v128.load(q, 48), m4 = v128.load(q, 64), m5 = v128.load(q, 80);
        const s12 = f32x4.add(m1, m2), d12 = f32x4.sub(m1, m2), s34 = f32x4.add(m3, m4), d34 = f32x4.sub(m3, m4);
        const y0 = f32x4.add(f32x4.add(f32x4.add(m0, s12), s34), bias);
        const y1 = f32x4.add(f32x4.add(d12, f32x4.mul(f2, d34)), bias);
        const y2 = f32x4.add(f32x4.add(s12, f32x4.mul(f4, s34)), bias);
        const y3 = f32x4.add(f32x4.add(f32x4.add(d12, f32x4.mul(f8, d34)), m5), bias);
        const a0 = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5), a1 = v128.shuffle<f32>(y2, y3, 0, 4, 1, 5);
        const a2 = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7), a3 = v128.shuffle<f32>(y2, y3, 2, 6, 3, 7);
        const v0 = v128.shuffle<f32>(a0, a1, 0, 1, 4, 5), v1 = v128.shuffle<f32>(a0, a1, 2, 3, 6, 7);
        const v2 = v128.shuffle<f32>(a2, a3, 0, 1, 4, 5), v3 = v128.shuffle<f32>(a2, a3, 2, 3, 6, 7);
        if (!flat || n <= tw - tx) {
          // All in row ty: side by side (lanes past the image's width are cropped by `left`).
          const iy = 4 * ty + r;
          if (iy >= H) break;
          const row = yo + (<usize>(iy * W + 4 * tx) << 2);
          const left = W - 4 * tx;
          storeN(row, v0, min(4, left));
          if (left > 4) storeN(row + 16, v1, min(4, left - 4));
          if (left > 8) storeN(row + 32, v2, min(4, left - 8));
          if (left > 12) storeN(row + 48, v3, min(4, left - 12));
        } else {
          // Across two tile rows: each lane's row to its own tile.
          storeBlockRow(yo, v0, ty, tx, tw, r, H, W);
          storeBlockRow(yo, v1, ty, tx + 1, tw, r, H, W);
          if (n > 2) storeBlockRow(yo, v2, ty, tx + 2, tw, r, H, W);
          if (n > 3) storeBlockRow(yo, v3, ty, tx + 3, tw, r, H, W);
        }
      }
      g += n;
    }
  }
}

/**
 * Row r of tile (ty, tx) of a flat group into yo (H, W), cropped; tx ≥ tw is tile tx − tw of the
 * next tile row (a group spans at most two rows: tw ≥ 2, see flatGroup).
 */
// @ts-ignore: decorator
@inline function storeBlockRow(yo: usize, v: v128, ty: i32, tx: i32, tw: i32, r: i32, H: i32, W: i32): void {
  let iy = 4 * ty + r, col = 4 * tx;
  if (tx >= tw) { iy += 4; col -= 4 * tw; }
  if (iy < H) storeN(yo + (<usize>(iy * W + col) << 2), v, min(4, W - col));
}

/** A·(y0..y3) into 6 vectors at dst + k·stride (first n lanes). */
// @ts-ignore: decorator
@inline function a6(y0: v128, y1: v128, y2: v128, y3: v128, dst: usize, stride: usize, n: i32): void {
  const e = f32x4.add(y0, y2), od = f32x4.add(y1, y3);
  const e2 = f32x4.add(y0, f32x4.mul(f32x4.splat(4), y2));
  const o2 = f32x4.add(f32x4.mul(f32x4.splat(2), y1), f32x4.mul(f32x4.splat(8), y3));
  storeN(dst, y0, n);
  storeN(dst + stride, f32x4.add(e, od), n);
  storeN(dst + 2 * stride, f32x4.sub(e, od), n);
  storeN(dst + 3 * stride, f32x4.add(e2, o2), n);
  storeN(dst + 4 * stride, f32x4.sub(e2, o2), n);
  storeN(dst + 5 * stride, y3, n);
}

/** The column pass of column j: A·(tmp[0][j] .. tmp[3][j]) into planes j, j+6, ... (first n lanes). */
// @ts-ignore: decorator
@inline function a6Column(tmp: usize, j: i32, dst: usize, ps: usize, n: i32): void {
  const q = tmp + (<usize>j << 4);
  a6(v128.load(q), v128.load(q, 96), v128.load(q, 192), v128.load(q, 288), dst + <usize>j * ps, 6 * ps, n);
}

/**
 * A dy Aᵀ of every 4×4 block (th × tw of them) of one image's dy, phase-split by deinterleave4 at
 * offset p (0–2: the same copy the backward-data pass transforms) into (O, rows, phaseRow(twq)),
 * twq ≥ tw, with zeros past the image, into planes d (36 × (O, T), plane stride ps bytes) at tile
 * columns [t0, t0 + th·tw).
 */
export function gradTransform4(dyq: usize, d: usize, ps: usize, T: i32, t0: i32, O: i32, th: i32, tw: i32, rows: i32, twq: i32, p: i32, tmp: usize): void {
  const S = phaseLen(twq), rowB = <usize>phaseRow(twq) << 2, tiles = th * tw;
  // Column 4tx + k of the image is padded column 4tx + k + p: phase (k+p)%4, index tx + (k+p)/4.
  const o0 = phaseAt(S, p), o1 = phaseAt(S, p + 1), o2 = phaseAt(S, p + 2), o3 = phaseAt(S, p + 3);
  for (let o = 0; o < O; o++) {
    const r0 = dyq + (<usize>((o * rows + p) * phaseRow(twq)) << 2);
    for (let g = 0; g < tiles; ) {
      // Flat groups of 4 tiles, as inputTransform4's.
      const ty = g / tw, tx = g - ty * tw, n = flatGroup(g, tiles, tw), s = tw - tx;
      const rA = r0 + <usize>(4 * ty) * rowB + (<usize>tx << 2);
      if (n > s) a6Rows(rA, r0 + <usize>(4 * ty + 4) * rowB - (<usize>s << 2), laneMask(s, 0), o0, o1, o2, o3, rowB, tmp, true);
      else a6Rows(rA, rA, laneMask(4, 0), o0, o1, o2, o3, rowB, tmp, false);
      const dst = d + (<usize>(o * T + t0 + g) << 2);
      if (n == 4) for (let j = 0; j < 6; j++) a6Column(tmp, j, dst, ps, 4);
      else for (let j = 0; j < 6; j++) a6Column(tmp, j, dst, ps, n);
      g += n;
    }
  }
}

/** The row pass of 4 blocks: A along the 4 columns of each of the 4 rows from rA, into tmp[i][0..5]; two: as bt6Rows. */
// @ts-ignore: decorator
@inline function a6Rows(rA: usize, rB: usize, mask: v128, o0: usize, o1: usize, o2: usize, o3: usize, rowB: usize, tmp: usize, two: bool): void {
  let a = rA, b = rB;
  for (let i = 0; i < 4; i++) {
    if (two) {
      a6(v128.bitselect(v128.load(a + o0), v128.load(b + o0), mask), v128.bitselect(v128.load(a + o1), v128.load(b + o1), mask),
        v128.bitselect(v128.load(a + o2), v128.load(b + o2), mask), v128.bitselect(v128.load(a + o3), v128.load(b + o3), mask),
        tmp + (<usize>(6 * i) << 4), 16, 4);
    } else {
      a6(v128.load(a + o0), v128.load(a + o1), v128.load(a + o2), v128.load(a + o3), tmp + (<usize>(6 * i) << 4), 16, 4);
    }
    a += rowB;
    b += rowB;
  }
}
