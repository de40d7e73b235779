// Memory helpers of the im2col convolutions (conv.ts, conv_strided.ts, conv1x1.ts): copies, the
// zero-bordered image copy, im2col and its adjoint col2im, bias sums. Not re-exported by index.ts,
// so none of these becomes a wasm export. Plain copies and sums: no arithmetic that rounds
// differently from the code they were moved out of (conv.ts), so stride-1 results keep their bits.

/** Floats rounded up to a whole cache line, so that every scratch region stays 64-byte aligned. */
// @ts-ignore: decorator
@inline export function lines(floats: i32): i32 {
  return (floats + 15) & ~15;
}

// @ts-ignore: decorator
@inline export function zero(dst: usize, n: i32): void {
  memory.fill(dst, 0, <usize>n << 2);
}

/** Copies n floats (unaligned, non-overlapping); a last overlapping vector replaces a scalar tail. */
// @ts-ignore: decorator
@inline export function copy(dst: usize, src: usize, n: i32): void {
  if (n >= 4) {
    const last = <usize>(n - 4) << 2;
    for (let k: usize = 0; k < last; k += 16) v128.store(dst + k, v128.load(src + k));
    v128.store(dst + last, v128.load(src + last));
  } else {
    for (let k = 0; k < n; k++) store<f32>(dst + (<usize>k << 2), load<f32>(src + (<usize>k << 2)));
  }
}

/** dst[k] = src[k] + bias for n floats (dst == src allowed). */
export function copyBias(dst: usize, src: usize, n: i32, bias: f32): void {
  const vb = f32x4.splat(bias);
  let k = 0;
  for (; k + 4 <= n; k += 4) v128.store(dst + (<usize>k << 2), f32x4.add(v128.load(src + (<usize>k << 2)), vb));
  for (; k < n; k++) store<f32>(dst + (<usize>k << 2), load<f32>(src + (<usize>k << 2)) + bias);
}

/**
 * x (C,H,W) into xp (C,Hp,Wp), Hp = H + 2·padH, at offset (padH, padW); the caller has zeroed the
 * border once. A negative pad (backward-data of a conv with pad > KH-1) crops instead.
 */
export function padInto(xp: usize, x: usize, C: i32, H: i32, W: i32, padH: i32, padW: i32, Hp: i32, Wp: i32): void {
  const y0 = max(0, -padH), y1 = min(H, H + padH), x0 = max(0, -padW), x1 = min(W, W + padW);
  for (let c = 0; c < C; c++) {
    for (let iy = y0; iy < y1; iy++) {
      copy(xp + <usize>((c * Hp + iy + padH) * Wp + x0 + padW) * 4, x + <usize>((c * H + iy) * W + x0) * 4, x1 - x0);
    }
  }
}

/**
 * padInto of max(x·scale[c] + shift[c], 0), a BatchNorm + ReLU output that is never stored (pads
 * ≥ 0): per element the operations bn_apply uses on it, so the same bits. bn_apply walks each plane
 * of HW floats by vectors (ReLU by f32x4.max) and its last HW % 4 floats one by one (ReLU by
 * v < 0 ? 0 : v, which keeps −0 where max gives +0); a row here takes the vector form unless it
 * reaches into that tail, where each float takes its own form.
 */
export function bnPadInto(xp: usize, x: usize, C: i32, H: i32, W: i32, padH: i32, padW: i32, Hp: i32, Wp: i32,
  scale: usize, shift: usize): void {
  const HW = H * W, HW4 = HW & ~3, zv = f32x4.splat(0);
  for (let c = 0; c < C; c++) {
    const a = load<f32>(scale + (<usize>c << 2)), b = load<f32>(shift + (<usize>c << 2));
    const av = f32x4.splat(a), bv = f32x4.splat(b);
    for (let iy = 0; iy < H; iy++) {
      const dst = xp + <usize>((c * Hp + iy + padH) * Wp + padW) * 4, src = x + <usize>((c * H + iy) * W) * 4;
      if (W >= 4 && (iy + 1) * W <= HW4) {
        const last = <usize>(W - 4) << 2;
        for (let k: usize = 0; k < last; k += 16) v128.store(dst + k, f32x4.max(bnAffine(v128.load(src + k), av, bv), zv));
        v128.store(dst + last, f32x4.max(bnAffine(v128.load(src + last), av, bv), zv));
        continue;
      }
      for (let ix = 0; ix < W; ix++) {
        const v = load<f32>(src + (<usize>ix << 2)) * a + b;
        store<f32>(dst + (<usize>ix << 2), iy * W + ix < HW4 ? max<f32>(v, 0) : v < 0 ? 0 : v);
      }
    }
  }
}

