// 2x2 max pooling, stride 2 (PyTorch floors odd sizes), over planes [p0,p1) of (N*C, H, W): the
// forward passes (the backward ones are in pool_bwd.ts).
// Forward records which of the four taps won (0..3, first maximum wins like PyTorch) so backward
// is a scatter with no comparisons. The fused variant applies dropout to the taps first, drawing
// the same masks as dropout_fwd from the element index: no mask buffer and one pass less. Both
// forward passes can also apply the preceding BatchNorm + ReLU (bnr) to the taps. The naive
// reference is maxPoolRef in src/kernels/ref.ts.
// Global average pooling is small enough to live in TypeScript.
import { dropMask, dropThreshold } from './elementwise';
import { storeN } from './winograd';

/**
 * x: (P,H,W) → y: (P,H/2,W/2), arg: same size as y, tap index stored as f32; arg == 0 (no
 * backward pass will follow, as in evaluation): the maxima only. scale != 0: of
 * max(x·scale[c] + shift[c], 0) for plane pl's channel c = pl % C (a BatchNorm + ReLU output that
 * is never stored, as in dropout_maxpool2_fwd). The same vector code as dropout_maxpool2_fwd,
 * without the masks.
 */
export function maxpool2_fwd(x: usize, y: usize, arg: usize, p0: i32, p1: i32, H: i32, W: i32, scale: usize, shift: usize, C: i32): void {
  for (let pl = p0; pl < p1; pl++) {
    // Separate instantiations with and without the taps' indices, so evaluation carries none.
    if (scale) {
      const c = <usize>(pl % C) << 2, a = load<f32>(scale + c), b = load<f32>(shift + c);
      if (arg) poolPlane(x, y, arg, pl, p1, H, W, 0, 0, 1, false, true, a, b);
      else poolPlane(x, y, 0, pl, p1, H, W, 0, 0, 1, false, true, a, b, false);
    } else {
      if (arg) poolPlane(x, y, arg, pl, p1, H, W, 0, 0, 1, false, false, 1, 0);
      else poolPlane(x, y, 0, pl, p1, H, W, 0, 0, 1, false, false, 1, 0, false);
    }
  }
}

// The dropout multipliers of elements idx (i32x4) as f32x4: dropMask's hash, four lanes at once.
// @global: pool_bwd.ts uses it too (and a v128 function must not become a wasm export).
// @ts-ignore: decorator
@global @inline function dropMaskAt(seed: u32, idx: v128, threshold: u32, keep: f32): v128 {
  return dropMaskOf(seed, i32x4.mul(idx, i32x4.splat(GOLDEN)), threshold, keep);
}

// hash()'s first multiplier. idx·GOLDEN (mod 2³²) of consecutive runs is kept up to date by adding
// multiples of GOLDEN, which wraps exactly like the product: one i32x4.mul (slow on x86) less.
// @ts-ignore: decorator
@inline const GOLDEN: u32 = 0x9e3779b9;

// dropMaskAt given the products idx·GOLDEN.
@inline function dropMaskOf(seed: u32, prod: v128, threshold: u32, keep: f32): v128 {
  let z = v128.xor(i32x4.splat(seed), prod);
  z = i32x4.mul(v128.xor(z, i32x4.shr_u(z, 16)), i32x4.splat(0x85ebca6b));
  z = i32x4.mul(v128.xor(z, i32x4.shr_u(z, 13)), i32x4.splat(0xc2b2ae35));
  z = v128.xor(z, i32x4.shr_u(z, 16));
  // Both sides are below 2²⁴, so the signed compare (one SSE instruction) equals the unsigned one
  // (three); keep & ~dropped is bitselect(0, keep, dropped) in one instruction instead of three.
  const dropped = i32x4.lt_s(i32x4.shr_u(z, 8), i32x4.splat(threshold));
  return v128.andnot(f32x4.splat(keep), dropped);
}

// Four outputs of (dropout +) max-pool: columns a..a+7 (row 2i) and c..c+7 (row 2i+1); the first n
// outputs (and taps) are stored at y/arg + o. bn: the taps go through max(x·av + bv, 0) first;
// drop: then through the dropout masks, whose idx·GOLDEN products start at pa and pc.
@inline function poolBlock4(x: usize, y: usize, arg: usize, a: i32, c: i32, pa: v128, pc: v128, o: usize,
  seed: u32, threshold: u32, keep: f32, n: i32, drop: bool, bn: bool, av: v128, bv: v128, withArg: bool): void {
  const g4 = i32x4.splat(4 * GOLDEN);
  let ra = bnr(v128.load(x + (<usize>a << 2)), bn, av, bv), rb = bnr(v128.load(x + (<usize>(a + 4) << 2)), bn, av, bv);
  let sa = bnr(v128.load(x + (<usize>c << 2)), bn, av, bv), sb = bnr(v128.load(x + (<usize>(c + 4) << 2)), bn, av, bv);
  if (drop) {
    ra = f32x4.mul(ra, dropMaskOf(seed, pa, threshold, keep));
    rb = f32x4.mul(rb, dropMaskOf(seed, i32x4.add(pa, g4), threshold, keep));
    sa = f32x4.mul(sa, dropMaskOf(seed, pc, threshold, keep));
    sb = f32x4.mul(sb, dropMaskOf(seed, i32x4.add(pc, g4), threshold, keep));
  }
  let best = v128.shuffle<f32>(ra, rb, 0, 2, 4, 6);
  let k = f32x4.splat(0);
  const t1 = v128.shuffle<f32>(ra, rb, 1, 3, 5, 7);
  let m = takes(t1, best);
  best = v128.bitselect(t1, best, m);
  if (withArg) k = v128.bitselect(f32x4.splat(1), k, m);
  const t2 = v128.shuffle<f32>(sa, sb, 0, 2, 4, 6);
  m = takes(t2, best);
  best = v128.bitselect(t2, best, m);
  if (withArg) k = v128.bitselect(f32x4.splat(2), k, m);
  const t3 = v128.shuffle<f32>(sa, sb, 1, 3, 5, 7);
  m = takes(t3, best);
  best = v128.bitselect(t3, best, m);
  if (withArg) k = v128.bitselect(f32x4.splat(3), k, m);
  storeN(y + o, best, n);
  if (withArg) storeN(arg + o, k, n);
}

