// The three passes of a 3×3, pad-1, stride-1 convolution through Winograd F(m×m, 3×3): m = 2
// (winograd.ts, even-sized images) or m = 4 (winograd4.ts, any size). Same contract as conv.ts's
// exports: images [n0, n1), per-thread scratch, backward-weight accumulates. src/kernels/conv.ts
// decides which path and which m a layer takes; conv.ts's im2col path covers every other shape.
// The kernel is transformed once per call (wino_filter); then one group of images at a time (sized
// to stay in cache):
//   forward:  copy/pad each image → input transform → P GEMMs v[p] (O,C) · u[p] (C,T) → output transform
//   bwd data: the forward pass on dy with the kernel flipped and transposed (pad stays 1)
//   bwd wt:   input transform of x, gradient transform of dy → macc[p] (O,C) += d[p] (O,T) · u[p]ᵀ,
//             and Gᵀ macc G into dw once at the end.
// With F(4×4), wino_bwd also does the backward-data pass in the same sweep: each image's dy is read
// and copied once for both, and its tiles are still in cache for the second transform.
import { add_into } from './elementwise';
import { deinterleave, gradTransform, groupOf, inputTransform, outputTransform, span } from './winograd';
import { deinterleave4, gradTransform4, inputTransform4, outputTransform4, phaseRow } from './winograd4';
import { filterTransform, weightUntransform } from './winograd_kernel';

/** Row stride of the tile planes: tiles rounded up to the GEMM's 8-column panels. */
// @ts-ignore: decorator
@inline function rowStride(tiles: i32): i32 {
  return (tiles + 7) & ~7;
}

// @ts-ignore: decorator
@inline function planesOf(m: i32): i32 {
  return (m + 2) * (m + 2);
}

/** Floats of one image's padded copy: (C, H+2, W+2) split even/odd, or (C, 4·th+2, phaseRow(tw)). */
function paddedFloats(C: i32, H: i32, W: i32, m: i32): i32 {
  if (m == 2) return C * (H + 2) * (W + 2);
  return C * (4 * ((H + 3) >> 2) + 2) * phaseRow((W + 3) >> 2);
}

/** Floats of one image's dy copy for the weight gradient: (O, H, W), or F(4×4)'s padded copy. */
function gradFloats(O: i32, H: i32, W: i32, m: i32): i32 {
  return m == 2 ? O * H * W : paddedFloats(O, H, W, m);
}

// @ts-ignore: decorator
@inline function tilesOf(H: i32, W: i32, m: i32): i32 {
  return ((H + m - 1) / m) * ((W + m - 1) / m);
}

// Group budgets (groupOf), in floats of both GEMM operands' planes.
// Backward ~1 MB: measured on conv2–conv4, 0.25 and 0.5 MB made the weight gradient 10–20% slower,
// 2 MB no faster. Its weight-gradient sums run along a group's tiles, so this size is part of its
// rounding (changing it changes the bits of a run).
// @ts-ignore: decorator
@inline const BWD_GROUP_FLOATS = 256 * 1024;
// Forward ~0.5 MB: 3–8% faster forward than 1 MB (conv2–conv4, best of 7); its results do not
// depend on the grouping.
// @ts-ignore: decorator
@inline const FWD_GROUP_FLOATS = 128 * 1024;

/** Scratch of a forward pass (C → O channels): tmp, xp, u P×(C,T), m P×(O,T). */
function fwdScratch(C: i32, H: i32, W: i32, O: i32, m: i32): i32 {
  const P = planesOf(m), tiles = tilesOf(H, W, m), T = rowStride(groupOf(C, O, tiles, P, FWD_GROUP_FLOATS) * tiles);
  return span(36 * 4) + span(paddedFloats(C, H, W, m)) + P * span(C * T) + P * span(O * T);
}

/**
 * Scratch of the backward pass: bias sums (O), macc (P,O,C), tmp, xp, dy copy, u P×(C,T), d P×(O,T), and for
 * F(4×4)'s backward-data part e P×(O,T).
 */
function bwdScratch(C: i32, H: i32, W: i32, O: i32, m: i32): i32 {
  const P = planesOf(m), tiles = tilesOf(H, W, m), T = rowStride(groupOf(C, O, tiles, P, BWD_GROUP_FLOATS) * tiles);
  const e = m == 4 ? P * span(O * T) : 0;
  return span(O) + span(P * O * C) + span(36 * 4) + span(paddedFloats(C, H, W, m)) + span(gradFloats(O, H, W, m)) + P * span(C * T) + P * span(O * T) + e;
}

