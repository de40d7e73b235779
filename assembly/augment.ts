// Training augmentation of a batch in wasm, so that the pool's threads share it: the same arithmetic
// as src/data/augment.ts (the reference), in f64 and in the same order, so the output is bit-identical
// to it: bilinear affine warp (rotation, shift, scale) with zero fill (torchvision's inverse map), brightness and contrast in the
// drawn order, clamped to [0,1], then (x - mean)/std rounded to f32. The random draws and cos/sin of
// the angle stay in JavaScript (Math.cos need not round like any wasm cos).
// Two pixels at a time in f64x2 lanes: each lane does the scalar code's operations in its order
// (no fused multiply-add, IEEE floor and division), so the bits are the reference's. The source
// image is kept with a one-pixel zero border (unit, (H+2)×(W+2) f64), so that a sample whose taps
// reach at most one pixel past the image reads its four taps as two vector pairs, border zeros
// standing in for the reference's out-of-image zeros, with no test per tap.

/** f64 of augment_batch's per-thread work: the bordered source (H+2)×(W+2) and the output image H×W. */
export function augment_work_f64(H: i32, W: i32): i32 {
  return (H + 2) * (W + 2) + H * W;
}

/**
 * Per image, 7 f64 in params: cos/s, sin/s, brightness factor, contrast factor, brightness first (0/1), tx, ty.
 * fields: 0, or per image an elastic displacement field of 2·H·W f64 (src/data/elastic.ts).
 */
export function augment_batch(src: usize, params: usize, out: usize, k0: i32, k1: i32, H: i32, W: i32,
  mean: f64, std: f64, work: usize, fields: usize): void {
  const pixels = H * W, Wp = W + 2, bordered = (H + 2) * Wp;
  const unit = work, img = work + (<usize>bordered << 3);
  memory.fill(unit, 0, <usize>bordered << 3); // the border; the interior is overwritten per image
  const k255 = f64x2.splat(255);
  for (let k = k0; k < k1; k++) {
    const s = src + <usize>(k * pixels);
    for (let y = 0; y < H; y++) {
      const sr = s + <usize>(y * W), ur = unit + (<usize>((y + 1) * Wp + 1) << 3);
      let x = 0;
      for (; x + 2 <= W; x += 2) {
        const u = f64x2.replace_lane(f64x2.splat(<f64>load<u8>(sr + <usize>x)), 1, <f64>load<u8>(sr + <usize>x, 1));
        v128.store(ur + (<usize>x << 3), f64x2.div(u, k255));
      }
      for (; x < W; x++) store<f64>(ur + (<usize>x << 3), <f64>load<u8>(sr + <usize>x) / 255);
    }
    const q = params + (<usize>(7 * k) << 3);
    const field = fields ? fields + (<usize>(2 * k * pixels) << 3) : 0;
    affine(img, unit, H, W, load<f64>(q), load<f64>(q, 8), load<f64>(q, 40), load<f64>(q, 48), field);
    const b = load<f64>(q, 16), c = load<f64>(q, 24);
    if (load<f64>(q, 32) != 0) {
      brightness(img, pixels, b);
      contrast(img, pixels, c);
    } else {
      contrast(img, pixels, c);
      brightness(img, pixels, b);
    }
    const o = out + (<usize>(k * pixels) << 2);
    const mv = f64x2.splat(mean), sv = f64x2.splat(std);
    let p = 0;
    for (; p + 2 <= pixels; p += 2) {
      const z = f64x2.div(f64x2.sub(v128.load(img + (<usize>p << 3)), mv), sv);
      v128.store64_lane(o + (<usize>p << 2), f32x4.demote_f64x2_zero(z), 0);
    }
    for (; p < pixels; p++) store<f32>(o + (<usize>p << 2), <f32>((load<f64>(img + (<usize>p << 3)) - mean) / std));
  }
}

// @ts-ignore: decorator
@inline function at(a: usize, i: i32): f64 {
  return load<f64>(a + (<usize>i << 3));
}

/**
 * affineBilinear of src/data/augment.ts: dst (H,W) = src scaled, rotated about the centre and shifted,
 * zero outside; with a field (≠ 0), each output pixel displaced first, one pixel at a time. src is
 * the bordered copy ((H+2)×(W+2), the image at (1, 1)).
 */
