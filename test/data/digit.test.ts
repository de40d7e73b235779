// Tests for toMnistDigit: polarity, 20-px scaling, centre of mass at (14,14), blank and tiny inputs,
// and that a real MNIST digit survives the round trip roughly unchanged.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toMnistDigit } from '../../src/data/digit.js';
import { loadIdxDataset } from '../../src/data/datasets.js';

interface Stats {
  rows: number[]; // rows holding ink
  cols: number[];
  comX: number; // pixel-index coordinates, as MNIST centres them at (14,14)
  comY: number;
  max: number;
}

function stats(img: Float32Array): Stats {
  const rows = new Set<number>(), cols = new Set<number>();
  let mass = 0, mx = 0, my = 0, max = 0;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const v = img[y * 28 + x]!;
      assert.ok(Number.isFinite(v) && v >= 0 && v <= 1, `value ${v} at (${x},${y})`);
      if (v > 0) {
        rows.add(y);
        cols.add(x);
      }
      mass += v;
      mx += v * x;
      my += v * y;
      max = Math.max(max, v);
    }
  }
  return { rows: [...rows].sort((a, b) => a - b), cols: [...cols].sort((a, b) => a - b), comX: mx / mass, comY: my / mass, max };
}

/** A white picture with black boxes drawn on it: [x0, y0, x1, y1) each. */
function blackOnWhite(width: number, height: number, boxes: Array<[number, number, number, number]>): Float32Array {
  const grey = new Float32Array(width * height).fill(1);
  for (const [x0, y0, x1, y1] of boxes) {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) grey[y * width + x] = 0;
  }
  return grey;
}

test('a thick black "1" on white becomes a white, centred, 20-px-tall digit', () => {
  // 200 wide, 100 tall; a 16-px-wide vertical stroke 80 px tall, with a short flag at the top-left.
  const grey = blackOnWhite(200, 100, [[92, 10, 108, 90], [80, 10, 92, 20]]);
  const out = toMnistDigit(grey, 200, 100);
  assert.equal(out.length, 784);
  const s = stats(out);
  assert.equal(s.rows.length, 20);
  assert.ok(s.max > 0.99, `max ${s.max}`);
  assert.ok(s.cols.length >= 6 && s.cols.length <= 8, `width ${s.cols.length}`);
  assert.ok(Math.abs(s.comX - 14) <= 0.5 && Math.abs(s.comY - 14) <= 0.5, `centre (${s.comX}, ${s.comY})`);
  for (const corner of [0, 27, 27 * 28, 783]) assert.equal(out[corner], 0);
});

test('white-on-black input keeps its polarity', () => {
  const grey = blackOnWhite(50, 50, [[10, 10, 40, 40]]).map((v) => 1 - v);
  const s = stats(toMnistDigit(grey, 50, 50));
  assert.deepEqual([s.rows.length, s.cols.length], [20, 20]);
  assert.deepEqual([s.rows[0], s.cols[0]], [5, 5]); // centre of mass 14.5: the nearest to 14
});

test('blank pictures give all zeros', () => {
  for (const v of [0, 0.5, 1]) {
    const out = toMnistDigit(new Float32Array(30 * 20).fill(v), 30, 20);
    assert.ok(out.every((x) => x === 0), `fill ${v}`);
  }
  assert.ok(toMnistDigit(new Float32Array(1), 1, 1).every((x) => x === 0));
});

test('a 1x1 white picture becomes a centred 20x20 block', () => {
  const s = stats(toMnistDigit(Float32Array.of(1), 1, 1));
  assert.deepEqual([s.rows[0], s.rows.length, s.cols[0], s.cols.length], [5, 20, 5, 20]);
  assert.deepEqual([s.comX, s.comY], [14.5, 14.5]);
});

test('faint noise does not widen the ink box', () => {
  const grey = blackOnWhite(60, 60, [[20, 10, 40, 50]]);
  grey[0] = 0.95; // a speck of dust in the corner (5% ink)
  const s = stats(toMnistDigit(grey, 60, 60));
  assert.equal(s.rows.length, 20);
  assert.equal(s.cols.length, 10);
});

test('sizes are checked', () => {
  assert.throws(() => toMnistDigit(new Float32Array(5), 2, 2), /expected 2x2 = 4 values, got 5/);
  assert.throws(() => toMnistDigit(new Float32Array(0), 0, 0), /size must be positive integers/);
  assert.throws(() => toMnistDigit(new Float32Array(3), 2, 1.5), /size must be positive integers/);
  assert.throws(() => toMnistDigit(new Float32Array(0), 3, 0), /size must be positive integers/);
});

test('a real MNIST digit comes back close to itself', () => {
  const { test: split } = loadIdxDataset(undefined, { limitTest: 1 });
  const grey = Float32Array.from(split.images, (b) => b / 255);
  const out = toMnistDigit(grey, 28, 28);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < 784; i++) {
    dot += grey[i]! * out[i]!;
    na += grey[i]! ** 2;
    nb += out[i]! ** 2;
  }
  const cosine = dot / Math.sqrt(na * nb);
  assert.ok(cosine > 0.9, `cosine similarity ${cosine}`);
});

// The polarity is judged from all four edges: a bold black "1" on white paper with a grey shadow
// down one side reads the same (a white digit of the same ink) whichever way up it is photographed.
test('polarity does not depend on which edge carries a shadow', () => {
  const W = 40, H = 50;
  const img = new Float32Array(W * H).fill(0.95);
  for (let y = 10; y < 40; y++) for (let x = 15; x < 25; x++) img[y * W + x] = 0.05;
  for (let y = 0; y < H; y++) img[y * W + W - 1] = 0.5;
  const sums = [img, img.slice().reverse()].map((pic) => toMnistDigit(pic, W, H).reduce((a, v) => a + v, 0));
  // The digit's ink sums to ~51 either way; misread as white-on-black, the page would be ~270.
  for (const s of sums) assert.ok(s > 20 && s < 150, `ink ${s}`);
  assert.ok(Math.abs(sums[0]! - sums[1]!) < 0.01, `ink ${sums[0]} upright, ${sums[1]} upside down`);
});