/**
 * Floats of per-thread scratch that wino_fwd needs for x (·,C,H,W) → y (·,O,H,W) and for the same
 * pass backward (O → C channels), and that wino_bwd needs.
 */
export function wino_scratch_floats(C: i32, H: i32, W: i32, O: i32, m: i32): i32 {
  return max(max(fwdScratch(C, H, W, O, m), fwdScratch(O, H, W, C, m)), bwdScratch(C, H, W, O, m));
}

/**
 * One image xn (C,H,W) through its zero-bordered copy xp into the transformed tiles u (P planes of
 * stride us bytes, rows of T tiles) at tile column t0. Shared by the forward and the weight-gradient pass.
 * scale != 0 (F(4×4) only): the tiles of max(x·scale[c] + shift[c], 0), a BatchNorm + ReLU output
 * that is never stored.
 */
function inputTiles(xn: usize, xp: usize, u: usize, us: usize, T: i32, t0: i32, C: i32, H: i32, W: i32, mt: i32, tmp: usize,
  scale: usize, shift: usize): void {
  if (mt == 2) {
    deinterleave(xp, xn, C, H, W, 1);
    inputTransform(xp, u, us, T, t0, C, H, W);
  } else {
    const th = (H + 3) >> 2, tw = (W + 3) >> 2;
    deinterleave4(xp, xn, C, H, W, 4 * th + 2, tw, 1, tmp, scale, shift);
    inputTransform4(xp, u, us, T, t0, C, th, tw, tmp);
  }
}

/**
 * v (P,O,C) = the kernels of w (O,C,3,3) transformed for F(m×m, 3×3), or, flip != 0, v (P,C,O) for
 * the backward-data pass (kernels flipped and transposed). Once per call, before the images are split.
 */
export function wino_filter(w: usize, v: usize, O: i32, C: i32, flip: i32, m: i32): void {
  filterTransform(w, v, O, C, flip, m);
}

/**
 * y (N,O,H,W) = conv(x (N,C,H,W), pad 1) + b (O) (b == 0: no bias) for images [n0, n1), with the
 * kernel transformed by wino_filter: v (P,O,C). The backward-data pass is this on dy with the
 * flipped v (P,C,O) and C, O swapped. scratch: tmp, xp, u and m. scale != 0 (F(4×4) only): the input
 * is max(x·scale[c] + shift[c], 0) (see inputTiles).
 */
export function wino_fwd(x: usize, v: usize, b: usize, y: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32, O: i32, mt: i32, scratch: usize,
  scale: usize, shift: usize): void {
  const P = planesOf(mt), tiles = tilesOf(H, W, mt), G = groupOf(C, O, tiles, P, FWD_GROUP_FLOATS), T = rowStride(G * tiles);
  const xpF = paddedFloats(C, H, W, mt);
  const tmp = scratch, xp = tmp + (<usize>span(36 * 4) << 2);
  const u = xp + (<usize>span(xpF) << 2), m = u + (<usize>(P * span(C * T)) << 2);
  const us = <usize>span(C * T) << 2, ms = <usize>span(O * T) << 2;
  memory.fill(xp, 0, <usize>span(xpF) << 2);
  const vs = O * C;
  for (let n = n0; n < n1; n += G) {
    const g = min(G, n1 - n), L = g * tiles;
    for (let t = 0; t < g; t++) {
      inputTiles(x + (<usize>((n + t) * C * H * W) << 2), xp, u, us, T, t * tiles, C, H, W, mt, tmp, scale, shift);
    }
    // Columns [L, rowStride(L)) hold stale values: they keep the GEMM on its 8-wide panels and
    // their results are never read.
    for (let p = 0; p < P; p++) {
      gemmStrided(O, rowStride(L), C, v + (<usize>(p * vs) << 2), <usize>C << 2, 4, u + <usize>p * us, T, m + <usize>p * ms, T, 0);
    }
    for (let t = 0; t < g; t++) {
      const yn = y + (<usize>((n + t) * O * H * W) << 2);
      if (mt == 2) outputTransform(m, ms, T, t * tiles, yn, b, O, H, W);
      else outputTransform4(m, ms, T, t * tiles, yn, b, O, H, W, tmp);
    }
  }
}

