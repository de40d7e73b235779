// Training augmentation of a batch in wasm, so that the pool's threads share it: the same arithmetic
// as src/data/augment.ts (the reference), in f64 and in the same order, so the output is bit-identical
// to it: bilinear affine warp (rotation, shift, scale) with zero fill (torchvision's inverse map), brightness and contrast in the
// drawn order, clamped to [0,1], then (x - mean)/std rounded to f32. The random draws and cos/sin of
// the angle stay in JavaScript (Math.cos need not round like any wasm cos).

/** Per image, 7 f64 in params: cos/s, sin/s, brightness factor, contrast factor, brightness first (0/1), tx, ty. */
export function augment_batch(src: usize, params: usize, out: usize, k0: i32, k1: i32, H: i32, W: i32,
  mean: f64, std: f64, work: usize): void {
  const pixels = H * W;
  const unit = work, img = work + (<usize>pixels << 3);
  for (let k = k0; k < k1; k++) {
    const s = src + <usize>(k * pixels);
    for (let p = 0; p < pixels; p++) store<f64>(unit + (<usize>p << 3), <f64>load<u8>(s + <usize>p) / 255);
    const q = params + (<usize>(7 * k) << 3);
    affine(img, unit, H, W, load<f64>(q), load<f64>(q, 8), load<f64>(q, 40), load<f64>(q, 48));
    const b = load<f64>(q, 16), c = load<f64>(q, 24);
    if (load<f64>(q, 32) != 0) {
      brightness(img, pixels, b);
      contrast(img, pixels, c);
    } else {
      contrast(img, pixels, c);
      brightness(img, pixels, b);
    }
    const o = out + (<usize>(k * pixels) << 2);
    for (let p = 0; p < pixels; p++) store<f32>(o + (<usize>p << 2), <f32>((load<f64>(img + (<usize>p << 3)) - mean) / std));
  }
}

// @ts-ignore: decorator
@inline function at(a: usize, i: i32): f64 {
  return load<f64>(a + (<usize>i << 3));
}

/** affineBilinear of src/data/augment.ts: dst (H,W) = src scaled, rotated about the centre and shifted, zero outside. */
function affine(dst: usize, src: usize, H: i32, W: i32, a: f64, b: f64, tx: f64, ty: f64): void {
  const cx = <f64>(W - 1) / 2, cy = <f64>(H - 1) / 2;
  const ox = cx + tx, oy = cy + ty;
  for (let y = 0; y < H; y++) {
    const xRow = -a * ox - b * (<f64>y - oy) + cx;
    const yRow = -b * ox + a * (<f64>y - oy) + cy;
    const row = y * W;
    for (let x = 0; x < W; x++) {
      const xs = xRow + a * <f64>x, ys = yRow + b * <f64>x;
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
      store<f64>(dst + (<usize>(row + x) << 3), v);
    }
  }
}

/** adjustBrightness: x = clamp(b·x, 0, 1). */
function brightness(img: usize, n: i32, factor: f64): void {
  for (let p = 0; p < n; p++) {
    const v = at(img, p) * factor;
    store<f64>(img + (<usize>p << 3), v < 0 ? 0 : v > 1 ? 1 : v);
  }
}

/** adjustContrast: x = clamp(c·x + (1-c)·mean(x), 0, 1). */
function contrast(img: usize, n: i32, factor: f64): void {
  let sum: f64 = 0;
  for (let p = 0; p < n; p++) sum += at(img, p);
  const offset = (1 - factor) * (n > 0 ? sum / <f64>n : 0);
  for (let p = 0; p < n; p++) {
    const v = at(img, p) * factor + offset;
    store<f64>(img + (<usize>p << 3), v < 0 ? 0 : v > 1 ? 1 : v);
  }
}