/** dst[k..k+4) = src[2k], src[2k+2], src[2k+4], src[2k+6] (reads src[2k..2k+8)). */
// @ts-ignore: decorator
@inline function copyEven4(dst: usize, src: usize, k: i32): void {
  const s = src + (<usize>(2 * k) << 2);
  v128.store(dst + (<usize>k << 2), v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6));
}

/**
 * dst[k] = src[S·k] for k < n; for S = 2 by vector pairs whose 8 reads stay within `avail` floats,
 * the last one overlapping its predecessor (it rewrites the same values) instead of a scalar tail.
 */
// @ts-ignore: decorator
@inline function copyStrided(dst: usize, src: usize, n: i32, S: i32, avail: i32): void {
  let k = 0;
  if (S == 2) {
    if (n >= 4 && 2 * n <= avail) {
      const last = n - 4;
      for (; k < last; k += 4) copyEven4(dst, src, k);
      copyEven4(dst, src, last);
      return;
    }
    for (; k + 4 <= n && 2 * k + 8 <= avail; k += 4) copyEven4(dst, src, k);
  }
  for (; k < n; k++) store<f32>(dst + (<usize>k << 2), load<f32>(src + (<usize>(S * k) << 2)));
}

/**
 * One image's im2col from its padded copy xp (C,Hp,Wp) into columns [0, OH·OW) of col (rows
 * K = C·KH·KW, row stride ld floats): row (c,i,j), column (oy,ox) = xp[c, S·oy+i, S·ox+j].
 */
export function im2col(xp: usize, col: usize, ld: i32, C: i32, Hp: i32, Wp: i32, KH: i32, KW: i32, OH: i32, OW: i32, S: i32): void {
  const ldB = <usize>ld << 2, rowB = <usize>(S * Wp) << 2, outB = <usize>OW << 2;
  let row = col;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < KH; i++) {
      for (let j = 0; j < KW; j++) {
        let src = xp + <usize>((c * Hp + i) * Wp + j) * 4, dst = row;
        for (let oy = 0; oy < OH; oy++) {
          if (S == 1) copy(dst, src, OW);
          else copyStrided(dst, src, OW, S, Wp - j);
          src += rowB;
          dst += outB;
        }
        row += ldB;
      }
    }
  }
}

/**
 * The adjoint of im2col: xp[c, S·oy+i, S·ox+j] += col[(c,i,j), (oy,ox)] over columns [0, OH·OW) of
 * col (row stride ld floats). Overlapping windows (K > S) add into the same xp element, in the
 * order of the rows (c,i,j).
 */
export function col2im(col: usize, ld: i32, xp: usize, C: i32, Hp: i32, Wp: i32, KH: i32, KW: i32, OH: i32, OW: i32, S: i32): void {
  if (S == 2 && KW == 3) {
    col2imS2K3(col, ld, xp, C, Hp, Wp, KH, OH, OW);
    return;
  }
  const ldB = <usize>ld << 2, rowB = <usize>(S * Wp) << 2, stepB = <usize>S << 2;
  let row = col;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < KH; i++) {
      for (let j = 0; j < KW; j++) {
        let dst = xp + <usize>((c * Hp + i) * Wp + j) * 4, src = row;
        for (let oy = 0; oy < OH; oy++) {
          let d = dst;
          let ox = 0;
          if (S == 2) {
            // Four columns per vector pair (its 8 floats within the row: 2·ox + 8 ≤ Wp − j).
            for (; ox + 4 <= OW && 2 * ox + 8 <= Wp - j; ox += 4) {
              addEven4(d, src);
              d += 32;
              src += 16;
            }
            if (ox + 2 <= OW && 2 * ox + 4 <= Wp - j) {
              addEven2(d, src);
              d += 16;
              src += 8;
              ox += 2;
            }
          }
          for (; ox < OW; ox++) {
            store<f32>(d, load<f32>(d) + load<f32>(src));
            d += stepB;
            src += 4;
          }
          dst += rowB;
        }
        row += ldB;
      }
    }
  }
}

/**
 * d[0], d[2], d[4], d[6] += s[0..4): the odd floats get −0, which leaves every float (−0 and NaN
 * included) as it was, so the bits are those of four scalar additions.
 */
