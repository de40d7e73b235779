// Models and inputs that used to give confident nonsense, through the real CLI: impossible values
// are refused at load naming the tensor, non-finite outputs never print as a result, PyTorch's
// ordinary state dicts (I64 num_batches_tracked) load, and predict copes with blank, alpha-only,
// interlaced and unreadable images. Every file is made here from a valid one.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { defaultDataDir } from '../../src/data/datasets.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { decodeModel, encodeModel } from '../../src/io/model-file.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { seed16k } from '../../src/models/seed16k.js';
import { Rng } from '../../src/util/rng.js';
import { ROOT } from '../helpers.js';
import { cli } from './cli-helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-models-'));
const SHIPPED = `${ROOT}models/seed16k.safetensors`;
const shipped = new Uint8Array(readFileSync(SHIPPED));
const file = (name: string, bytes: Uint8Array | string) => {
  const p = path.join(tmp, name);
  writeFileSync(p, bytes);
  return p;
};

/** A safetensors file written by hand (not by src/io): [name, dtype, shape, little-endian bytes]. */
function handSafetensors(tensors: Array<[string, 'F32' | 'I64', number[], Uint8Array]>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let at = 0;
  for (const [name, dtype, shape, bytes] of tensors) {
    header[name] = { dtype, shape, data_offsets: [at, at + bytes.length] };
    at += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...tensors.map((t) => t[3])]);
}

/** The shipped model's tensors as [name, F32, shape, bytes], with `edit` applied to the floats of one. */
function shippedTensors(edit?: { name: string; index: number; value: number }): Array<[string, 'F32' | 'I64', number[], Uint8Array]> {
  return [...decodeSafetensors(shipped, SHIPPED).tensors].map(([name, t]) => {
    const data = Float32Array.from(t.data);
    if (edit?.name === name) data[edit.index] = edit.value;
    return [name, 'F32', t.shape, new Uint8Array(data.buffer)];
  });
}

// The first MNIST test image (a 7): (28,28) bytes, white digit on black.
const images = readFileSync(path.join(defaultDataDir(), 't10k-images-idx3-ubyte'));
const seven = images.subarray(16, 16 + 784);

function rgbaPng(w: number, h: number, rgba: (i: number) => [number, number, number, number]): Uint8Array {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) png.data.set(rgba(i), 4 * i);
  return new Uint8Array(PNG.sync.write(png));
}

/** An 8-bit greyscale Adam7-interlaced PNG, encoded here from the spec (pngjs writes no interlaced files). */
function interlacedGreyPng(w: number, h: number, grey: Uint8Array): Uint8Array {
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  const rows: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    for (let y = y0!; y < h; y += dy!) {
      if (x0! >= w) break;
      rows.push(0); // filter type None
      for (let x = x0!; x < w; x += dx!) rows.push(grey[y * w + x]!);
    }
  }
  const chunk = (type: string, data: Uint8Array) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 0, 0, 0, 1], 8); // depth 8, greyscale, deflate, filter 0, Adam7
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Uint8Array.from(rows))), chunk('IEND', new Uint8Array(0))]);
}

