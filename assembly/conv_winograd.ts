// The three passes of a 3×3, pad-1, stride-1 convolution on even-sized images through Winograd
// F(2×2, 3×3) (transforms in winograd.ts). Same contract as conv.ts's exports: images [n0, n1),
// per-thread scratch, backward-weight accumulates. src/kernels/conv.ts decides which path a layer
// takes; conv.ts's im2col path covers every other shape.
import { deinterleave, filterTransform, gradTransform, groupOf, inputTransform, outputTransform, span } from './winograd';

/** Row stride of the tile planes: tiles rounded up to the GEMM's 8-column panels. */
// @ts-ignore: decorator
@inline function rowStride(tiles: i32): i32 {
  return (tiles + 7) & ~7;
}

/** Scratch of a forward pass (C → O channels): v (16,O,C), xp (C,H+2,W+2), u 16×(C,T), m 16×(O,T). */
function fwdScratch(C: i32, H: i32, W: i32, O: i32): i32 {
  const tiles = (H >> 1) * (W >> 1), T = rowStride(groupOf(C, O, tiles) * tiles);
  return span(16 * O * C) + span(C * (H + 2) * (W + 2)) + 16 * span(C * T) + 16 * span(O * T);
}

/** Scratch of the weight-gradient pass: macc (16,O,C), xp, dy copy (O,H,W), u 16×(C,T), d 16×(O,T). */
function bwdWeightScratch(C: i32, H: i32, W: i32, O: i32): i32 {
  const tiles = (H >> 1) * (W >> 1), T = rowStride(groupOf(C, O, tiles) * tiles);
  return span(16 * O * C) + span(C * (H + 2) * (W + 2)) + span(O * H * W) + 16 * span(C * T) + 16 * span(O * T);
}

/** Floats of per-thread scratch that the three wino_* passes need for x (·,C,H,W) → y (·,O,H,W). */
export function wino_scratch_floats(C: i32, H: i32, W: i32, O: i32): i32 {
  return max(max(fwdScratch(C, H, W, O), fwdScratch(O, H, W, C)), bwdWeightScratch(C, H, W, O));
}

/**
 * y (N,O,H,W) = conv(x (N,C,H,W)) + b for images [n0, n1), with the kernel already transformed:
 * v (16, O, C). The scratch after v holds xp, u and m.
 */
function forward(x: usize, v: usize, b: usize, y: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32, O: i32, scratch: usize): void {
  const tiles = (H >> 1) * (W >> 1), G = groupOf(C, O, tiles), T = rowStride(G * tiles);
  const xpF = C * (H + 2) * (W + 2);
  const xp = scratch, u = xp + (<usize>span(xpF) << 2), m = u + (<usize>(16 * span(C * T)) << 2);
  const us = <usize>span(C * T) << 2, ms = <usize>span(O * T) << 2;
  memory.fill(xp, 0, <usize>span(xpF) << 2);
  const vs = O * C;
  for (let n = n0; n < n1; n += G) {
    const g = min(G, n1 - n), L = g * tiles;
    for (let t = 0; t < g; t++) {
      deinterleave(xp, x + (<usize>((n + t) * C * H * W) << 2), C, H, W, 1);
      inputTransform(xp, u, us, T, t * tiles, C, H, W);
    }
    // Columns [L, rowStride(L)) hold stale values: they keep the GEMM on its 8-wide panels and
    // their results are never read.
    for (let p = 0; p < 16; p++) {
      gemmStrided(O, rowStride(L), C, v + (<usize>(p * vs) << 2), <usize>C << 2, 4, u + <usize>p * us, T, m + <usize>p * ms, T, 0);
    }
    for (let t = 0; t < g; t++) {
      outputTransform(m, ms, T, t * tiles, y + (<usize>((n + t) * O * H * W) << 2), b, O, H, W);
    }
  }
}

/** y (N,O,H,W) = conv(x (N,C,H,W), w (O,C,3,3), pad 1) + b (O) (b == 0: no bias), images [n0, n1). */
export function wino_fwd(x: usize, w: usize, b: usize, y: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32, O: i32, scratch: usize): void {
  filterTransform(w, scratch, O, C, 0);
  forward(x, scratch, b, y, n0, n1, C, H, W, O, scratch + (<usize>span(16 * O * C) << 2));
}