// @ts-ignore: decorator
@inline function addEven4(d: usize, s: usize): void {
  const v = v128.load(s), nz = f32x4.splat(-0.0);
  v128.store(d, f32x4.add(v128.load(d), v128.shuffle<f32>(v, nz, 0, 4, 1, 4)));
  v128.store(d, f32x4.add(v128.load(d, 16), v128.shuffle<f32>(v, nz, 2, 4, 3, 4)), 16);
}

/**
 * col2im for stride 2 and 3 columns per window: the rows (c,i,0), (c,i,1), (c,i,2) are added into
 * each xp row together, in registers, instead of in three read-modify-write sweeps whose vectors
 * overlap at 4- and 8-byte offsets (each load then waited for the previous row's store). Every xp
 * element still gets its additions in the order of the rows (c,i,j), so the bits are col2im's:
 * an even column 2q gets s0[q] then s2[q−1], an odd one s1[q]; rows i of a channel run in order.
 */
function col2imS2K3(col: usize, ld: i32, xp: usize, C: i32, Hp: i32, Wp: i32, KH: i32, OH: i32, OW: i32): void {
  const ldB = <usize>ld << 2, nz = f32x4.splat(-0.0);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < KH; i++) {
      const s0row = col + <usize>((c * KH + i) * 3) * ldB;
      for (let oy = 0; oy < OH; oy++) {
        const r = xp + (<usize>((c * Hp + i + 2 * oy) * Wp) << 2);
        const s0 = s0row + (<usize>(oy * OW) << 2), s1 = s0 + ldB, s2 = s1 + ldB;
        let q = 0;
        for (; q + 4 <= OW && 2 * q + 8 <= Wp; q += 4) {
          const rq = r + (<usize>(2 * q) << 2), sq = <usize>q << 2;
          const a = v128.load(rq), b = v128.load(rq, 16);
          // s2 shifted by one column: [s2[q−1], …, s2[q+2]], with −0 (no addition) before column 0.
          const t2 = q == 0 ? v128.shuffle<f32>(nz, v128.load(s2), 0, 4, 5, 6) : v128.load(s2 + sq - 4);
          const ev = f32x4.add(f32x4.add(v128.shuffle<f32>(a, b, 0, 2, 4, 6), v128.load(s0 + sq)), t2);
          const od = f32x4.add(v128.shuffle<f32>(a, b, 1, 3, 5, 7), v128.load(s1 + sq));
          v128.store(rq, v128.shuffle<f32>(ev, od, 0, 4, 1, 5));
          v128.store(rq, v128.shuffle<f32>(ev, od, 2, 6, 3, 7), 16);
        }
        for (; q <= OW; q++) {
          const e = r + (<usize>(2 * q) << 2), sq = <usize>q << 2;
          if (q < OW) store<f32>(e, load<f32>(e) + load<f32>(s0 + sq));
          if (q > 0) store<f32>(e, load<f32>(e) + load<f32>(s2 + sq - 4));
          if (q < OW) store<f32>(e, load<f32>(e, 4) + load<f32>(s1 + sq), 4);
        }
      }
    }
  }
}

/** d[0], d[2] += s[0], s[1], as addEven4 (reads and writes 4 floats of d, 2 of s). */
// @ts-ignore: decorator
@inline function addEven2(d: usize, s: usize): void {
  const v = v128.load64_zero(s);
  v128.store(d, f32x4.add(v128.load(d), v128.shuffle<f32>(v, f32x4.splat(-0.0), 0, 4, 1, 4)));
}

export function rowSum(p: usize, n: i32): f32 {
  let v = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= n; k += 4) v = f32x4.add(v, v128.load(p + (<usize>k << 2)));
  let s = f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
  for (; k < n; k++) s += load<f32>(p + (<usize>k << 2));
  return s;
}

/** db (O) += Σ dy over images [n0, n1) and the P pixels of each plane of dy (N,O,P). */
export function biasGrad(dy: usize, db: usize, n0: i32, n1: i32, O: i32, P: i32): void {
  for (let o = 0; o < O; o++) {
    let s: f32 = 0;
    for (let n = n0; n < n1; n++) s += rowSum(dy + <usize>((n * O + o) * P) * 4, P);
    store<f32>(db + (<usize>o << 2), load<f32>(db + (<usize>o << 2)) + s);
  }
}