/**
 * dw (O,C,3,3) += ∂/∂w and db (O) += Σ dy over images [n0, n1) and pixels (db == 0: skipped).
 * Accumulates, so each thread owns its dw/db and the caller sums them. With F(4×4) (mt == 4) and
 * dx != 0, also dx (N,C,H,W) = the backward-data pass, exactly as wino_fwd computes it from dy and
 * the flipped kernels v (P,C,O) (dx == 0: weight gradient only; F(2×2) only takes dx == 0).
 * scale != 0 (F(4×4) only): the layer's input is max(x·scale[c] + shift[c], 0) (see inputTiles).
 */
export function wino_bwd(dy: usize, x: usize, v: usize, dx: usize, dw: usize, db: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32, O: i32, mt: i32, scratch: usize,
  scale: usize, shift: usize): void {
  const P = planesOf(mt), tiles = tilesOf(H, W, mt), G = groupOf(C, O, tiles, P, BWD_GROUP_FLOATS), T = rowStride(G * tiles);
  const th = (H + mt - 1) / mt, tw = (W + mt - 1) / mt;
  const xpF = paddedFloats(C, H, W, mt), dyF = gradFloats(O, H, W, mt), vs = O * C;
  const bsum = scratch, macc = bsum + (<usize>span(O) << 2), tmp = macc + (<usize>span(P * vs) << 2), xp = tmp + (<usize>span(36 * 4) << 2);
  const dyp = xp + (<usize>span(xpF) << 2), u = dyp + (<usize>span(dyF) << 2), d = u + (<usize>(P * span(C * T)) << 2);
  const us = <usize>span(C * T) << 2, ds = <usize>span(O * T) << 2;
  const e = d + <usize>P * ds; // F(4×4) backward data: dy's input-transformed tiles (P, O, T)
  memory.fill(bsum, 0, <usize>O << 2);
  memory.fill(macc, 0, <usize>(P * vs) << 2);
  memory.fill(xp, 0, <usize>span(xpF) << 2);
  memory.fill(dyp, 0, <usize>span(dyF) << 2);
  for (let n = n0; n < n1; n += G) {
    const g = min(G, n1 - n), L = g * tiles;
    for (let t = 0; t < g; t++) {
      inputTiles(x + (<usize>((n + t) * C * H * W) << 2), xp, u, us, T, t * tiles, C, H, W, mt, tmp, scale, shift);
      const dyn = dy + (<usize>((n + t) * O * H * W) << 2);
      if (db) biasSums(dyn, bsum, O, H * W);
      if (mt == 2) {
        deinterleave(dyp, dyn, O, H, W, 0);
        gradTransform(dyp, d, ds, T, t * tiles, O, H, W);
      } else {
        // One padded copy serves both transforms: the forward-style input transform (data) and,
        // read one row and column in, the gradient transform (weights).
        deinterleave4(dyp, dyn, O, H, W, 4 * th + 2, tw, 1, tmp, 0, 0);
        gradTransform4(dyp, d, ds, T, t * tiles, O, th, tw, 4 * th + 2, 1, tmp);
        if (dx) inputTransform4(dyp, e, ds, T, t * tiles, O, th, tw, tmp);
      }
    }
    // macc[p] (O, C) += d[p] (O, L) · u[p] (C, L)ᵀ: dot products along the L tiles (stale columns excluded).
    for (let p = 0; p < P; p++) {
      gemmNTStrided(O, C, L, d + <usize>p * ds, T, u + <usize>p * us, T, macc + (<usize>(p * vs) << 2), C, 1);
    }
    if (dx) {
      // u is free again: it takes dx's tiles, v[p] (C, O) · e[p] (O, T), as in wino_fwd.
      for (let p = 0; p < P; p++) {
        gemmStrided(C, rowStride(L), O, v + (<usize>(p * vs) << 2), <usize>O << 2, 4, e + <usize>p * ds, T, u + <usize>p * us, T, 0);
      }
      for (let t = 0; t < g; t++) {
        outputTransform4(u, us, T, t * tiles, dx + (<usize>((n + t) * C * H * W) << 2), 0, C, H, W, tmp);
      }
    }
  }
  weightUntransform(macc, dw, O, C, mt);
  if (db) add_into(db, bsum, 0, O);
}