function affine(dst: usize, src: usize, H: i32, W: i32, a: f64, b: f64, tx: f64, ty: f64, field: usize): void {
  const cx = <f64>(W - 1) / 2, cy = <f64>(H - 1) / 2;
  const ox = cx + tx, oy = cy + ty;
  if (field) {
    const pixels = H * W;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const p = y * W + x;
        // augment.ts's displaced expressions, in its order.
        const X = <f64>x + at(field, p), Y = <f64>y + at(field, pixels + p);
        const xs = -a * ox - b * (Y - oy) + cx + a * X;
        const ys = -b * ox + a * (Y - oy) + cy + b * X;
        store<f64>(dst + (<usize>p << 3), sample(src, H, W, xs, ys));
      }
    }
    return;
  }
  for (let y = 0; y < H; y++) {
    const xRow = -a * ox - b * (<f64>y - oy) + cx;
    const yRow = -b * ox + a * (<f64>y - oy) + cy;
    const row = y * W;
    let x = 0;
    for (; x + 2 <= W; x += 2) store<v128>(dst + (<usize>(row + x) << 3), affinePair(src, H, W, a, b, xRow, yRow, x));
    for (; x < W; x++) store<f64>(dst + (<usize>(row + x) << 3), sample(src, H, W, xRow + a * <f64>x, yRow + b * <f64>x));
  }
}

/**
 * The bilinear sample of the bordered src at (xs, ys), zero outside: affineBilinear's scalar code,
 * whose inside and border cases are one here (the border's zeros are its out-of-image taps).
 */
// @ts-ignore: decorator
@inline function sample(src: usize, H: i32, W: i32, xs: f64, ys: f64): f64 {
  const fx0 = Math.floor(xs), fy0 = Math.floor(ys);
  const fx = xs - fx0, fy = ys - fy0;
  let v: f64 = 0;
  if (fx0 >= -1 && fy0 >= -1 && fx0 < <f64>W && fy0 < <f64>H) {
    const Wp = W + 2, i = (<i32>fy0 + 1) * Wp + <i32>fx0 + 1;
    v = (at(src, i) * (1 - fx) + at(src, i + 1) * fx) * (1 - fy) + (at(src, i + Wp) * (1 - fx) + at(src, i + Wp + 1) * fx) * fy;
  }
  return v;
}

/** Tap (x, y) of the bordered src, or 0 outside the image. */
// @ts-ignore: decorator
@inline function tap(src: usize, H: i32, W: i32, x: i32, y: i32): f64 {
  return x >= 0 && x < W && y >= 0 && y < H ? at(src, (y + 1) * (W + 2) + x + 1) : 0;
}

/**
 * Output pixels x and x+1 of one row of affine, as f64x2: the scalar loop's arithmetic per lane.
 * When both samples' taps lie within the bordered src (floor in [−1, W−1] × [−1, H−1]), each
 * lane's taps are two vector pairs (its top and bottom row), transposed into lanes; else taps
 * outside the image read as zero one by one, which gives the scalar code's value in all three of
 * its cases (inside: the same taps; border: its masked taps; outside: (0·(1−fx) + 0·fx)·(1−fy) + …
 * = +0).
 */
