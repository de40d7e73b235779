// The three passes of a 3×3, stride-1 convolution through Winograd F(m×m, 3×3): m = 2 (winograd.ts,
// padding 1, even-sized images) or m = 4 (winograd4.ts, padding 0 or 1, any size). Same contract as conv.ts's
// exports: images [n0, n1), per-thread scratch, backward-weight accumulates. src/kernels/conv.ts
// decides which path and which m a layer takes; conv.ts's im2col path covers every other shape.
// The kernel is transformed once per call (wino_filter); then one group of images at a time (sized
// to stay in cache):
//   forward:  copy/pad each image → input transform → P GEMMs v[p] (O,C) · u[p] (C,T) → output transform
//   bwd data: the forward pass on dy with the kernel flipped and transposed, padding 2 − pad (a
//             padding-0 layer's is the 'full' convolution of dy, (OH,OW) → (OH+2,OW+2))
//   bwd wt:   input transform of x, gradient transform of dy → macc[p] (O,C) += d[p] (O,T) · u[p]ᵀ,
//             and Gᵀ macc G into dw once at the end.
// With F(4×4), wino_bwd also does the backward-data pass in the same sweep: each image's dy is read
// and copied once for both, and its tiles are still in cache for the second transform.
import { add_into } from './elementwise';
import { deinterleave, gradTransform, groupOf, inputTransform, outputTransform, span } from './winograd';
import { deinterleave4, inputTransform4, phaseRow } from './winograd4';
import { gradTransform4, outputTransform4 } from './winograd4_out';
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

/** Output rows (or columns) of a 3×3, stride-1 pass over n with padding p: n + 2p − 2. */
// @ts-ignore: decorator
@inline function outOf(n: i32, p: i32): i32 {
  return n + 2 * p - 2;
}

/**
 * Floats of one image's padded copy for a pass with padding p over (C, H, W): (C, H+2, W+2) split
 * even/odd (F(2×2), p = 1), or (C, 4·th+2, phaseRow(tw)) for the th×tw tiles of the pass's output.
 */
function paddedFloats(C: i32, H: i32, W: i32, m: i32, p: i32): i32 {
  if (m == 2) return C * (H + 2) * (W + 2);
  return C * (4 * ((outOf(H, p) + 3) >> 2) + 2) * phaseRow((outOf(W, p) + 3) >> 2);
}

/**
 * Floats of one image's dy (O, OH, OW) copy for the weight gradient: as it is (F(2×2)), or F(4×4)'s
 * copy padded for the backward-data pass (padding 2 − pad), which both transforms read.
 */
