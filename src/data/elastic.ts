// Elastic distortion (Simard, Steinkraus & Platt 2003) in a cheap smooth form: every output pixel
// samples the image at its own position plus a displacement that varies smoothly over the image.
// The field is bilinear between the displacements of a 5×5 grid of control points spread evenly from
// corner to corner (4×4 cells, 6.75 pixels wide on 28×28), each moved uniform(−d, d) pixels in x and
// in y: 50 random draws per image, where Simard's Gaussian-smoothed noise needs one per pixel and a
// blur. augment.ts applies it before the affine part (rotation, scale, shift) in the same resampling,
// so each image is interpolated once.
import type { Rng } from '../util/rng.js';

/** Control points per side. */
export const ELASTIC_GRID = 5;

/** The control points' displacements (2·5·5): x of all points (row-major), then y; uniform(−d, d). */
export function drawElastic(rng: Rng, d: number): Float64Array {
  const g = new Float64Array(2 * ELASTIC_GRID * ELASTIC_GRID);
  for (let i = 0; i < g.length; i++) g[i] = rng.range(-d, d);
  return g;
}

/** The field (2,H,W) into out: plane 0 the x displacement of each pixel, plane 1 the y; bilinear between control points. */
export function elasticField(ctrl: Float64Array, height: number, width: number, out: Float64Array): void {
  const G = ELASTIC_GRID, n = G * G, pixels = height * width;
  if (ctrl.length !== 2 * n || out.length < 2 * pixels) throw new RangeError(`elasticField: ${ctrl.length} control values (need ${2 * n}), out ${out.length} (need ${2 * pixels})`);
  for (let y = 0; y < height; y++) {
    const v = height > 1 ? (y * (G - 1)) / (height - 1) : 0;
    const j = Math.min(Math.floor(v), G - 2), fv = v - j;
    for (let x = 0; x < width; x++) {
      const u = width > 1 ? (x * (G - 1)) / (width - 1) : 0;
      const i = Math.min(Math.floor(u), G - 2), fu = u - i;
      for (let c = 0; c < 2; c++) {
        const p = c * n + j * G + i;
        out[c * pixels + y * width + x] = (ctrl[p]! * (1 - fu) + ctrl[p + 1]! * fu) * (1 - fv) + (ctrl[p + G]! * (1 - fu) + ctrl[p + G + 1]! * fu) * fv;
      }
    }
  }
}
