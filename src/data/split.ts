// The validation split of `train --val N`: N training images held out, chosen from the run's seed
// with a generator of their own (so the training streams, and a run without --val, are unchanged).
// Both parts keep the original order. Not a shuffle of the training set: the rest trains exactly as
// a smaller training set would.
import { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';
import type { Split } from './datasets.js';

/** Distinct from the seeds makeTrainer derives from `seed` (root.fork() draws from Rng(seed)). */
const VAL_STREAM = 0x5eed5eed;

/** The held-out indices: `n` distinct positions in [0, count), ascending, fixed by `seed`. */
export function validationIndices(count: number, n: number, seed: number): Uint32Array {
  if (!Number.isInteger(n) || n < 1 || n >= count) {
    throw new UserError(`--val ${n}: must hold out between 1 and ${count - 1} of the ${count} training images (at least one must remain to train on)`);
  }
  const rng = new Rng((seed ^ VAL_STREAM) >>> 0);
  // Partial Fisher–Yates: the first n slots end up a uniform random n-subset.
  const idx = new Uint32Array(count);
  for (let i = 0; i < count; i++) idx[i] = i;
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(count - i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.slice(0, n).sort();
}

/** The images at `indices` (ascending) of `s`, as a new Split. */
function pick(s: Split, indices: ArrayLike<number>): Split {
  const px = s.height * s.width;
  const images = new Uint8Array(indices.length * px);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    images.set(s.images.subarray(i * px, (i + 1) * px), k * px);
    labels[k] = s.labels[i]!;
  }
  return { images, labels, count: indices.length, height: s.height, width: s.width };
}

/** Splits `train` into the part to train on (the rest, in order) and `n` validation images. */
export function splitValidation(train: Split, n: number, seed: number): { train: Split; val: Split; valIndices: Uint32Array } {
  const valIndices = validationIndices(train.count, n, seed);
  const held = new Uint8Array(train.count);
  for (const i of valIndices) held[i] = 1;
  const rest: number[] = [];
  for (let i = 0; i < train.count; i++) if (!held[i]) rest.push(i);
  return { train: pick(train, rest), val: pick(train, valIndices), valIndices };
}