function gradFloats(O: i32, H: i32, W: i32, m: i32, pad: i32): i32 {
  return m == 2 ? O * H * W : paddedFloats(O, outOf(H, pad), outOf(W, pad), m, 2 - pad);
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

/** Scratch of a forward pass (C → O channels, padding p): tmp, xp, u P×(C,T), m P×(O,T). */
function fwdScratch(C: i32, H: i32, W: i32, O: i32, m: i32, p: i32): i32 {
  const P = planesOf(m), tiles = tilesOf(outOf(H, p), outOf(W, p), m), T = rowStride(groupOf(C, O, tiles, P, FWD_GROUP_FLOATS) * tiles);
  return span(36 * 4) + span(paddedFloats(C, H, W, m, p)) + P * span(C * T) + P * span(O * T);
}

/**
 * Tiles per image of the backward pass: those of the layer's output (the weight gradient's) and,
 * when larger, those of dx (the backward-data pass's: a padding-0 layer's dx is 2 larger each way;
 * with padding 1, F(2×2)'s only one, the two are the same).
 */
// @ts-ignore: decorator
@inline function bwdTiles(H: i32, W: i32, m: i32, pad: i32): i32 {
  return max(tilesOf(outOf(H, pad), outOf(W, pad), m), tilesOf(H, W, m));
}

/**
 * Scratch of the backward pass: bias sums (O), macc (P,O,C), tmp, xp, dy copy, u P×(C,T), d P×(O,T), and for
 * F(4×4)'s backward-data part e P×(O,T).
 */
function bwdScratch(C: i32, H: i32, W: i32, O: i32, m: i32, pad: i32): i32 {
  const P = planesOf(m), tiles = bwdTiles(H, W, m, pad), T = rowStride(groupOf(C, O, tiles, P, BWD_GROUP_FLOATS) * tiles);
  const e = m == 4 ? P * span(O * T) : 0;
  return span(O) + span(P * O * C) + span(36 * 4) + span(paddedFloats(C, H, W, m, pad)) + span(gradFloats(O, H, W, m, pad)) +
    P * span(C * T) + P * span(O * T) + e;
}

/**
 * Floats of per-thread scratch that wino_fwd needs for x (·,C,H,W) → y (·,O,OH,OW) with padding
 * pad (0 or 1; OH = H + 2·pad − 2) and for the same layer's backward-data pass (O → C channels,
 * padding 2 − pad), and that wino_bwd needs.
 */
export function wino_scratch_floats(C: i32, H: i32, W: i32, O: i32, m: i32, pad: i32): i32 {
  const OH = outOf(H, pad), OW = outOf(W, pad);
  return max(max(fwdScratch(C, H, W, O, m, pad), fwdScratch(O, OH, OW, C, m, 2 - pad)), bwdScratch(C, H, W, O, m, pad));
}

/**
 * One image xn (C,H,W) through its zero-bordered copy xp (padding p; F(2×2): p = 1) into the
 * transformed tiles u (P planes of stride us bytes, rows of T tiles) at tile column t0, one tile per
 * m×m block of the pass's output (H + 2p − 2, W + 2p − 2). Shared by the forward and the
 * weight-gradient pass. scale != 0 (F(4×4) only): the tiles of max(x·scale[c] + shift[c], 0), a
 * BatchNorm + ReLU output that is never stored.
 */
function inputTiles(xn: usize, xp: usize, u: usize, us: usize, T: i32, t0: i32, C: i32, H: i32, W: i32, mt: i32, p: i32, tmp: usize,
  scale: usize, shift: usize): void {
  if (mt == 2) {
    deinterleave(xp, xn, C, H, W, 1);
    inputTransform(xp, u, us, T, t0, C, H, W);
  } else {
    const th = (outOf(H, p) + 3) >> 2, tw = (outOf(W, p) + 3) >> 2;
    deinterleave4(xp, xn, C, H, W, 4 * th + 2, tw, p, tmp, scale, shift);
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
 * y (N,O,OH,OW) = conv(x (N,C,H,W), padding p) + b (O) (b == 0: no bias) for images [n0, n1), with
 * OH = H + 2p − 2 (p = 0, 1 or 2; F(2×2): 1) and the kernel transformed by wino_filter: v (P,O,C),
 * each plane packed (gemm.ts). A layer's backward-data pass is this on dy with the flipped v
 * (P,C,O), C and O swapped and padding 2 − pad. scratch: tmp, xp, u and m. scale != 0 (F(4×4)
 * only): the input is max(x·scale[c] + shift[c], 0) (see inputTiles).
 */
export function wino_fwd(x: usize, v: usize, b: usize, y: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32, O: i32, mt: i32, scratch: usize,
  scale: usize, shift: usize, p: i32): void {
  const OH = outOf(H, p), OW = outOf(W, p);
  const P = planesOf(mt), tiles = tilesOf(OH, OW, mt), G = groupOf(C, O, tiles, P, FWD_GROUP_FLOATS), T = rowStride(G * tiles);
  const xpF = paddedFloats(C, H, W, mt, p);
  const tmp = scratch, xp = tmp + (<usize>span(36 * 4) << 2);
  const u = xp + (<usize>span(xpF) << 2), m = u + (<usize>(P * span(C * T)) << 2);
  const us = <usize>span(C * T) << 2, ms = <usize>span(O * T) << 2;
  memory.fill(xp, 0, <usize>span(xpF) << 2);
  const vs = O * C;
  for (let n = n0; n < n1; n += G) {
    const g = min(G, n1 - n), L = g * tiles;
    for (let t = 0; t < g; t++) {
      inputTiles(x + (<usize>((n + t) * C * H * W) << 2), xp, u, us, T, t * tiles, C, H, W, mt, p, tmp, scale, shift);
    }
    // Columns [L, rowStride(L)) hold stale values: they keep the GEMM on its 8-wide panels and
    // their results are never read.
    for (let q = 0; q < P; q++) {
      gemmPacked(O, rowStride(L), C, v + (<usize>(q * vs) << 2), u + <usize>q * us, T, m + <usize>q * ms, T, 0);
    }
    for (let t = 0; t < g; t++) {
      const yn = y + (<usize>((n + t) * O * OH * OW) << 2);
      if (mt == 2) outputTransform(m, ms, T, t * tiles, yn, b, O, OH, OW);
      else outputTransform4(m, ms, T, t * tiles, yn, b, O, OH, OW, tmp);
    }
  }
}

/**
 * dw (O,C,3,3) += ∂/∂w and db (O) += Σ dy over images [n0, n1) and pixels (db == 0: skipped), for
 * a layer x (N,C,H,W) → dy (N,O,OH,OW) with padding pad (0 or 1; F(2×2): 1).
 * Accumulates, so each thread owns its dw/db and the caller sums them. With F(4×4) (mt == 4) and
 * dx != 0, also dx (N,C,H,W) = the backward-data pass, exactly as wino_fwd computes it from dy and
 * the flipped kernels v (P,C,O) (dx == 0: weight gradient only; F(2×2) only takes dx == 0).
 * scale != 0 (F(4×4) only): the layer's input is max(x·scale[c] + shift[c], 0) (see inputTiles).
 */
export function wino_bwd(dy: usize, x: usize, v: usize, dx: usize, dw: usize, db: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32, O: i32, mt: i32, scratch: usize,
  scale: usize, shift: usize, pad: i32): void {
  const OH = outOf(H, pad), OW = outOf(W, pad), pd = 2 - pad; // dx's pass: dy (OH,OW) padded by pd → (H,W)
  // Tiles per image: ty (the weight gradient's, over dy) and tx (the backward-data pass's, over dx);
  // equal for pad 1.
  const P = planesOf(mt), ty = tilesOf(OH, OW, mt), tx = tilesOf(H, W, mt), tiles = bwdTiles(H, W, mt, pad);
  const G = groupOf(C, O, tiles, P, BWD_GROUP_FLOATS), T = rowStride(G * tiles);
  const thx = (H + mt - 1) / mt, twx = (W + mt - 1) / mt, thy = (OH + mt - 1) / mt, twy = (OW + mt - 1) / mt;
  const xpF = paddedFloats(C, H, W, mt, pad), dyF = gradFloats(O, H, W, mt, pad), vs = O * C;
  const bsum = scratch, macc = bsum + (<usize>span(O) << 2), tmp = macc + (<usize>span(P * vs) << 2), xp = tmp + (<usize>span(36 * 4) << 2);
  const dyp = xp + (<usize>span(xpF) << 2), u = dyp + (<usize>span(dyF) << 2), d = u + (<usize>(P * span(C * T)) << 2);
  const us = <usize>span(C * T) << 2, ds = <usize>span(O * T) << 2;
  const e = d + <usize>P * ds; // F(4×4) backward data: dy's input-transformed tiles (P, O, T)
  memory.fill(bsum, 0, <usize>O << 2);
  memory.fill(macc, 0, <usize>(P * vs) << 2);
  memory.fill(xp, 0, <usize>span(xpF) << 2);
  memory.fill(dyp, 0, <usize>span(dyF) << 2);
  for (let n = n0; n < n1; n += G) {
    const g = min(G, n1 - n), L = g * ty;
    for (let t = 0; t < g; t++) {
      inputTiles(x + (<usize>((n + t) * C * H * W) << 2), xp, u, us, T, t * ty, C, H, W, mt, pad, tmp, scale, shift);
      const dyn = dy + (<usize>((n + t) * O * OH * OW) << 2);
      if (db) biasSums(dyn, bsum, O, OH * OW);
      if (mt == 2) {
        deinterleave(dyp, dyn, O, H, W, 0);
        gradTransform(dyp, d, ds, T, t * ty, O, H, W);
      } else {
        // One copy of dy, padded by pd for the backward-data pass, serves both transforms: the
        // forward-style input transform (data, over dx's tiles) and, read pd rows and columns in,
        // the gradient transform (weights, over dy's tiles).
        deinterleave4(dyp, dyn, O, OH, OW, 4 * thx + 2, twx, pd, tmp, 0, 0);
        gradTransform4(dyp, d, ds, T, t * ty, O, thy, twy, 4 * thx + 2, twx, pd, tmp);
        if (dx) inputTransform4(dyp, e, ds, T, t * tx, O, thx, twx, tmp);
      }
    }
    // macc[p] (O, C) += d[p] (O, L) · u[p] (C, L)ᵀ: dot products along the L tiles (stale columns excluded).
    for (let q = 0; q < P; q++) {
      gemmNTStrided(O, C, L, d + <usize>q * ds, T, u + <usize>q * us, T, macc + (<usize>(q * vs) << 2), C, 1);
    }
    if (dx) {
      // u is free again: it takes dx's tiles, v[p] (C, O) · e[p] (O, T), as in wino_fwd.
      const Lx = g * tx;
      for (let q = 0; q < P; q++) {
        gemmPacked(C, rowStride(Lx), O, v + (<usize>(q * vs) << 2), e + <usize>q * ds, T, u + <usize>q * us, T, 0);
      }
      for (let t = 0; t < g; t++) {
        outputTransform4(u, us, T, t * tx, dx + (<usize>((n + t) * C * H * W) << 2), 0, C, H, W, tmp);
      }
    }
  }
  weightUntransform(macc, dw, O, C, mt);
  if (db) add_into(db, bsum, 0, O);
}