// A candidate tap replaces the best so far where it is greater or NaN (PyTorch's rule), lane-wise.
@inline function takes(v: v128, best: v128): v128 {
  return v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
}

/**
 * maxpool2(dropout(x)) with the mask of dropout_fwd(seed, p); same outputs as maxpool2_fwd.
 * scale != 0: of dropout(max(x·scale[c] + shift[c], 0)) for plane pl's channel c = pl % C, a
 * BatchNorm + ReLU output that is never stored (bn_apply's vector operations, so the same bits).
 */
export function dropout_maxpool2_fwd(x: usize, y: usize, arg: usize, p0: i32, p1: i32, H: i32, W: i32, seed: u32, p: f32,
  scale: usize, shift: usize, C: i32): void {
  const keep = <f32>1 / (<f32>1 - p);
  const threshold = dropThreshold(p);
  for (let pl = p0; pl < p1; pl++) {
    // Separate instantiations, so that no pass carries arithmetic it does not need.
    if (scale) {
      const c = <usize>(pl % C) << 2;
      poolPlane(x, y, arg, pl, p1, H, W, seed, threshold, keep, true, true, load<f32>(scale + c), load<f32>(shift + c));
    } else {
      poolPlane(x, y, arg, pl, p1, H, W, seed, threshold, keep, true, false, 1, 0);
    }
  }
}

/** One plane of max-pool, through max(x·a + b, 0) when bn, then the dropout masks when drop. */
// @ts-ignore: decorator
@inline function poolPlane(x: usize, y: usize, arg: usize, pl: i32, p1: i32, H: i32, W: i32, seed: u32, threshold: u32, keep: f32,
  drop: bool, bn: bool, a: f32, b: f32, withArg: bool = true): void {
  const OH = H >> 1, OW = W >> 1;
  const av = f32x4.splat(a), bv = f32x4.splat(b);
  const base = pl * H * W;
  const yo = (<usize>pl * <usize>(OH * OW)) << 2;
  for (let i = 0; i < OH; i++) {
    const i0 = base + 2 * i * W, i1 = i0 + W;
    let j = 0;
    // idx·GOLDEN of elements i0..i0+3 and i1..i1+3; +4·GOLDEN per 4 columns (unused without drop).
    let pa = i32x4.mul(i32x4.add(i32x4.splat(i0), i32x4(0, 1, 2, 3)), i32x4.splat(GOLDEN));
    let pc = i32x4.mul(i32x4.add(i32x4.splat(i1), i32x4(0, 1, 2, 3)), i32x4.splat(GOLDEN));
    const g8 = i32x4.splat(8 * GOLDEN);
    // Four outputs at a time: 8 columns of both rows, split into even (left) and odd (right) taps.
    for (; j + 4 <= OW; j += 4) {
      poolBlock4(x, y, arg, i0 + 2 * j, i1 + 2 * j, pa, pc, yo + (<usize>(i * OW + j) << 2), seed, threshold, keep, 4, drop, bn, av, bv, withArg);
      pa = i32x4.add(pa, g8);
      pc = i32x4.add(pc, g8);
    }
    // The last OW % 4 outputs (3 of OW = 7 in the reference net) as one more block whose extra
    // lanes read the columns past the row (the next row's first ones) and are not stored. The
    // last row of a thread's last plane stays scalar: its extra columns may lie past x.
    if (j < OW && (pl < p1 - 1 || i < OH - 1)) {
      poolBlock4(x, y, arg, i0 + 2 * j, i1 + 2 * j, pa, pc, yo + (<usize>(i * OW + j) << 2), seed, threshold, keep, OW - j, drop, bn, av, bv, withArg);
      j = OW;
    }
    for (; j < OW; j++) {
      const a0 = i0 + 2 * j, c0 = i1 + 2 * j;
      let best = tap(x, a0, seed, threshold, keep, drop, bn, a, b);
      let k: f32 = 0;
      const v1 = tap(x, a0 + 1, seed, threshold, keep, drop, bn, a, b);
      if (v1 > best || isNaN(v1)) { best = v1; k = 1; }
      const v2 = tap(x, c0, seed, threshold, keep, drop, bn, a, b);
      if (v2 > best || isNaN(v2)) { best = v2; k = 2; }
      const v3 = tap(x, c0 + 1, seed, threshold, keep, drop, bn, a, b);
      if (v3 > best || isNaN(v3)) { best = v3; k = 3; }
      const o = yo + (<usize>(i * OW + j) << 2);
      store<f32>(y + o, best);
      if (withArg) store<f32>(arg + o, k);
    }
  }
}

/**
 * Element i of x as poolBlock4 sees it: max(x·a + b, 0) with f32.max (whose -0/NaN rules are
 * f32x4.max's) when bn, times its dropout mask when drop.
 */
// @ts-ignore: decorator
@inline function tap(x: usize, i: i32, seed: u32, threshold: u32, keep: f32, drop: bool, bn: bool, a: f32, b: f32): f32 {
  let v = load<f32>(x + (<usize>i << 2));
  if (bn) v = max<f32>(v * a + b, 0);
  if (drop) v *= dropMask(seed, <u32>i, threshold, keep);
  return v;
}
