// Turns raw image bytes into a normalised float batch (N,1,H,W), optionally with torchvision-style
// augmentation: RandomRotation (bilinear, zero fill) then ColorJitter(brightness, contrast).
// Plain JS: the reference that src/data/augment-wasm.ts (wasm, split across threads, bit-identical)
// is tested against, and the path for callers without an engine. It does not shuffle or pick indices.

import { MNIST_MEAN, MNIST_STD } from './constants.js';
import type { Split } from './datasets.js';
import type { Rng } from '../util/rng.js';
import { drawElastic, elasticField } from './elastic.js';

export interface AugmentOptions {
  /** Rotation angle drawn uniformly from [-rotateDeg, rotateDeg]; positive = counter-clockwise. */
  rotateDeg: number;
  /** Brightness factor drawn from [max(0, 1-brightness), 1+brightness]. */
  brightness: number;
  /** Contrast factor drawn from [max(0, 1-contrast), 1+contrast]. */
  contrast: number;
  /** Shift ± this many pixels in x and in y: round(uniform(-t, t)), whole pixels as torchvision's RandomAffine. 0 or absent: none. */
  translate?: number;
  /** Scale factor drawn from [1-scale, 1+scale] (zoom about the centre). 0 or absent: none. */
  scale?: number;
  /** Elastic distortion (elastic.ts): control points moved uniform(±elastic) pixels. 0 or absent: none. */
  elastic?: number;
}

// byte -> float in [0,1], and byte -> normalised float; float64 so both paths round identically.
const UNIT_LUT = new Float64Array(256).map((_, i) => i / 255);
const NORM_LUT = UNIT_LUT.map((v) => (v - MNIST_MEAN) / MNIST_STD);

/** Checks a batch request: [start, start+count) within indices, every index an image of src, out large enough. */
export function checkBatch(src: Split, indices: ArrayLike<number>, start: number, count: number, outFloats: number): void {
  const pixels = src.height * src.width;
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > indices.length) {
    throw new RangeError(`batch [${start}, ${start + count}) is outside the ${indices.length} indices`);
  }
  if (outFloats < count * pixels) {
    throw new RangeError(`out has ${outFloats} floats, need ${count}x1x${src.height}x${src.width} = ${count * pixels}`);
  }
  for (let k = start; k < start + count; k++) {
    const idx = indices[k]!;
    if (!(idx >= 0 && idx < src.count && Number.isInteger(idx))) {
      throw new RangeError(`indices[${k}] = ${idx} is outside the split of ${src.count} images`);
    }
  }
}

export function checkAugment(aug: AugmentOptions): void {
  for (const key of ['rotateDeg', 'brightness', 'contrast', 'translate', 'scale', 'elastic'] as const) {
    const v = aug[key] ?? 0;
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`augment ${key} must be a finite number >= 0, got ${v}`);
  }
  if ((aug.scale ?? 0) >= 1) throw new RangeError(`augment scale must be below 1, got ${aug.scale}`);
}

/** Writes images indices[start..start+count) into out (count,1,H,W) as (x/255 - MEAN)/STD. */
export function normaliseBatch(
  src: Split,
  indices: ArrayLike<number>,
  start: number,
  count: number,
  out: Float32Array,
): void {
  checkBatch(src, indices, start, count, out.length);
  const pixels = src.height * src.width;
  const images = src.images;
  for (let k = 0; k < count; k++) {
    const from = indices[start + k]! * pixels;
    const to = k * pixels;
    for (let p = 0; p < pixels; p++) out[to + p] = NORM_LUT[images[from + p]!]!;
  }
}

/**
 * Rotates src (H,W) by angleDeg counter-clockwise about ((W-1)/2, (H-1)/2) into dst (H,W), sampling
 * bilinearly with zero outside the image (torchvision's rotate: inverse map from output pixels).
 */
export function rotateBilinear(dst: Float64Array, src: ArrayLike<number>, height: number, width: number, angleDeg: number): void {
  const m = affineOf({ angle: angleDeg, scale: 1 });
  affineBilinear(dst, src, height, width, m.a, m.b, 0, 0);
}

/**
 * torchvision's affine (no shear) into dst (H,W): the output is src scaled by s, rotated by θ about
 * the centre c = ((W-1)/2, (H-1)/2) and shifted by (tx, ty); a = cos θ / s, b = sin θ / s. Inverse map
 * from output pixels, bilinear, zero outside the image. With s = 1 and t = 0 the arithmetic is exactly
 * the plain rotation's (x - cx - 0 and cos/1 round to the same values). field (2,H,W; elastic.ts):
 * output pixel (x, y) is mapped as if it were (x + dx, y + dy); a zero field gives the same bits as none.
 */
