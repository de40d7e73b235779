// Training augmentation of a batch in wasm, so that the pool's threads share it: the same arithmetic
// as src/data/augment.ts (the reference), in f64 and in the same order, so the output is bit-identical
// to it: bilinear affine warp (rotation, shift, scale) with zero fill (torchvision's inverse map), brightness and contrast in the
// drawn order, clamped to [0,1], then (x - mean)/std rounded to f32. The random draws and cos/sin of
// the angle stay in JavaScript (Math.cos need not round like any wasm cos).
// Two pixels at a time in f64x2 lanes: each lane does the scalar code's operations in its order
// (no fused multiply-add, IEEE floor and division), so the bits are the reference's; the taps of the
// bilinear sample are still read one by one, with out-of-image taps read as zero.

/**
 * Per image, 7 f64 in params: cos/s, sin/s, brightness factor, contrast factor, brightness first (0/1), tx, ty.
 * fields: 0, or per image an elastic displacement field of 2·H·W f64 (src/data/elastic.ts).
 */
export function augment_batch(src: usize, params: usize, out: usize, k0: i32, k1: i32, H: i32, W: i32,
  mean: f64, std: f64, work: usize, fields: usize): void {
  const pixels = H * W;
  const unit = work, img = work + (<usize>pixels << 3);
  for (let k = k0; k < k1; k++) {
    const s = src + <usize>(k * pixels);
    const k255 = f64x2.splat(255);
    let p = 0;
    for (; p + 2 <= pixels; p += 2) {
      const u = f64x2.replace_lane(f64x2.splat(<f64>load<u8>(s + <usize>p)), 1, <f64>load<u8>(s + <usize>p, 1));
      v128.store(unit + (<usize>p << 3), f64x2.div(u, k255));
    }
    for (; p < pixels; p++) store<f64>(unit + (<usize>p << 3), <f64>load<u8>(s + <usize>p) / 255);
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
    p = 0;
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
 * zero outside; with a field (≠ 0), each output pixel displaced first, one pixel at a time.
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

/** The bilinear sample of src at (xs, ys), zero outside: the scalar code of affineBilinear. */
// @ts-ignore: decorator
@inline function sample(src: usize, H: i32, W: i32, xs: f64, ys: f64): f64 {
  const fx0 = Math.floor(xs), fy0 = Math.floor(ys);
  const fx = xs - fx0, fy = ys - fy0;
  const x0 = <i32>fx0, y0 = <i32>fy0;
  let v: f64 = 0;
  if (fx0 >= 0 && fy0 >= 0 && x0 + 1 < W && y0 + 1 < H) {
    const i = y0 * W + x0;
    v = (at(src, i) * (1 - fx) + at(src, i + 1) * fx) * (1 - fy) + (at(src, i + W) * (1 - fx) + at(src, i + W + 1) * fx) * fy;
  } else if (fx0 >= -1 && fy0 >= -1 && fx0 < <f64>W && fy0 < <f64>H) {
    // Border: taps outside the image read as zero.
    const i = y0 * W + x0;
    const inX0 = x0 >= 0, inX1 = x0 + 1 < W, inY0 = y0 >= 0, inY1 = y0 + 1 < H;
    const v00 = inX0 && inY0 ? at(src, i) : 0, v10 = inX1 && inY0 ? at(src, i + 1) : 0;
    const v01 = inX0 && inY1 ? at(src, i + W) : 0, v11 = inX1 && inY1 ? at(src, i + W + 1) : 0;
    v = (v00 * (1 - fx) + v10 * fx) * (1 - fy) + (v01 * (1 - fx) + v11 * fx) * fy;
  }
  return v;
}

/** Tap (x, y) of src, or 0 outside the image. */
// @ts-ignore: decorator
@inline function tap(src: usize, H: i32, W: i32, x: i32, y: i32): f64 {
  return x >= 0 && x < W && y >= 0 && y < H ? at(src, y * W + x) : 0;
}

/**
 * Output pixels x and x+1 of one row of affine, as f64x2: the scalar loop's arithmetic per lane.
 * Taps outside the image read as zero, which gives the scalar code's value in all three of its
 * cases (inside: the same taps; border: its masked taps; outside: (0·(1−fx) + 0·fx)·(1−fy) + … = +0).
 */
function affinePair(src: usize, H: i32, W: i32, a: f64, b: f64, xRow: f64, yRow: f64, x: i32): v128 {
  const xv = f64x2.replace_lane(f64x2.splat(<f64>x), 1, <f64>(x + 1));
  const xs = f64x2.add(f64x2.splat(xRow), f64x2.mul(f64x2.splat(a), xv));
  const ys = f64x2.add(f64x2.splat(yRow), f64x2.mul(f64x2.splat(b), xv));
  const fx0 = f64x2.floor(xs), fy0 = f64x2.floor(ys);
  const fx = f64x2.sub(xs, fx0), fy = f64x2.sub(ys, fy0);
  const ax = <i32>f64x2.extract_lane(fx0, 0), ay = <i32>f64x2.extract_lane(fy0, 0);
  const bx = <i32>f64x2.extract_lane(fx0, 1), by = <i32>f64x2.extract_lane(fy0, 1);
  const v00 = f64x2.replace_lane(f64x2.splat(tap(src, H, W, ax, ay)), 1, tap(src, H, W, bx, by));
  const v10 = f64x2.replace_lane(f64x2.splat(tap(src, H, W, ax + 1, ay)), 1, tap(src, H, W, bx + 1, by));
  const v01 = f64x2.replace_lane(f64x2.splat(tap(src, H, W, ax, ay + 1)), 1, tap(src, H, W, bx, by + 1));
  const v11 = f64x2.replace_lane(f64x2.splat(tap(src, H, W, ax + 1, ay + 1)), 1, tap(src, H, W, bx + 1, by + 1));
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
