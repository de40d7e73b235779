// Winograd F(2×2, 3×3) transforms for 3×3, pad-1, stride-1 layers on even-sized images (the passes
// are in conv_winograd.ts, the kernel transform G g Gᵀ in winograd_kernel.ts; the reference net's
// conv2–conv4 use the larger tiles of winograd4.ts). A 2×2 output block comes from a 4×4 input tile d:
//   y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A
// so 16 multiplies per block and channel pair replace 36 (2.25× fewer), and the sum over input
// channels of the 16 element-wise products is 16 GEMMs (O×C)·(C×T) over the T tiles of a group of
// images: the register-tiled GEMM of gemm.ts does the work, as in the im2col path (conv.ts).
// The backward passes are the adjoints of the same formula (Lavin & Gray, 2016):
//   backward data:   the forward pass on dy with the kernel flipped and transposed (pad stays 1)
//   backward weight: dW = Gᵀ[Σ_tiles (A dy Aᵀ) ⊙ (Bᵀ d B)]G, 16 GEMMs (O×T)·(C×T)ᵀ
// Transformed tiles live in 16 planes (one per element of the 4×4 tile), each a (rows, T) matrix;
// tile t = image·th·tw + ty·tw + tx. Transforms are vectorised over 4 horizontally adjacent tiles.
// Their columns 2tx..2tx+3 are strided by 2, so each image is first copied into a buffer whose rows
// are split into even and odd columns ("deinterleaved"): column 2tx+k of 4 tiles is then one vector.
// Also shared: span() and groupOf() with conv_winograd.ts, storeN() with winograd4.ts and the pooling kernels.

/** Floats rounded up to whole cache lines (64-byte aligned regions), with 4 floats of slack for the
 * vector over-reads of a row's last, partial group of tiles. */
// @ts-ignore: decorator
@inline export function span(floats: i32): i32 {
  return (floats + 4 + 15) & ~15;
}

/** Images per group: the planes (16 or 36) of both GEMM operands (C + O rows) within `floats`. */
export function groupOf(C: i32, O: i32, tiles: i32, planes: i32, floats: i32): i32 {
  return max(1, floats / (planes * (C + O) * tiles));
}

/** Stores the first n (1–4) lanes of v at p. */
// @ts-ignore: decorator
@inline export function storeN(p: usize, v: v128, n: i32): void {
  if (n >= 4) v128.store(p, v);
  else if (n == 3) { v128.store64_lane(p, v, 0); v128.store32_lane(p, v, 2, 8); }
  else if (n == 2) v128.store64_lane(p, v, 0);
  else v128.store32_lane(p, v, 0);
}

/**
 * x (C,H,W) into xp (C, H+2p, W+2p) zero-bordered by p ∈ {0,1}, each padded row stored as its even
 * columns then its odd columns. The caller zeroes xp once; the border is never written.
 */
export function deinterleave(xp: usize, x: usize, C: i32, H: i32, W: i32, p: i32): void {
  const Wp = W + 2 * p, half = Wp >> 1, Hp = H + 2 * p;
  for (let c = 0; c < C; c++) {
    for (let iy = 0; iy < H; iy++) {
      const src = x + (<usize>((c * H + iy) * W) << 2);
      const row = xp + (<usize>((c * Hp + iy + p) * Wp) << 2);
      // Source column 2m goes to padded column 2m+p, 2m+1 to 2m+1+p.
      const evDst = p ? row + (<usize>half << 2) : row, odDst = p ? row + 4 : row + (<usize>half << 2);
      let j = 0;
      for (; j + 8 <= W; j += 8) {
        const v0 = v128.load(src + (<usize>j << 2)), v1 = v128.load(src + (<usize>j << 2), 16);
        const m = <usize>(j >> 1) << 2;
        v128.store(evDst + m, v128.shuffle<f32>(v0, v1, 0, 2, 4, 6));
        v128.store(odDst + m, v128.shuffle<f32>(v0, v1, 1, 3, 5, 7));
      }
      for (; j < W; j++) {
        const pc = j + p;
        store<f32>(row + (<usize>((pc & 1) * half + (pc >> 1)) << 2), load<f32>(src + (<usize>j << 2)));
      }
    }
  }
}

/**
 * Bᵀ d B of every 4×4 tile of one deinterleaved, 1-padded image xp (C, H+2, W+2) into planes u
 * (16 × (C, T), plane stride ps bytes) at tile columns [t0, t0 + th·tw).
 */