export function affineBilinear(
  dst: Float64Array,
  src: ArrayLike<number>,
  height: number,
  width: number,
  a: number,
  b: number,
  tx: number,
  ty: number,
  field?: Float64Array,
): void {
  const pixels = height * width;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const ox = cx + tx; // the output centre
  const oy = cy + ty;
  for (let y = 0; y < height; y++) {
    // Source position of output (x,y): xs = a*(x-ox) - b*(y-oy) + cx, ys = b*(x-ox) + a*(y-oy) + cy.
    const xRow = -a * ox - b * (y - oy) + cx;
    const yRow = -b * ox + a * (y - oy) + cy;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let xs = xRow + a * x, ys = yRow + b * x;
      if (field) {
        // The same expressions with the displaced (X, Y): association as xRow's, then + a·X.
        const X = x + field[row + x]!, Y = y + field[pixels + row + x]!;
        xs = -a * ox - b * (Y - oy) + cx + a * X;
        ys = -b * ox + a * (Y - oy) + cy + b * X;
      }
      const x0 = Math.floor(xs);
      const y0 = Math.floor(ys);
      const fx = xs - x0;
      const fy = ys - y0;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
        const i = y0 * width + x0;
        dst[row + x] =
          (src[i]! * (1 - fx) + src[i + 1]! * fx) * (1 - fy) +
          (src[i + width]! * (1 - fx) + src[i + width + 1]! * fx) * fy;
      } else if (x0 >= -1 && y0 >= -1 && x0 < width && y0 < height) {
        // Border: taps outside the image read as zero.
        const inX0 = x0 >= 0, inX1 = x0 + 1 < width, inY0 = y0 >= 0, inY1 = y0 + 1 < height;
        const i = y0 * width + x0;
        const v00 = inX0 && inY0 ? src[i]! : 0;
        const v10 = inX1 && inY0 ? src[i + 1]! : 0;
        const v01 = inX0 && inY1 ? src[i + width]! : 0;
        const v11 = inX1 && inY1 ? src[i + width + 1]! : 0;
        dst[row + x] = (v00 * (1 - fx) + v10 * fx) * (1 - fy) + (v01 * (1 - fx) + v11 * fx) * fy;
      } else {
        dst[row + x] = 0;
      }
    }
  }
}

/** torchvision adjust_brightness on [0,1] floats, in place: x = clamp(b*x, 0, 1). */
export function adjustBrightness(img: Float64Array, factor: number): void {
  for (let p = 0; p < img.length; p++) {
    const v = img[p]! * factor;
    img[p] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

/** torchvision adjust_contrast on a grey image, in place: x = clamp(c*x + (1-c)*mean, 0, 1). */
export function adjustContrast(img: Float64Array, factor: number): void {
  let sum = 0;
  for (let p = 0; p < img.length; p++) sum += img[p]!;
  const offset = (1 - factor) * (img.length > 0 ? sum / img.length : 0);
  for (let p = 0; p < img.length; p++) {
    const v = img[p]! * factor + offset;
    img[p] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

export interface AugmentDraw {
  angle: number;
  tx: number;
  ty: number;
  scale: number;
  brightnessFirst: boolean;
  b: number;
  c: number;
}

/**
 * One image's random augmentation, drawn in torchvision's order: angle, then (only when translate > 0)
 * tx and ty, then (only when scale > 0) the scale, then the jitter order, brightness and contrast
 * factors. Without translate and scale the draws are exactly those of the rotation-only recipe, so
 * its runs reproduce.
 */
export function drawAugment(rng: Rng, aug: AugmentOptions): AugmentDraw {
  const angle = rng.range(-aug.rotateDeg, aug.rotateDeg);
  const t = aug.translate ?? 0;
  const tx = t > 0 ? Math.round(rng.range(-t, t)) : 0;
  const ty = t > 0 ? Math.round(rng.range(-t, t)) : 0;
  const s = aug.scale ?? 0;
  const scale = s > 0 ? rng.range(1 - s, 1 + s) : 1;
  const brightnessFirst = rng.uniform() < 0.5;
  const b = rng.range(Math.max(0, 1 - aug.brightness), 1 + aug.brightness);
  const c = rng.range(Math.max(0, 1 - aug.contrast), 1 + aug.contrast);
  return { angle, tx, ty, scale, brightnessFirst, b, c };
}

/** The affine coefficients of a draw for affineBilinear: a = cos θ / s, b = sin θ / s (θ in degrees). */
export function affineOf(d: Pick<AugmentDraw, 'angle' | 'scale'>): { a: number; b: number } {
  const rad = (d.angle * Math.PI) / 180;
  return { a: Math.cos(rad) / d.scale, b: Math.sin(rad) / d.scale };
}

/**
 * Like normaliseBatch, but with aug each image is rotated (and shifted, scaled, elastically
 * distorted), then brightness and contrast are jittered in a random order; the rng draws of each
 * image are drawAugment's, then (only with elastic > 0) drawElastic's.
 * aug = null is exactly normaliseBatch (no rng draws).
 */
export function augmentBatch(
  src: Split,
  indices: ArrayLike<number>,
  start: number,
  count: number,
  out: Float32Array,
  rng: Rng,
  aug: AugmentOptions | null,
): void {
  if (aug === null) {
    normaliseBatch(src, indices, start, count, out);
    return;
  }
  checkBatch(src, indices, start, count, out.length);
  checkAugment(aug);
  const { height, width, images } = src;
  const pixels = height * width;
  const unit = new Float64Array(pixels); // source image in [0,1], reused for every image
  const work = new Float64Array(pixels); // transformed + jittered image
  const field = (aug.elastic ?? 0) > 0 ? new Float64Array(2 * pixels) : undefined; // drawn after drawAugment, per image
  for (let k = 0; k < count; k++) {
    const from = indices[start + k]! * pixels;
    for (let p = 0; p < pixels; p++) unit[p] = UNIT_LUT[images[from + p]!]!;

    const d = drawAugment(rng, aug);
    const { brightnessFirst, b, c } = d;
    const m = affineOf(d);
    if (field) elasticField(drawElastic(rng, aug.elastic!), height, width, field);
    affineBilinear(work, unit, height, width, m.a, m.b, d.tx, d.ty, field);
    if (brightnessFirst) {
      adjustBrightness(work, b);
      adjustContrast(work, c);
    } else {
      adjustContrast(work, c);
      adjustBrightness(work, b);
    }

    const to = k * pixels;
    for (let p = 0; p < pixels; p++) out[to + p] = (work[p]! - MNIST_MEAN) / MNIST_STD;
  }
}