function crc32(b: Uint8Array): number {
  let c = ~0;
  for (const v of b) {
    c ^= v;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

function predictJson(files: string[]): { code: number | null; stderr: string; out: Array<{ file: string; digit: number | null; probabilities: number[] | null }> } {
  const r = cli(['predict', '--json', '--model', SHIPPED, ...files]);
  return { code: r.code, stderr: r.stderr, out: r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

describe('models refused at load, never a NaN result', () => {
  const negVar = file('negvar.safetensors', handSafetensors(shippedTensors({ name: 'bn2.running_var', index: 3, value: -0.5 })));
  const huge = file('huge.safetensors', handSafetensors(shippedTensors({ name: 'conv1.weight', index: 4, value: 3e38 })));
  const prefixed = file('ddp.safetensors', handSafetensors(shippedTensors().map(([n, ...rest]) => [`module.${n}`, ...rest])));
  const CASES: Array<[string, string[], RegExp]> = [
    ['negative running_var (eval)', ['eval', '--model', negVar, '--limit-test', '100'], /negvar\.safetensors: tensor "bn2\.running_var" has a negative variance \(-0\.5\) at index 3/],
    ['negative running_var (export --fold-bn)', ['export', '--fold-bn', '--model', negVar, '--onnx', path.join(tmp, 'never.onnx')], /tensor "bn2\.running_var" has a negative variance/],
    ['3e38 weight (eval)', ['eval', '--model', huge, '--limit-test', '100'], /huge\.safetensors: the model's outputs are not finite/],
    ['3e38 weight (export)', ['export', '--model', huge, '--onnx', path.join(tmp, 'never-huge.onnx')], /^tiny-mnist export: .*huge\.safetensors: the model's outputs are not finite .*not exported.*3\.00e\+38 in tensor "conv1\.weight"/],
    ['module. prefix', ['eval', '--model', prefixed, '--limit-test', '10'], /unknown tensor "module\.conv1\.weight".*"module\." prefix \(saved from DataParallel/],
  ];
  for (const [what, args, pattern] of CASES) {
    it(what, () => {
      const r = cli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stdout, /NaN/);
    });
  }

  it('3e38 weight (predict): refused, no NaN printed', () => {
    const png = file('seven.png', rgbaPng(28, 28, (i) => [seven[i]!, seven[i]!, seven[i]!, 255]));
    const r = cli(['predict', '--model', huge, png]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /huge\.safetensors: the model's outputs are not finite \(NaN or Infinity\).*largest value is 3\.00e\+38 in tensor "conv1\.weight"/);
    assert.doesNotMatch(r.stdout, /NaN/);
  });

  it('a training checkpoint passed as --model gets a hint', () => {
    const run = path.join(tmp, 'run');
    assert.equal(cli(['train', '--limit-train', '128', '--limit-test', '50', '--epochs', '1', '--bn-recalibrate', '0', '--out', run]).code, 0);
    const r = cli(['eval', '--model', path.join(run, 'checkpoint.safetensors'), '--limit-test', '10']);
    assert.equal(r.code, 2);
    assert.match(r.stderr.trim(), /checkpoint\.safetensors: is a training checkpoint, not a model file; use model\.safetensors from the same run folder$/);
  });
});

describe('PyTorch state dicts with num_batches_tracked', () => {
  const NET = `${ROOT}test/fixtures/torch/net.safetensors`;
  const expected = JSON.parse(readFileSync(`${ROOT}test/fixtures/torch/expected.json`, 'utf8')) as { accuracy: number; steps: number };
  // torch.save of net.state_dict() has an I64 scalar num_batches_tracked after each BatchNorm's
  // running_var (the python safetensors package is not installed here, so the file is written by hand).
  const count = new Uint8Array(BigInt64Array.of(BigInt(expected.steps)).buffer);
  const withCounters = [...decodeSafetensors(readFileSync(NET), NET).tensors].flatMap(([name, t]): Array<[string, 'F32' | 'I64', number[], Uint8Array]> => {
    const own: [string, 'F32' | 'I64', number[], Uint8Array] = [name, 'F32', t.shape, new Uint8Array(Float32Array.from(t.data).buffer)];
    return name.endsWith('running_var') ? [own, [name.replace('running_var', 'num_batches_tracked'), 'I64', [], count]] : [own];
  });
  const torchFile = file('torch-state-dict.safetensors', handSafetensors(withCounters));

  it('loads (counters ignored) and scores exactly what PyTorch scored', () => {
    const r = cli(['eval', '--json', '--model', torchFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { accuracy: number }).accuracy, expected.accuracy);
  });

  it('encodeModel can write the counters back: same names, dtypes and values as the PyTorch file', () => {
    initEngine({ threads: 1 });
    try {
      const model = seed16k({ initRng: new Rng(1), dropoutRng: new Rng(1), dropout: 0 });
      const original = readFileSync(torchFile);
      decodeModel(model, original, torchFile);
      const again = decodeSafetensors(encodeModel(model, {}, undefined, { batchesTracked: BigInt(expected.steps) }), 'again');
      const theirs = decodeSafetensors(original, torchFile);
      assert.deepEqual([...again.ints].map(([n, t]) => [n, t.shape, [...t.data]]).sort(), [...theirs.ints].map(([n, t]) => [n, t.shape, [...t.data]]).sort());
      assert.equal(theirs.ints.size, 4);
      assert.deepEqual([...again.tensors.keys()].sort(), [...theirs.tensors.keys()].sort());
    } finally {
      closeEngine();
    }
  });
});

describe('data for eval', () => {
  it('eval --data with only the t10k-* files works and agrees with the full folder', () => {
    const dir = path.join(tmp, 'only-test');
    mkdirSync(dir);
    for (const f of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) copyFileSync(path.join(defaultDataDir(), f), path.join(dir, f));
    const a = cli(['eval', '--json', '--data', dir, '--limit-test', '500']);
    assert.equal(a.code, 0, a.stderr);
    const b = cli(['eval', '--json', '--limit-test', '500']);
    assert.deepEqual(JSON.parse(a.stdout), JSON.parse(b.stdout));
  });

  it('a small .gz that inflates far beyond its IDX header is refused at the declared size', () => {
    const dir = path.join(tmp, 'bomb');
    mkdirSync(dir);
    copyFileSync(path.join(defaultDataDir(), 't10k-images-idx3-ubyte'), path.join(dir, 't10k-images-idx3-ubyte'));
    const labels = readFileSync(path.join(defaultDataDir(), 't10k-labels-idx1-ubyte'));
    // 10,008 bytes declared, 64 MB of zeros follow: about 64 KB compressed.
    const bomb = gzipSync(Buffer.concat([labels, Buffer.alloc(64 << 20)]));
    writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), bomb);
    const r = cli(['eval', '--data', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr.trim(), /t10k-labels-idx1-ubyte\.gz: inflates to more than the 10008 bytes its IDX header declares$/);
  });
});

describe('predict on awkward images', () => {
  const normal = file('seven-normal.png', rgbaPng(28, 28, (i) => [seven[i]!, seven[i]!, seven[i]!, 255]));

  it('blank images (black, white, transparent): "no digit found"', () => {
    const blanks = [
      file('black.png', rgbaPng(20, 20, () => [0, 0, 0, 255])),
      file('white.png', rgbaPng(20, 20, () => [255, 255, 255, 255])),
      file('clear.png', rgbaPng(20, 20, () => [255, 255, 255, 0])),
    ];
    const r = cli(['predict', '--model', SHIPPED, ...blanks]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), blanks.map((b) => `${b}: no digit found`));
  });

  it('white ink on a transparent background reads the alpha as ink: same answer as the opaque image', () => {
    const alpha = file('seven-alpha.png', rgbaPng(28, 28, (i) => [255, 255, 255, seven[i]!]));
    const r = predictJson([normal, alpha]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.out[0]!.digit, 7);
    assert.equal(r.out[1]!.digit, 7);
    r.out[1]!.probabilities!.forEach((p, i) => assert.ok(Math.abs(p - r.out[0]!.probabilities![i]!) < 1e-4, `class ${i}`));
  });

  it('an Adam7-interlaced PNG decodes to the same answer as the plain one', () => {
    const interlaced = file('seven-adam7.png', interlacedGreyPng(28, 28, seven));
    const r = predictJson([normal, interlaced]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.out[1]!.probabilities, r.out[0]!.probabilities);
    assert.equal(r.out[1]!.digit, 7);
  });

  it('one unreadable file in a batch is reported, the others still classified, exit 2 at the end', () => {
    const bad = file('broken.png', 'GIF89a not a png');
    const r = cli(['predict', '--model', SHIPPED, normal, bad, path.join(tmp, 'missing.png'), normal]);
    assert.equal(r.code, 2);
    const out = r.stdout.trim().split('\n');
    assert.equal(out.length, 2);
    for (const line of out) assert.match(line, /seven-normal\.png: 7 \(/);
    const err = r.stderr.trim().split('\n');
    assert.equal(err.length, 2, r.stderr);
    assert.match(err[0]!, /broken\.png: not a PNG file/);
    assert.match(err[1]!, /missing\.png: no such file/);
  });
});
