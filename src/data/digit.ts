// Turns an arbitrary grey picture of one digit into an MNIST-style 28x28 image, the way the MNIST
// paper built its data: ink box scaled to 20 px on the longer side, centre of mass at the centre.
// Environment-agnostic (used by `predict` and the browser canvas); it does not decode files or
// normalise with MEAN/STD.

import { IMAGE_SIZE } from './constants.js';

const BOX = 20; // the longer side of the ink box after scaling
const NOISE = 0.1; // after contrast stretch, values below this are background
const MIN_CONTRAST = 0.05; // less ink-to-background difference than this means a blank picture

/** Per output index: the source indices it reads and their weights (summing to 1). */
interface Taps {
  index: number[][];
  weight: number[][];
}

/** Box filter (area averaging) when shrinking, bilinear with clamped edges when growing. */
function axisTaps(srcLen: number, dstLen: number): Taps {
  const index: number[][] = [];
  const weight: number[][] = [];
  for (let o = 0; o < dstLen; o++) {
    const idx: number[] = [];
    const w: number[] = [];
    if (dstLen < srcLen) {
      // Output pixel o covers source interval [lo, hi); integer products keep the ends exact.
      const lo = (o * srcLen) / dstLen;
      const hi = ((o + 1) * srcLen) / dstLen;
      for (let s = Math.floor(lo); s < Math.min(Math.ceil(hi), srcLen); s++) {
        const overlap = Math.min(hi, s + 1) - Math.max(lo, s);
        if (overlap > 0) {
          idx.push(s);
          w.push(overlap / (hi - lo));
        }
      }
    } else {
      const pos = Math.min(Math.max(((o + 0.5) * srcLen) / dstLen - 0.5, 0), srcLen - 1);
      const s0 = Math.floor(pos);
      const f = pos - s0;
      idx.push(s0);
      w.push(1 - f);
      if (f > 0) {
        idx.push(s0 + 1);
        w.push(f);
      }
    }
    index.push(idx);
    weight.push(w);
  }
  return { index, weight };
}

/** Resamples the (h,w) window at (x0,y0) of src (rows of `stride`) to (nh,nw), separably. */
function resample(
  src: Float32Array, stride: number, x0: number, y0: number, w: number, h: number, nw: number, nh: number,
): Float32Array {
  const tx = axisTaps(w, nw);
  const ty = axisTaps(h, nh);
  const rows = new Float32Array(h * nw); // (h, nw): horizontal pass
  for (let y = 0; y < h; y++) {
    const base = (y0 + y) * stride + x0;
    for (let o = 0; o < nw; o++) {
      const idx = tx.index[o]!, wt = tx.weight[o]!;
      let acc = 0;
      for (let t = 0; t < idx.length; t++) acc += src[base + idx[t]!]! * wt[t]!;
      rows[y * nw + o] = acc;
    }
  }
  const out = new Float32Array(nh * nw); // (nh, nw): vertical pass
  for (let o = 0; o < nh; o++) {
    const idx = ty.index[o]!, wt = ty.weight[o]!;
    for (let x = 0; x < nw; x++) {
      let acc = 0;
      for (let t = 0; t < idx.length; t++) acc += rows[idx[t]! * nw + x]! * wt[t]!;
      out[o * nw + x] = acc;
    }
  }
  return out;
}

/** Inverts black-on-white pictures, stretches ink to [0,1] and zeroes faint noise. (height,width). */
function inkImage(grey: Float32Array, width: number, height: number): Float32Array | null {
  const n = width * height;
  let total = 0, border = 0, borderCount = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = grey[y * width + x]!;
      total += v;
      if (y === 0 || x === 0 || y === height - 1 || x === width - 1) {
        border += v;
        borderCount++;
      }
    }
  }
  const invert = border / borderCount > total / n;
  const ink = new Float32Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.min(1, Math.max(0, invert ? 1 - grey[i]! : grey[i]!));
    ink[i] = v;
    if (v > max) max = v;
  }
  // Background level: the border, unless the picture is all border (then assume black).
  const bg = width > 2 && height > 2 ? (invert ? 1 - border / borderCount : border / borderCount) : 0;
  if (max - bg < MIN_CONTRAST) return null;
  for (let i = 0; i < n; i++) {
    const v = (ink[i]! - bg) / (max - bg);
    ink[i] = v < NOISE ? 0 : v > 1 ? 1 : v;
  }
  return ink;
}

/**
 * grey: (height,width) intensities in [0,1], either polarity, any size.
 * Returns (28,28) in [0,1], white digit on black; all zeros if there is no ink.
 */
export function toMnistDigit(grey: Float32Array, width: number, height: number): Float32Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`toMnistDigit: size must be positive integers, got ${width}x${height}`);
  }
  if (grey.length !== width * height) {
    throw new RangeError(`toMnistDigit: expected ${width}x${height} = ${width * height} values, got ${grey.length}`);
  }
  const out = new Float32Array(IMAGE_SIZE * IMAGE_SIZE);
  const ink = inkImage(grey, width, height);
  if (ink === null) return out;

  // Bounding box of the ink.
  let left = width, right = -1, top = height, bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! > 0) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        if (y > bottom) bottom = y;
      }
    }
  }
  if (right < 0) return out;
  const bw = right - left + 1;
  const bh = bottom - top + 1;
  const scale = BOX / Math.max(bw, bh);
  const nw = Math.max(1, Math.min(BOX, Math.round(bw * scale)));
  const nh = Math.max(1, Math.min(BOX, Math.round(bh * scale)));
  const digit = resample(ink, width, left, top, bw, bh, nw, nh); // (nh, nw)

  // Centre of mass in pixel-index coordinates, moved to index (14,14) as in MNIST itself
  // (its digits average a centre of mass of 14.00, 13.99).
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < nh; y++) {
    for (let x = 0; x < nw; x++) {
      const v = digit[y * nw + x]!;
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  if (mass <= 0) return out;
  const centre = IMAGE_SIZE / 2;
  const ox = Math.min(Math.max(Math.round(centre - mx / mass), 0), IMAGE_SIZE - nw);
  const oy = Math.min(Math.max(Math.round(centre - my / mass), 0), IMAGE_SIZE - nh);
  for (let y = 0; y < nh; y++) {
    for (let x = 0; x < nw; x++) {
      out[(oy + y) * IMAGE_SIZE + ox + x] = Math.min(1, Math.max(0, digit[y * nw + x]!));
    }
  }
  return out;
}