/** dx (N,C,H,W) = ∂/∂x of wino_fwd given dy (N,O,H,W), images [n0, n1), overwritten. */
export function wino_bwd_data(dy: usize, w: usize, dx: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32, O: i32, scratch: usize): void {
  filterTransform(w, scratch, O, C, 1); // v (16, C, O): flipped and transposed
  forward(dy, scratch, 0, dx, n0, n1, O, H, W, C, scratch + (<usize>span(16 * O * C) << 2));
}

/**
 * dw (O,C,3,3) += ∂/∂w and db (O) += Σ dy over images [n0, n1) and pixels (db == 0: skipped).
 * Accumulates, so each thread owns its dw/db and the caller sums them.
 */
export function wino_bwd_weight(dy: usize, x: usize, dw: usize, db: usize, n0: i32, n1: i32, C: i32, H: i32, W: i32, O: i32, scratch: usize): void {
  const tiles = (H >> 1) * (W >> 1), G = groupOf(C, O, tiles), T = rowStride(G * tiles);
  const xpF = C * (H + 2) * (W + 2), dyF = O * H * W;
  const macc = scratch, xp = macc + (<usize>span(16 * O * C) << 2), dyp = xp + (<usize>span(xpF) << 2);
  const u = dyp + (<usize>span(dyF) << 2), d = u + (<usize>(16 * span(C * T)) << 2);
  const us = <usize>span(C * T) << 2, ds = <usize>span(O * T) << 2, vs = O * C;
  memory.fill(macc, 0, <usize>(16 * vs) << 2);
  memory.fill(xp, 0, <usize>span(xpF) << 2);
  for (let n = n0; n < n1; n += G) {
    const g = min(G, n1 - n), L = g * tiles;
    for (let t = 0; t < g; t++) {
      deinterleave(xp, x + (<usize>((n + t) * C * H * W) << 2), C, H, W, 1);
      inputTransform(xp, u, us, T, t * tiles, C, H, W);
      deinterleave(dyp, dy + (<usize>((n + t) * dyF) << 2), O, H, W, 0);
      gradTransform(dyp, d, ds, T, t * tiles, O, H, W);
    }
    // macc[p] (O, C) += d[p] (O, L) · u[p] (C, L)ᵀ: dot products along the L tiles (stale columns excluded).
    for (let p = 0; p < 16; p++) {
      gemmNTStrided(O, C, L, d + <usize>p * ds, T, u + <usize>p * us, T, macc + (<usize>(p * vs) << 2), C, 1);
    }
  }
  weightUntransform(macc, dw, O, C);
  if (db) {
    for (let o = 0; o < O; o++) {
      let s: f32 = 0;
      for (let n = n0; n < n1; n++) s += rowSum(dy + (<usize>((n * O + o) * H * W) << 2), H * W);
      store<f32>(db + (<usize>o << 2), load<f32>(db + (<usize>o << 2)) + s);
    }
  }
}

/** Gᵀ (3×4), row-major: the adjoint of the kernel transform G g Gᵀ. */
const GT = memory.data<f32>([1, 0.5, 0.5, 0, 0, 0.5, -0.5, 0, 0, 0.5, 0.5, 1]);

/** dw[o][c] (3×3) += Gᵀ m G with m[i][j] = macc[4i + j][o][c]. Scalar: O·C·144 multiplies per call. */
function weightUntransform(macc: usize, dw: usize, O: i32, C: i32): void {
  const plane = <usize>(O * C) << 2;
  for (let oc = 0; oc < O * C; oc++) {
    const src = macc + (<usize>oc << 2), dst = dw + (<usize>(oc * 9) << 2);
    for (let r = 0; r < 3; r++) {
      for (let s = 0; s < 3; s++) {
        let acc: f32 = 0;
        for (let i = 0; i < 4; i++) {
          const gi = load<f32>(GT + (<usize>(r * 4 + i) << 2));
          if (gi == 0) continue;
          for (let j = 0; j < 4; j++) {
            acc += gi * load<f32>(src + <usize>(4 * i + j) * plane) * load<f32>(GT + (<usize>(s * 4 + j) << 2));
          }
        }
        const q = dst + (<usize>(r * 3 + s) << 2);
        store<f32>(q, load<f32>(q) + acc);
      }
    }
  }
}