export function inputTransform(xp: usize, u: usize, ps: usize, T: i32, t0: i32, C: i32, H: i32, W: i32): void {
  const th = H >> 1, tw = W >> 1, Wp = W + 2, half = Wp >> 1;
  const rowB = <usize>Wp << 2, oddB = <usize>half << 2;
  for (let c = 0; c < C; c++) {
    for (let ty = 0; ty < th; ty++) {
      const r0 = xp + (<usize>((c * (H + 2) + 2 * ty) * Wp) << 2);
      const r1 = r0 + rowB, r2 = r1 + rowB, r3 = r2 + rowB;
      let dst = u + (<usize>(c * T + t0 + ty * tw) << 2);
      for (let tx = 0; tx < tw; tx += 4) {
        const o = <usize>tx << 2;
        // d_r = row r of 4 tiles: columns (2tx, 2tx+1, 2tx+2, 2tx+3) = (even[tx], odd[tx], even[tx+1], odd[tx+1]).
        // Columns first (·B), then rows (Bᵀ·): w_k = (d0 - d2, d1 + d2, d2 - d1, d1 - d3).
        const a0 = v128.load(r0 + o), a1 = v128.load(r0 + oddB + o), a2 = v128.load(r0 + o, 4), a3 = v128.load(r0 + oddB + o, 4);
        const b0 = v128.load(r1 + o), b1 = v128.load(r1 + oddB + o), b2 = v128.load(r1 + o, 4), b3 = v128.load(r1 + oddB + o, 4);
        const c0 = v128.load(r2 + o), c1 = v128.load(r2 + oddB + o), c2 = v128.load(r2 + o, 4), c3 = v128.load(r2 + oddB + o, 4);
        const d0 = v128.load(r3 + o), d1 = v128.load(r3 + oddB + o), d2 = v128.load(r3 + o, 4), d3 = v128.load(r3 + oddB + o, 4);
        const A0 = f32x4.sub(a0, a2), A1 = f32x4.add(a1, a2), A2 = f32x4.sub(a2, a1), A3 = f32x4.sub(a1, a3);
        const B0 = f32x4.sub(b0, b2), B1 = f32x4.add(b1, b2), B2 = f32x4.sub(b2, b1), B3 = f32x4.sub(b1, b3);
        const C0 = f32x4.sub(c0, c2), C1 = f32x4.add(c1, c2), C2 = f32x4.sub(c2, c1), C3 = f32x4.sub(c1, c3);
        const D0 = f32x4.sub(d0, d2), D1 = f32x4.add(d1, d2), D2 = f32x4.sub(d2, d1), D3 = f32x4.sub(d1, d3);
        const n = min(4, tw - tx);
        let q = dst + o;
        storeN(q, f32x4.sub(A0, C0), n); q += ps; storeN(q, f32x4.sub(A1, C1), n); q += ps;
        storeN(q, f32x4.sub(A2, C2), n); q += ps; storeN(q, f32x4.sub(A3, C3), n); q += ps;
        storeN(q, f32x4.add(B0, C0), n); q += ps; storeN(q, f32x4.add(B1, C1), n); q += ps;
        storeN(q, f32x4.add(B2, C2), n); q += ps; storeN(q, f32x4.add(B3, C3), n); q += ps;
        storeN(q, f32x4.sub(C0, B0), n); q += ps; storeN(q, f32x4.sub(C1, B1), n); q += ps;
        storeN(q, f32x4.sub(C2, B2), n); q += ps; storeN(q, f32x4.sub(C3, B3), n); q += ps;
        storeN(q, f32x4.sub(B0, D0), n); q += ps; storeN(q, f32x4.sub(B1, D1), n); q += ps;
        storeN(q, f32x4.sub(B2, D2), n); q += ps; storeN(q, f32x4.sub(B3, D3), n);
      }
    }
  }
}

/**
 * y (O,H,W) of one image = Aᵀ m A + bias from planes m (16 × (O, T), plane stride ps bytes), tile
 * columns [t0, t0 + th·tw). b == 0: no bias.
 */
