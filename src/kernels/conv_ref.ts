// Naive reference kernels for convolution and matrix multiply: plain loops over Float32Arrays,
// float64 accumulation, no tricks. Kept forever as the oracle the wasm kernels are tested against;
// never used on the hot path.
import { convOutSize, type ConvShape } from './conv.js';

/** y (N,O,OH,OW) = conv(x (N,C,H,W), w (O,C,KH,KW)) + b (O), zero padding `pad`, stride `stride`. */
export function convRefFwd(y: Float32Array, x: Float32Array, w: Float32Array, b: Float32Array | null, s: ConvShape): void {
  const { N, C, H, W, O, KH, KW, pad, stride } = s;
  const [OH, OW] = convOutSize(s);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let acc = b ? b[o]! : 0;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < KH; i++) {
              const iy = oy * stride + i - pad;
              if (iy < 0 || iy >= H) continue;
              for (let j = 0; j < KW; j++) {
                const ix = ox * stride + j - pad;
                if (ix < 0 || ix >= W) continue;
                acc += x[((n * C + c) * H + iy) * W + ix]! * w[((o * C + c) * KH + i) * KW + j]!;
              }
            }
          }
          y[((n * O + o) * OH + oy) * OW + ox] = acc;
        }
      }
    }
  }
}

/** dx (N,C,H,W) = gradient wrt x, given dy (N,O,OH,OW) and w (O,C,KH,KW); overwritten. */
export function convRefBwdData(dx: Float32Array, dy: Float32Array, w: Float32Array, s: ConvShape): void {
  const { N, C, H, W, O, KH, KW, pad, stride } = s;
  const [OH, OW] = convOutSize(s);
  const acc = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          const g = dy[((n * O + o) * OH + oy) * OW + ox]!;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < KH; i++) {
              const iy = oy * stride + i - pad;
              if (iy < 0 || iy >= H) continue;
              for (let j = 0; j < KW; j++) {
                const ix = ox * stride + j - pad;
                if (ix < 0 || ix >= W) continue;
                acc[((n * C + c) * H + iy) * W + ix]! += g * w[((o * C + c) * KH + i) * KW + j]!;
              }
            }
          }
        }
      }
    }
  }
  dx.set(acc);
}

/** dw (O,C,KH,KW) and db (O) = gradients over the whole batch; overwritten (db null: skipped). */
export function convRefBwdWeight(dw: Float32Array, db: Float32Array | null, dy: Float32Array, x: Float32Array, s: ConvShape): void {
  const { N, C, H, W, O, KH, KW, pad, stride } = s;
  const [OH, OW] = convOutSize(s);
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < KH; i++) {
        for (let j = 0; j < KW; j++) {
          let acc = 0;
          for (let n = 0; n < N; n++) {
            for (let oy = 0; oy < OH; oy++) {
              const iy = oy * stride + i - pad;
              if (iy < 0 || iy >= H) continue;
              for (let ox = 0; ox < OW; ox++) {
                const ix = ox * stride + j - pad;
                if (ix < 0 || ix >= W) continue;
                acc += dy[((n * O + o) * OH + oy) * OW + ox]! * x[((n * C + c) * H + iy) * W + ix]!;
              }
            }
          }
          dw[((o * C + c) * KH + i) * KW + j] = acc;
        }
      }
    }
    if (db) {
      let acc = 0;
      for (let n = 0; n < N; n++) for (let p = 0; p < OH * OW; p++) acc += dy[(n * O + o) * OH * OW + p]!;
      db[o] = acc;
    }
  }
}

/** C (M,N) = A·B (+ C when accumulate). `transA`: A given as (K,M); `transB`: B given as (N,K). */
export function gemmRef(c: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number,
  opts: { accumulate?: boolean; transA?: boolean; transB?: boolean } = {}): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = opts.accumulate ? c[i * N + j]! : 0;
      for (let k = 0; k < K; k++) {
        const av = opts.transA ? a[k * M + i]! : a[i * K + k]!;
        const bv = opts.transB ? b[j * K + k]! : b[k * N + j]!;
        acc += av * bv;
      }
      c[i * N + j] = acc;
    }
  }
}

/**
 * Backward-data of a conv with stride > 1 in float32, with the order of operations of the plain
 * SIMD128 kernels (no fused multiply-add): dcol[k,p] = Σ_o w[o,k]·dy[o,p] summed from 0 over
 * o = 0…O−1, each product and sum rounded; then every dcol row k = (c,i,j) in order added into a
 * zeroed padded image, whose interior is dx. The 'simd' build must give these bits exactly.
 */
export function convRefBwdDataColsF32(dx: Float32Array, dy: Float32Array, w: Float32Array, s: ConvShape): void {
  const { N, C, H, W, O, KH, KW, pad, stride } = s;
  const [OH, OW] = convOutSize(s);
  const f = Math.fround, Hp = H + 2 * pad, Wp = W + 2 * pad, P = OH * OW, K = C * KH * KW;
  const xp = new Float32Array(C * Hp * Wp);
  for (let n = 0; n < N; n++) {
    xp.fill(0);
    for (let k = 0; k < K; k++) {
      const c = Math.floor(k / (KH * KW)), i = Math.floor(k / KW) % KH, j = k % KW;
      for (let p = 0; p < P; p++) {
        let acc = 0;
        for (let o = 0; o < O; o++) acc = f(f(w[o * K + k]! * dy[(n * O + o) * P + p]!) + acc);
        const oy = Math.floor(p / OW), ox = p % OW, e = (c * Hp + oy * stride + i) * Wp + ox * stride + j;
        xp[e] = f(xp[e]! + acc);
      }
    }
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) dx[((n * C + c) * H + y) * W + x] = xp[(c * Hp + y + pad) * Wp + x + pad]!;
    }
  }
}
