// The kernel side of Winograd F(m×m, 3×3) for both tile sizes: the transform v = G g Gᵀ of each 3×3
// kernel into (m+2)² planes, and its adjoint dw += Gᵀ m G that brings the weight gradient back.
// Scalar loops over the small G: they run once per conv call, on O·C kernels (≤ 768 here).
import { packedIndex } from './gemm';

/** G (4×3) of F(2×2, 3×3), row-major. */
const G2 = memory.data<f32>([
  1, 0, 0,
  0.5, 0.5, 0.5,
  0.5, -0.5, 0.5,
  0, 0, 1,
]);

/** G (6×3) of F(4×4, 3×3), row-major. */
const G4 = memory.data<f32>([
  0.25, 0, 0,
  -1.0 / 6, -1.0 / 6, -1.0 / 6,
  -1.0 / 6, 1.0 / 6, -1.0 / 6,
  1.0 / 24, 1.0 / 12, 1.0 / 6,
  1.0 / 24, -1.0 / 12, 1.0 / 6,
  0, 0, 1,
]);

/**
 * v[p] (rows, cols) = (G g Gᵀ)[p], p = a·i + j, a = m + 2, for every 3×3 kernel of w (O,C,3,3):
 * v[p][o][c] from w[o][c], or, when flip != 0 (backward data), v[p][c][o] from w[o][c] rotated by 180°;
 * each plane packed for gemmPacked (gemm.ts: packA's layout).
 * v[i][j] = Σ_r Σ_s (G[i][r]·g[r][s])·G[j][s], summed in that order from 0; the products G[i][r]·g[r][s]
 * are formed once per row i (the same values the plain triple loop forms, so the same bits).
 */
export function filterTransform(w: usize, v: usize, O: i32, C: i32, flip: i32, m: i32): void {
  const G = m == 2 ? G2 : G4, a = m + 2;
  const plane = <usize>(O * C) << 2;
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      const g = w + (<usize>((o * C + c) * 9) << 2);
      const at = v + (<usize>(flip ? packedIndex(c, o, C, O) : packedIndex(o, c, O, C)) << 2); // gemm.ts's packed layout
      // k_rs = the kernel at row r, column s (after the flip).
      const k00 = ker(g, flip, 0), k01 = ker(g, flip, 1), k02 = ker(g, flip, 2);
      const k10 = ker(g, flip, 3), k11 = ker(g, flip, 4), k12 = ker(g, flip, 5);
      const k20 = ker(g, flip, 6), k21 = ker(g, flip, 7), k22 = ker(g, flip, 8);
      for (let i = 0; i < a; i++) {
        const gi = G + (<usize>(3 * i) << 2);
        const g0 = load<f32>(gi), g1 = load<f32>(gi, 4), g2 = load<f32>(gi, 8);
        const p00 = g0 * k00, p01 = g0 * k01, p02 = g0 * k02;
        const p10 = g1 * k10, p11 = g1 * k11, p12 = g1 * k12;
        const p20 = g2 * k20, p21 = g2 * k21, p22 = g2 * k22;
        for (let j = 0; j < a; j++) {
          const gj = G + (<usize>(3 * j) << 2);
          const h0 = load<f32>(gj), h1 = load<f32>(gj, 4), h2 = load<f32>(gj, 8);
          let acc: f32 = 0;
          acc += p00 * h0; acc += p01 * h1; acc += p02 * h2;
          acc += p10 * h0; acc += p11 * h1; acc += p12 * h2;
          acc += p20 * h0; acc += p21 * h1; acc += p22 * h2;
          store<f32>(at + <usize>(a * i + j) * plane, acc);
        }
      }
    }
  }
}

/** Element 3r + s of a 3×3 kernel, or of the kernel rotated by 180° when flip != 0. */
// @ts-ignore: decorator
@inline function ker(g: usize, flip: i32, rs: i32): f32 {
  return load<f32>(g + (<usize>(flip ? 8 - rs : rs) << 2));
}

/**
 * dw[o][c] (3×3) += Gᵀ M G with M[i][j] = macc[a·i + j][o][c], a = m + 2: dw[r][s] gets
 * Σ_i Σ_j (G[i][r]·M[i][j])·G[j][s] in that order from 0, rows with G[i][r] = 0 skipped. The three
 * columns s of a row r are summed side by side, each in that same order.
 */
export function weightUntransform(macc: usize, dw: usize, O: i32, C: i32, m: i32): void {
  const G = m == 2 ? G2 : G4, a = m + 2;
  const plane = <usize>(O * C) << 2;
  for (let oc = 0; oc < O * C; oc++) {
    const src = macc + (<usize>oc << 2), dst = dw + (<usize>(oc * 9) << 2);
    for (let r = 0; r < 3; r++) {
      let acc0: f32 = 0, acc1: f32 = 0, acc2: f32 = 0;
      for (let i = 0; i < a; i++) {
        const gi = load<f32>(G + (<usize>(3 * i + r) << 2));
        if (gi == 0) continue;
        for (let j = 0; j < a; j++) {
          const q = gi * load<f32>(src + <usize>(a * i + j) * plane);
          const gj = G + (<usize>(3 * j) << 2);
          acc0 += q * load<f32>(gj); acc1 += q * load<f32>(gj, 4); acc2 += q * load<f32>(gj, 8);
        }
      }
      const d = dst + (<usize>(3 * r) << 2);
      store<f32>(d, load<f32>(d) + acc0);
      store<f32>(d, load<f32>(d, 4) + acc1, 4);
      store<f32>(d, load<f32>(d, 8) + acc2, 8);
    }
  }
}