export function outputTransform(m: usize, ps: usize, T: i32, t0: i32, y: usize, b: usize, O: i32, H: i32, W: i32): void {
  const th = H >> 1, tw = W >> 1, rowB = <usize>W << 2;
  for (let o = 0; o < O; o++) {
    const bias = f32x4.splat(b ? load<f32>(b + (<usize>o << 2)) : 0);
    for (let ty = 0; ty < th; ty++) {
      const src = m + (<usize>(o * T + t0 + ty * tw) << 2);
      const y0 = y + (<usize>((o * H + 2 * ty) * W) << 2), y1 = y0 + rowB;
      for (let tx = 0; tx < tw; tx += 4) {
        let q = src + (<usize>tx << 2);
        const m00 = v128.load(q), m01 = v128.load(q + ps), m02 = v128.load(q + 2 * ps), m03 = v128.load(q + 3 * ps); q += 4 * ps;
        const m10 = v128.load(q), m11 = v128.load(q + ps), m12 = v128.load(q + 2 * ps), m13 = v128.load(q + 3 * ps); q += 4 * ps;
        const m20 = v128.load(q), m21 = v128.load(q + ps), m22 = v128.load(q + 2 * ps), m23 = v128.load(q + 3 * ps); q += 4 * ps;
        const m30 = v128.load(q), m31 = v128.load(q + ps), m32 = v128.load(q + 2 * ps), m33 = v128.load(q + 3 * ps);
        // Rows (Aᵀ·): s0 = m0 + m1 + m2, s1 = m1 - m2 - m3; then the same on columns (·A).
        const s00 = f32x4.add(f32x4.add(m00, m10), m20), s01 = f32x4.add(f32x4.add(m01, m11), m21);
        const s02 = f32x4.add(f32x4.add(m02, m12), m22), s03 = f32x4.add(f32x4.add(m03, m13), m23);
        const s10 = f32x4.sub(f32x4.sub(m10, m20), m30), s11 = f32x4.sub(f32x4.sub(m11, m21), m31);
        const s12 = f32x4.sub(f32x4.sub(m12, m22), m32), s13 = f32x4.sub(f32x4.sub(m13, m23), m33);
        const y00 = f32x4.add(f32x4.add(f32x4.add(s00, s01), s02), bias);
        const y01 = f32x4.add(f32x4.sub(f32x4.sub(s01, s02), s03), bias);
        const y10 = f32x4.add(f32x4.add(f32x4.add(s10, s11), s12), bias);
        const y11 = f32x4.add(f32x4.sub(f32x4.sub(s11, s12), s13), bias);
        // Tile k's 2×2 block is columns 2k, 2k+1 of both rows: interleave the lanes.
        const n = min(4, tw - tx), off = <usize>tx << 3;
        storeN(y0 + off, v128.shuffle<f32>(y00, y01, 0, 4, 1, 5), 2 * n);
        storeN(y1 + off, v128.shuffle<f32>(y10, y11, 0, 4, 1, 5), 2 * n);
        if (n > 2) {
          storeN(y0 + off + 16, v128.shuffle<f32>(y00, y01, 2, 6, 3, 7), 2 * n - 4);
          storeN(y1 + off + 16, v128.shuffle<f32>(y10, y11, 2, 6, 3, 7), 2 * n - 4);
        }
      }
    }
  }
}

/**
 * A dy Aᵀ of every 2×2 block of one image's dy, deinterleaved (O, H, W) without padding, into planes
 * d (16 × (O, T), plane stride ps bytes) at tile columns [t0, t0 + th·tw).
 */
export function gradTransform(dyp: usize, d: usize, ps: usize, T: i32, t0: i32, O: i32, H: i32, W: i32): void {
  const th = H >> 1, tw = W >> 1, rowB = <usize>W << 2, oddB = <usize>(W >> 1) << 2;
  for (let o = 0; o < O; o++) {
    for (let ty = 0; ty < th; ty++) {
      const r0 = dyp + (<usize>((o * H + 2 * ty) * W) << 2), r1 = r0 + rowB;
      const dst = d + (<usize>(o * T + t0 + ty * tw) << 2);
      for (let tx = 0; tx < tw; tx += 4) {
        const o4 = <usize>tx << 2;
        const a = v128.load(r0 + o4), b = v128.load(r0 + oddB + o4);
        const c = v128.load(r1 + o4), e = v128.load(r1 + oddB + o4);
        // Columns (·Aᵀ): (a, a + b, a - b, -b) per row; then rows (A·) the same way.
        const P0 = a, P1 = f32x4.add(a, b), P2 = f32x4.sub(a, b), P3 = f32x4.neg(b);
        const Q0 = c, Q1 = f32x4.add(c, e), Q2 = f32x4.sub(c, e), Q3 = f32x4.neg(e);
        const n = min(4, tw - tx);
        let q = dst + o4;
        storeN(q, P0, n); q += ps; storeN(q, P1, n); q += ps; storeN(q, P2, n); q += ps; storeN(q, P3, n); q += ps;
        storeN(q, f32x4.add(P0, Q0), n); q += ps; storeN(q, f32x4.add(P1, Q1), n); q += ps;
        storeN(q, f32x4.add(P2, Q2), n); q += ps; storeN(q, f32x4.add(P3, Q3), n); q += ps;
        storeN(q, f32x4.sub(P0, Q0), n); q += ps; storeN(q, f32x4.sub(P1, Q1), n); q += ps;
        storeN(q, f32x4.sub(P2, Q2), n); q += ps; storeN(q, f32x4.sub(P3, Q3), n); q += ps;
        storeN(q, f32x4.neg(Q0), n); q += ps; storeN(q, f32x4.neg(Q1), n); q += ps;
        storeN(q, f32x4.neg(Q2), n); q += ps; storeN(q, f32x4.neg(Q3), n);
      }
    }
  }
}
