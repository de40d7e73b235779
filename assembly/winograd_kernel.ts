// The kernel side of Winograd F(m×m, 3×3) for both tile sizes: the transform v = G g Gᵀ of each 3×3
// kernel into (m+2)² planes, and its adjoint dw += Gᵀ m G that brings the weight gradient back.
// Scalar loops over the small G: they run once per conv call, on O·C kernels (≤ 768 here).

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
 * v[p][o][c] from w[o][c], or, when flip != 0 (backward data), v[p][c][o] from w[o][c] rotated by 180°.
 */
export function filterTransform(w: usize, v: usize, O: i32, C: i32, flip: i32, m: i32): void {
  const G = m == 2 ? G2 : G4, a = m + 2;
  const plane = <usize>(O * C) << 2;
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      const g = w + (<usize>((o * C + c) * 9) << 2);
      const at = v + (<usize>(flip ? c * O + o : o * C + c) << 2);
      for (let i = 0; i < a; i++) {
        for (let j = 0; j < a; j++) {
          let acc: f32 = 0;
          for (let r = 0; r < 3; r++) {
            for (let s = 0; s < 3; s++) {
              const k = flip ? 8 - (3 * r + s) : 3 * r + s;
              acc += load<f32>(G + (<usize>(3 * i + r) << 2)) * load<f32>(g + (<usize>k << 2)) * load<f32>(G + (<usize>(3 * j + s) << 2));
            }
          }
          store<f32>(at + <usize>(a * i + j) * plane, acc);
        }
      }
    }
  }
}

/** dw[o][c] (3×3) += Gᵀ M G with M[i][j] = macc[a·i + j][o][c], a = m + 2. */
export function weightUntransform(macc: usize, dw: usize, O: i32, C: i32, m: i32): void {
  const G = m == 2 ? G2 : G4, a = m + 2;
  const plane = <usize>(O * C) << 2;
  for (let oc = 0; oc < O * C; oc++) {
    const src = macc + (<usize>oc << 2), dst = dw + (<usize>(oc * 9) << 2);
    for (let r = 0; r < 3; r++) {
      for (let s = 0; s < 3; s++) {
        let acc: f32 = 0;
        for (let i = 0; i < a; i++) {
          const gi = load<f32>(G + (<usize>(3 * i + r) << 2));
          if (gi == 0) continue;
          for (let j = 0; j < a; j++) acc += gi * load<f32>(src + <usize>(a * i + j) * plane) * load<f32>(G + (<usize>(3 * j + s) << 2));
        }
        const q = dst + (<usize>(3 * r + s) << 2);
        store<f32>(q, load<f32>(q) + acc);
      }
    }
  }
}
