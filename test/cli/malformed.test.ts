// Malformed files through the real CLI, each made in the test from a valid one: the exact error
// (file name + problem) on one line, exit code 2, no stack trace.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { defaultDataDir } from '../../src/data/datasets.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { encodeModel } from '../../src/io/model-file.js';
import { seed16k } from '../../src/models/seed16k.js';
import { Rng } from '../../src/util/rng.js';
import { cli } from './cli-helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-bad-'));
const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
const valid = (f: string) => new Uint8Array(readFileSync(path.join(defaultDataDir(), f)));

/** A data folder of the four files where `name` (possibly with .gz) holds `bytes`. */
function dataDir(name: string, bytes: Uint8Array): string {
  const dir = mkdtempSync(path.join(tmp, 'data-'));
  for (const f of FILES) if (!name.startsWith(f)) writeFileSync(path.join(dir, f), valid(f));
  writeFileSync(path.join(dir, name), bytes);
  return dir;
}

function edit(bytes: Uint8Array, f: (b: Uint8Array, v: DataView) => Uint8Array | void): Uint8Array {
  const b = Uint8Array.from(bytes);
  return f(b, new DataView(b.buffer)) ?? b;
}

initEngine({ threads: 1 });
const modelBytes = encodeModel(seed16k({ initRng: new Rng(1), dropoutRng: new Rng(1), dropout: 0 }));
closeEngine();
const model = path.join(tmp, 'good.safetensors');
writeFileSync(model, modelBytes);
const headerLen = Number(new DataView(modelBytes.buffer).getBigUint64(0, true));
function modelFile(name: string, bytes: Uint8Array): string {
  const p = path.join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}
const png = (w: number, h: number) => {
  const p = new PNG({ width: w, height: h });
  p.data.fill(255);
  return new Uint8Array(PNG.sync.write(p));
};

const labels = valid('t10k-labels-idx1-ubyte');
// [what, CLI args, expected stderr line]
const CASES: Array<[string, string[], RegExp]> = [
  ['flipped magic', ['--data', dataDir('t10k-labels-idx1-ubyte', edit(labels, (b) => { b[2] = 0x09; }))], /t10k-labels-idx1-ubyte: .*0x00000901/],
  ['truncated images', ['--data', dataDir('t10k-images-idx3-ubyte', valid('t10k-images-idx3-ubyte').subarray(0, 100_000))], /t10k-images-idx3-ubyte: .*10000x28x28/],
  ['count that lies (labels say 9000)', ['--data', dataDir('t10k-labels-idx1-ubyte', edit(labels, (_, v) => v.setUint32(4, 9000)))], /t10k-labels-idx1-ubyte: /],
  ['images vs labels count', ['--data', dataDir('t10k-labels-idx1-ubyte', edit(labels.subarray(0, 8 + 9000), (_, v) => v.setUint32(4, 9000)))], /t10k.*10000.*9000|9000.*10000/],
  ['label out of range', ['--data', dataDir('t10k-labels-idx1-ubyte', edit(labels, (b) => { b[8 + 4321] = 10; }))], /t10k-labels-idx1-ubyte: .*4321.*10/],
  ['corrupt gzip', ['--data', dataDir('t10k-labels-idx1-ubyte.gz', edit(gzipSync(labels), (b) => { b[b.length - 12] = b[b.length - 12]! ^ 0xff; }))], /t10k-labels-idx1-ubyte\.gz: corrupt gzip data/],
  ['model: header length beyond the file', ['--model', modelFile('long.safetensors', edit(modelBytes, (_, v) => v.setBigUint64(0, 1n << 40n, true)))], /long\.safetensors: header length \d+ goes beyond the end of the file/],
  ['model: header not JSON', ['--model', modelFile('json.safetensors', edit(modelBytes, (b) => { b[8] = 0x7b; b[9] = 0x7b; }))], /json\.safetensors: header is not valid JSON/],
  ['model: NaN weight', ['--model', modelFile('nan.safetensors', edit(modelBytes, (_, v) => v.setFloat32(8 + headerLen + 4 * 5, NaN, true)))], /nan\.safetensors: tensor "conv1\.weight" has a non-finite value \(NaN\) at index 5/],
  ['model: truncated data', ['--model', modelFile('short.safetensors', modelBytes.subarray(0, modelBytes.length - 40))], /short\.safetensors: /],
];

describe('malformed files through the CLI', () => {
  for (const [what, args, pattern] of CASES) {
    it(what, () => {
      const r = cli(['eval', ...(args.includes('--model') ? [] : ['--model', model]), ...args]);
      assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }
  it('predict: truncated PNG and absurd dimensions', () => {
    const truncated = modelFile('cut.png', png(30, 30).subarray(0, 60));
    const huge = modelFile('huge.png', edit(png(8, 8), (_, v) => { v.setUint32(16, 100_000); v.setUint32(20, 100_000); }));
    for (const [file, pattern] of [[truncated, /cut\.png: /], [huge, /huge\.png: image is 100000x100000 = \d+ pixels, more than the limit/]] as const) {
      const r = cli(['predict', '--model', model, file]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });
});
