// Tests for loadIdxDataset: file-name variants (dotted, gzipped), the consistency checks, limits,
// and the shipped MNIST files. Synthetic datasets are written to a temp directory.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { candidateNames, defaultDataDir, loadIdxDataset, maybeGunzip } from '../../src/data/datasets.js';
import { normaliseBatch } from '../../src/data/augment.js';
import { encodeIdx } from '../../src/data/idx.js';
import { expectClose, golden } from '../helpers.js';
import { FileFormatError, UserError } from '../../src/util/errors.js';

const root = mkdtempSync(join(tmpdir(), 'tiny-mnist-datasets-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Files {
  trainImages?: Uint8Array;
  trainLabels?: Uint8Array;
  testImages?: Uint8Array;
  testLabels?: Uint8Array;
}

/** A dataset of n train / m test 4x3 images whose pixels and labels are their index. */
function makeFiles(n = 5, m = 3): Required<Files> {
  const images = (k: number) => encodeIdx([k, 4, 3], Uint8Array.from({ length: k * 12 }, (_, i) => Math.floor(i / 12)));
  const labels = (k: number) => encodeIdx([k], Uint8Array.from({ length: k }, (_, i) => i % 10));
  return { trainImages: images(n), trainLabels: labels(n), testImages: images(m), testLabels: labels(m) };
}

let dirCount = 0;
function writeDataset(files: Files, style: 'plain' | 'dotted' | 'gz' = 'plain'): string {
  const dir = join(root, `d${dirCount++}`);
  mkdirSync(dir);
  const names: Array<[keyof Files, string]> = [
    ['trainImages', 'train-images-idx3-ubyte'],
    ['trainLabels', 'train-labels-idx1-ubyte'],
    ['testImages', 't10k-images-idx3-ubyte'],
    ['testLabels', 't10k-labels-idx1-ubyte'],
  ];
  for (const [key, stem] of names) {
    const data = files[key];
    if (data === undefined) continue;
    if (style === 'gz') writeFileSync(join(dir, `${stem}.gz`), gzipSync(data));
    else writeFileSync(join(dir, style === 'dotted' ? stem.replace('-idx', '.idx') : stem), data);
  }
  return dir;
}

function throwsWith(fn: () => unknown, kind: new (...args: never[]) => UserError, fragment: string): void {
  assert.throws(fn, (e: unknown) => e instanceof kind && e.message.includes(fragment), `expected "${fragment}"`);
}

test('candidate names cover the usual spellings', () => {
  assert.deepEqual(candidateNames('train-images-idx3-ubyte'), [
    'train-images-idx3-ubyte',
    'train-images.idx3-ubyte',
    'train-images-idx3-ubyte.gz',
    'train-images.idx3-ubyte.gz',
  ]);
});

test('loads plain, dotted and gzipped layouts identically', () => {
  for (const style of ['plain', 'dotted', 'gz'] as const) {
    const dir = writeDataset(makeFiles(), style);
    const ds = loadIdxDataset(dir);
    assert.equal(ds.numClasses, 10);
    assert.equal(ds.name, dir.split(/[\\/]/).pop());
    assert.deepEqual([ds.train.count, ds.train.height, ds.train.width], [5, 4, 3], style);
    assert.deepEqual([ds.test.count, ds.test.height, ds.test.width], [3, 4, 3], style);
    assert.equal(ds.train.images.length, 60);
    assert.equal(ds.train.images[12 * 4], 4);
    assert.deepEqual([...ds.train.labels], [0, 1, 2, 3, 4]);
  }
});

test('limits keep the first N examples', () => {
  const ds = loadIdxDataset(writeDataset(makeFiles(5, 3)), { limitTrain: 2, limitTest: 10 });
  assert.equal(ds.train.count, 2);
  assert.equal(ds.train.images.length, 24);
  assert.deepEqual([...ds.train.labels], [0, 1]);
  assert.equal(ds.test.count, 3);
});

test('a limit keeping most of a file views it; a small one copies, so the file can be freed', () => {
  // Copying 4 of 5 images would hold the file and the copy at once (MNIST: 47 MB more at the peak).
  const dir = writeDataset(makeFiles(5, 3));
  const most = loadIdxDataset(dir, { limitTrain: 4 }).train;
  assert.deepEqual([most.count, most.images.length, most.labels.length], [4, 48, 4]);
  assert.equal(most.images[12 * 3], 3);
  assert.ok(most.images.buffer.byteLength > 48, 'images: a view into the file');
  assert.ok(most.labels.buffer.byteLength > 4, 'labels: a view into the file');
  const few = loadIdxDataset(dir, { limitTrain: 2 }).train;
  assert.equal(few.images.buffer.byteLength, 24, 'images: a copy of 2 images');
  assert.equal(few.labels.buffer.byteLength, 2, 'labels: a copy of 2 labels');
});

test('bad limits, directories and files are reported', () => {
  const good = makeFiles();
  const dir = writeDataset(good);
  for (const bad of [0, -1, 1.5, NaN]) {
    throwsWith(() => loadIdxDataset(dir, { limitTrain: bad }), UserError, `limitTrain must be a positive integer, got ${bad}`);
  }
  throwsWith(() => loadIdxDataset(join(root, 'nope')), UserError, 'data directory not found');
  throwsWith(
    () => loadIdxDataset(writeDataset({ ...good, testLabels: undefined })),
    UserError,
    'no t10k-labels-idx1-ubyte file; looked for t10k-labels-idx1-ubyte, t10k-labels.idx1-ubyte, t10k-labels-idx1-ubyte.gz',
  );

  const swapped = writeDataset({ ...good, trainImages: good.trainLabels });
  throwsWith(() => loadIdxDataset(swapped), FileFormatError, 'expected images with 3 dimensions (count x height x width), found 1 (5)');
  throwsWith(() => loadIdxDataset(writeDataset({ ...good, testLabels: good.testImages })), FileFormatError, 'expected labels with 1 dimension');

  const fewer = writeDataset({ ...good, trainLabels: encodeIdx([4], new Uint8Array(4)) });
  throwsWith(() => loadIdxDataset(fewer), FileFormatError, 'has 4 labels but');

  const badLabel = writeDataset({ ...good, trainLabels: encodeIdx([5], Uint8Array.of(1, 2, 3, 12, 0)) });
  throwsWith(() => loadIdxDataset(badLabel), FileFormatError, 'label at index 3 is 12, expected 0 to 9');

  const otherSize = writeDataset({ ...good, testImages: encodeIdx([3, 2, 2], new Uint8Array(12)) });
  throwsWith(() => loadIdxDataset(otherSize), UserError, 'test images are 2x2 but training images are 4x3');
  // Either dimension alone differing is enough.
  const otherWidth = writeDataset({ ...good, testImages: encodeIdx([3, 4, 2], new Uint8Array(24)) });
  throwsWith(() => loadIdxDataset(otherWidth), UserError, 'test images are 4x2 but training images are 4x3');
  const otherHeight = writeDataset({ ...good, testImages: encodeIdx([3, 3, 3], new Uint8Array(27)) });
  throwsWith(() => loadIdxDataset(otherHeight), UserError, 'test images are 3x3 but training images are 4x3');
});

test('corrupt gzip is a FileFormatError', () => {
  const gz = gzipSync(new Uint8Array(100));
  throwsWith(() => maybeGunzip(gz.subarray(0, 20), 'x.gz'), FileFormatError, 'x.gz: corrupt gzip data: ');
  const notGz = Uint8Array.of(0, 0, 8, 1);
  assert.equal(maybeGunzip(notGz, 'x'), notGz);
});

test('the shipped MNIST files load with the expected sizes', () => {
  const ds = loadIdxDataset(undefined, { limitTrain: 100, limitTest: 50 });
  assert.equal(ds.name, 'mnist');
  assert.ok(defaultDataDir().endsWith('data'));
  assert.deepEqual([ds.train.count, ds.train.height, ds.train.width], [100, 28, 28]);
  assert.equal(ds.train.images.length, 100 * 784);
  assert.equal(ds.test.count, 50);
  // The first training digit of MNIST is a 5, the first test digit a 7.
  assert.equal(ds.train.labels[0], 5);
  assert.equal(ds.test.labels[0], 7);
});

test('a file of just the two gzip magic bytes is corrupt gzip, named', () => {
  assert.throws(() => maybeGunzip(Uint8Array.from([0x1f, 0x8b]), 'x.gz'), /^FileFormatError: x\.gz: corrupt gzip data/);
  assert.deepEqual(maybeGunzip(Uint8Array.from([0x1f]), 'x'), Uint8Array.from([0x1f]));
});

test('normalisation: the first 8 MNIST training images as the PyTorch script normalised them', () => {
  const data = loadIdxDataset(undefined, { limitTrain: 8, limitTest: 1 });
  const out = new Float32Array(8 * 784);
  normaliseBatch(data.train, Array.from({ length: 8 }, (_, i) => i), 0, 8, out);
  expectClose(out, golden('net_step').get('x'), 'x', 0, 1e-6);
});