// @ts-ignore: decorator
@inline function affinePair(src: usize, H: i32, W: i32, a: f64, b: f64, xRow: f64, yRow: f64, x: i32): v128 {
  const xv = f64x2.replace_lane(f64x2.splat(<f64>x), 1, <f64>(x + 1));
  const xs = f64x2.add(f64x2.splat(xRow), f64x2.mul(f64x2.splat(a), xv));
  const ys = f64x2.add(f64x2.splat(yRow), f64x2.mul(f64x2.splat(b), xv));
  const fx0 = f64x2.floor(xs), fy0 = f64x2.floor(ys);
  const fx = f64x2.sub(xs, fx0), fy = f64x2.sub(ys, fy0);
  const lo = f64x2.splat(-1);
  const inside = v128.and(v128.and(f64x2.ge(fx0, lo), f64x2.lt(fx0, f64x2.splat(<f64>W))),
    v128.and(f64x2.ge(fy0, lo), f64x2.lt(fy0, f64x2.splat(<f64>H))));
  let v00: v128, v10: v128, v01: v128, v11: v128;
  if (i64x2.all_true(inside)) {
    // Both lanes' tap offsets (fy0 + 1)·Wp + fx0 + 1 at once, in i32 lanes 0 and 1 (exact: in range).
    const Wp = W + 2;
    const ix = i32x4.trunc_sat_f64x2_s_zero(fx0), iy = i32x4.trunc_sat_f64x2_s_zero(fy0);
    const idx = i32x4.add(i32x4.mul(iy, i32x4.splat(Wp)), i32x4.add(ix, i32x4.splat(Wp + 1)));
    const ia = i32x4.extract_lane(idx, 0), ib = i32x4.extract_lane(idx, 1);
    const pa = src + (<usize>ia << 3), pb = src + (<usize>ib << 3), rowB = <usize>Wp << 3;
    const ta = v128.load(pa), tb = v128.load(pb), ba = v128.load(pa + rowB), bb = v128.load(pb + rowB);
    v00 = v128.shuffle<f64>(ta, tb, 0, 2);
    v10 = v128.shuffle<f64>(ta, tb, 1, 3);
    v01 = v128.shuffle<f64>(ba, bb, 0, 2);
    v11 = v128.shuffle<f64>(ba, bb, 1, 3);
  } else {
    const ax = <i32>f64x2.extract_lane(fx0, 0), ay = <i32>f64x2.extract_lane(fy0, 0);
    const bx = <i32>f64x2.extract_lane(fx0, 1), by = <i32>f64x2.extract_lane(fy0, 1);
    v00 = f64x2.replace_lane(f64x2.splat(tap(src, H, W, ax, ay)), 1, tap(src, H, W, bx, by));
    v10 = f64x2.replace_lane(f64x2.splat(tap(src, H, W, ax + 1, ay)), 1, tap(src, H, W, bx + 1, by));
    v01 = f64x2.replace_lane(f64x2.splat(tap(src, H, W, ax, ay + 1)), 1, tap(src, H, W, bx, by + 1));
    v11 = f64x2.replace_lane(f64x2.splat(tap(src, H, W, ax + 1, ay + 1)), 1, tap(src, H, W, bx + 1, by + 1));
  }
  const one = f64x2.splat(1);
  const gx = f64x2.sub(one, fx), gy = f64x2.sub(one, fy);
  const top = f64x2.add(f64x2.mul(v00, gx), f64x2.mul(v10, fx));
  const bottom = f64x2.add(f64x2.mul(v01, gx), f64x2.mul(v11, fx));
  return f64x2.add(f64x2.mul(top, gy), f64x2.mul(bottom, fy));
}

/** The scalar code's v < 0 ? 0 : v > 1 ? 1 : v per lane (−0 and NaN pass through as there). */
// @ts-ignore: decorator
@inline function clamp01(v: v128): v128 {
  const zero = f64x2.splat(0), one = f64x2.splat(1);
  return v128.bitselect(zero, v128.bitselect(one, v, f64x2.gt(v, one)), f64x2.lt(v, zero));
}

/** adjustBrightness: x = clamp(b·x, 0, 1). */
function brightness(img: usize, n: i32, factor: f64): void {
  const f = f64x2.splat(factor);
  let p = 0;
  for (; p + 2 <= n; p += 2) {
    const q = img + (<usize>p << 3);
    v128.store(q, clamp01(f64x2.mul(v128.load(q), f)));
  }
  for (; p < n; p++) {
    const v = at(img, p) * factor;
    store<f64>(img + (<usize>p << 3), v < 0 ? 0 : v > 1 ? 1 : v);
  }
}

/** adjustContrast: x = clamp(c·x + (1-c)·mean(x), 0, 1). */
function contrast(img: usize, n: i32, factor: f64): void {
  let sum: f64 = 0;
  for (let p = 0; p < n; p++) sum += at(img, p);
  const offset = (1 - factor) * (n > 0 ? sum / <f64>n : 0);
  const f = f64x2.splat(factor), off = f64x2.splat(offset);
  let p = 0;
  for (; p + 2 <= n; p += 2) {
    const q = img + (<usize>p << 3);
    v128.store(q, clamp01(f64x2.add(f64x2.mul(v128.load(q), f), off)));
  }
  for (; p < n; p++) {
    const v = at(img, p) * factor + offset;
    store<f64>(img + (<usize>p << 3), v < 0 ? 0 : v > 1 ? 1 : v);
  }
}
