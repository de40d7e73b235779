// The wasm conv and gemm kernels against the naive references (src/kernels/conv_ref.ts), on a table
// of odd shapes, with 1 and 2 threads, for the relaxed-SIMD and the plain SIMD128 builds; the 1×1
// GEMMs also bit-identical across thread counts.
import { after, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, closeEngine } from '../../src/engine/node.js';
import type { Engine, Variant } from '../../src/engine/wasm.js';
import { conv2dBackward, conv2dBackwardData, conv2dBackwardWeight, conv2dForward, convFlops, convOutSize, convAlgoFor, conv1x1Applies, winogradApplies, type ConvAlgo, type ConvShape } from '../../src/kernels/conv.js';
import { convRefBwdData, convRefBwdDataColsF32, convRefBwdWeight, convRefFwd, gemmRef } from '../../src/kernels/conv_ref.js';
import { Rng } from '../../src/util/rng.js';
import { expectSameBits } from '../helpers.js';

const RTOL = 1e-4;

function shape(N: number, C: number, H: number, W: number, O: number, KH: number, KW: number, pad: number, stride = 1): ConvShape {
  return { N, C, H, W, O, KH, KW, pad, stride };
}

const SHAPES: Array<[string, ConvShape]> = [
  ['conv1 1→8 28×28', shape(2, 1, 28, 28, 8, 3, 3, 1)],
  ['conv2 8→16 28×28', shape(2, 8, 28, 28, 16, 3, 3, 1)],
  ['conv3 16→32 14×14', shape(3, 16, 14, 14, 32, 3, 3, 1)],
  ['conv4 32→24 14×14', shape(3, 32, 14, 14, 24, 3, 3, 1)],
  ['conv5 24→16 7×7 pad 0', shape(13, 24, 7, 7, 16, 3, 3, 0)],
  ['1×1 image, k=1', shape(3, 3, 1, 1, 5, 1, 1, 0)],
  ['1×1 image, k=3 pad 1', shape(2, 6, 1, 1, 7, 3, 3, 1)],
  ['C=3 O=5, 9×7', shape(2, 3, 9, 7, 5, 3, 3, 1)],
  ['C=5 O=7, k=5 pad 0', shape(2, 5, 11, 9, 7, 5, 5, 0)],
  ['C=2 O=3, k=5 pad 2 on 2×2', shape(3, 2, 2, 2, 3, 5, 5, 2)],
  ['k=1 pad 1', shape(2, 6, 5, 4, 3, 1, 1, 1)],
  ['k=1×3 pad 1', shape(2, 4, 6, 5, 9, 1, 3, 1)],
  ['batch 1', shape(1, 7, 10, 10, 6, 3, 3, 1)],
  ['batch 129', shape(129, 2, 4, 5, 3, 3, 3, 1)],
  // Winograd F(2×2,3×3) shapes: 1–7 tiles per row (partial vector groups of 1, 2, 3), tiny and
  // odd channel counts, several images per group.
  ['2×2 image, C=1 O=1', shape(3, 1, 2, 2, 1, 3, 3, 1)],
  ['C=3 O=5, 6×10', shape(2, 3, 6, 10, 5, 3, 3, 1)],
  ['C=6 O=9, 12×6', shape(7, 6, 12, 6, 9, 3, 3, 1)],
  ['C=5 O=4, 4×16', shape(2, 5, 4, 16, 4, 3, 3, 1)],
  ['batch 129, 4×4', shape(129, 4, 4, 4, 6, 3, 3, 1)],
  ['batch 1, 28×28', shape(1, 7, 28, 28, 6, 3, 3, 1)],
  ['C=4 O=6, 14×14 (F(4×4) crops)', shape(3, 4, 14, 14, 6, 3, 3, 1)],
  ['C=3 O=2, 5×9 (odd)', shape(2, 3, 5, 9, 2, 3, 3, 1)],
  ['C=5 O=3, 20×3', shape(2, 5, 20, 3, 3, 3, 3, 1)],
  // 3×3 with no padding (F(4×4) on the output's tiles; its backward-data pass is the padding-2
  // 'full' convolution, whose dx has more tiles than dy): output sizes 1 to 26, partial groups of
  // 1–3 tiles per row, rows past one 16-column block, several images per group.
  ['pad 0 C=6 O=10, 26×26', shape(3, 6, 26, 26, 10, 3, 3, 0)],
  ['pad 0 C=10 O=12, 12×12', shape(4, 10, 12, 12, 12, 3, 3, 0)],
  ['pad 0 C=12 O=16, 8×8', shape(5, 12, 8, 8, 16, 3, 3, 0)],
  ['pad 0 C=5 O=3, 3×3 (1×1 out)', shape(3, 5, 3, 3, 3, 3, 3, 0)],
  ['pad 0 C=3 O=4, 4×9', shape(2, 3, 4, 9, 4, 3, 3, 0)],
  ['pad 0 C=2 O=3, 17×19', shape(2, 2, 17, 19, 3, 3, 3, 0)],
  ['pad 0 C=4 O=5, 3×20', shape(2, 4, 3, 20, 5, 3, 3, 0)],
  ['pad 0 batch 129, 5×6', shape(129, 3, 5, 6, 4, 3, 3, 0)],
  // Stride 2 (and 3, which the kernels take too): odd and even sizes, so that the last input rows
  // and columns are used or skipped; overlapping windows (K > S) accumulate in backward-data;
  // several images per GEMM group; k = 1 with stride 2 goes through im2col.
  ['s2 C=3 O=5, 3×3 pad 1, 9×7', shape(2, 3, 9, 7, 5, 3, 3, 1, 2)],
  ['s2 C=4 O=6, 3×3 pad 1, 28×28', shape(2, 4, 28, 28, 6, 3, 3, 1, 2)],
  ['s2 C=8 O=16, 3×3 pad 0, 14×14', shape(3, 8, 14, 14, 16, 3, 3, 0, 2)],
  ['s2 C=2 O=3, 5×5 pad 2, 11×10', shape(5, 2, 11, 10, 3, 5, 5, 2, 2)],
  ['s2 C=3 O=4, 7×7 pad 3, 13×13', shape(2, 3, 13, 13, 4, 7, 7, 3, 2)],
  ['s2 C=5 O=7, 2×2 pad 0, 8×9', shape(2, 5, 8, 9, 7, 2, 2, 0, 2)],
  ['s2 C=6 O=5, 1×1 pad 0, 7×8', shape(3, 6, 7, 8, 5, 1, 1, 0, 2)],
  ['s2 C=3 O=2, 4×4 pad 1, 1×1 image', shape(3, 3, 1, 1, 2, 4, 4, 1, 2)],
  ['s2 batch 129, 3×3 pad 1, 4×5', shape(129, 2, 4, 5, 3, 3, 3, 1, 2)],
  ['s2 C=1 O=8, 3×3 pad 1, 28×28', shape(3, 1, 28, 28, 8, 3, 3, 1, 2)],
  ['s3 C=3 O=4, 3×3 pad 1, 10×11', shape(2, 3, 10, 11, 4, 3, 3, 1, 3)],
  // 5×5 and 7×7 kernels with padding, stride 1 (im2col).
  ['C=4 O=6, 5×5 pad 2, 14×14', shape(2, 4, 14, 14, 6, 5, 5, 2)],
  ['C=3 O=5, 7×7 pad 3, 12×9', shape(2, 3, 12, 9, 5, 7, 7, 3)],
  ['C=2 O=3, 7×7 pad 1, 9×9', shape(3, 2, 9, 9, 3, 7, 7, 1)],
  // 1×1, stride 1, pad 0: the direct GEMMs ('1x1'); odd pixel and channel counts.
  ['1×1 C=7 O=5, 5×5', shape(3, 7, 5, 5, 5, 1, 1, 0)],
  ['1×1 C=24 O=10, 7×7', shape(4, 24, 7, 7, 10, 1, 1, 0)],
  ['1×1 C=16 O=32, 14×14', shape(2, 16, 14, 14, 32, 1, 1, 0)],
  ['1×1 C=1 O=3, 3×1', shape(5, 1, 3, 1, 3, 1, 1, 0)],
];

const GEMMS: Array<[number, number, number]> = [
  [1, 1, 1], [3, 5, 7], [4, 8, 16], [5, 13, 9], [6, 7, 9], [10, 11, 13], [17, 33, 10], [37, 29, 50], [128, 10, 64],
];

function random(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}

/** |got - want| ≤ RTOL · max(1, max|want|) everywhere. */
function expectClose(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 1;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= RTOL * scale)) assert.fail(`${what}: [${i}] got ${got[i]}, want ${want[i]} (scale ${scale})`);
  }
}

/** Copies `data` into a fresh arena buffer; returns its byte offset. */
function put(e: Engine, data: Float32Array): number {
  const p = e.arena.alloc(data.length);
  e.floats(p, data.length).set(data);
  return p;
}

function get(e: Engine, p: number, n: number): Float32Array {
  return e.floats(p, n).slice();
}

function checkConv(e: Engine, name: string, s: ConvShape, rng: Rng, algo: ConvAlgo): void {
  const [OH, OW] = convOutSize(s);
  const nx = s.N * s.C * s.H * s.W, nw = s.O * s.C * s.KH * s.KW, ny = s.N * s.O * OH * OW;
  const x = random(rng, nx), w = random(rng, nw), b = random(rng, s.O), dy = random(rng, ny);
  const mark = e.arena.mark();
  const px = put(e, x), pw = put(e, w), pb = put(e, b), pdy = put(e, dy);
  const py = put(e, random(rng, ny)), pdx = put(e, random(rng, nx)), pdw = put(e, random(rng, nw)), pdb = put(e, random(rng, s.O));

  const want = { y: new Float32Array(ny), dx: new Float32Array(nx), dw: new Float32Array(nw), db: new Float32Array(s.O) };
  convRefFwd(want.y, x, w, b, s);
  convRefBwdData(want.dx, dy, w, s);
  convRefBwdWeight(want.dw, want.db, dy, x, s);

  name = `${name} (${algo})`;
  conv2dForward(e, px, pw, pb, py, s, algo);
  expectClose(get(e, py, ny), want.y, `${name} forward`);
  conv2dForward(e, px, pw, 0, py, s, algo);
  convRefFwd(want.y, x, w, null, s);
  expectClose(get(e, py, ny), want.y, `${name} forward, no bias`);
  conv2dBackwardData(e, pdy, pw, pdx, s, algo);
  expectClose(get(e, pdx, nx), want.dx, `${name} backward-data`);
  conv2dBackwardWeight(e, pdy, px, pdw, pdb, s, algo);
  expectClose(get(e, pdw, nw), want.dw, `${name} backward-weight dw`);
  expectClose(get(e, pdb, s.O), want.db, `${name} backward-weight db`);
  conv2dBackwardWeight(e, pdy, px, pdw, 0, s, algo);
  expectClose(get(e, pdw, nw), want.dw, `${name} backward-weight, no db`);
  // Both passes in one call (one sweep for F(4×4)): the same bits as the two calls above.
  const sep = { dx: get(e, pdx, nx), dw: get(e, pdw, nw), db: get(e, pdb, s.O) };
  const pdx2 = put(e, random(rng, nx)), pdw2 = put(e, random(rng, nw)), pdb2 = put(e, random(rng, s.O));
  conv2dBackward(e, pdy, px, pw, pdx2, pdw2, pdb2, s, algo);
  assert.deepEqual(get(e, pdx2, nx), sep.dx, `${name} backward, both: dx`);
  assert.deepEqual(get(e, pdw2, nw), sep.dw, `${name} backward, both: dw`);
  assert.deepEqual(get(e, pdb2, s.O), sep.db, `${name} backward, both: db`);
  e.arena.release(mark);
}

function checkGemm(e: Engine, M: number, N: number, K: number, rng: Rng): void {
  const a = random(rng, M * K), b = random(rng, K * N), c0 = random(rng, M * N);
  const mark = e.arena.mark();
  const pa = put(e, a), pb = put(e, b), pc = put(e, c0);
  const cases: Array<[string, { transA?: boolean; transB?: boolean }]> = [['gemm', {}], ['gemm_nt', { transB: true }], ['gemm_tn', { transA: true }]];
  for (const [kernel, opts] of cases) {
    for (const accumulate of [false, true]) {
      const want = c0.slice();
      gemmRef(want, a, b, M, N, K, { ...opts, accumulate });
      e.floats(pc, M * N).set(c0);
      // gemm and gemm_tn pack A into scratch first (M·K floats); gemm_nt takes no scratch.
      e.k[kernel]!(M, N, K, pa, pb, pc, accumulate ? 1 : 0, e.arena.alloc(M * K));
      expectClose(get(e, pc, M * N), want, `${kernel} ${M}×${N}×${K}${accumulate ? ' +=' : ''}`);
    }
  }
  e.arena.release(mark);
}

for (const variant of ['relaxed', 'simd'] as Variant[]) {
  for (const threads of [1, 2]) {
    test(`conv kernels match the reference (${variant}, ${threads} thread${threads > 1 ? 's' : ''})`, () => {
      const e = initEngine({ threads, variant });
      assert.equal(e.variant, variant);
      const rng = new Rng(threads * 7 + (variant === 'simd' ? 1 : 0));
      for (const [name, s] of SHAPES) {
        checkConv(e, name, s, rng, 'im2col');
        if (conv1x1Applies(s)) checkConv(e, name, s, rng, '1x1');
        if (winogradApplies(s, 2)) checkConv(e, name, s, rng, 'winograd2');
        if (winogradApplies(s, 4)) checkConv(e, name, s, rng, 'winograd4');
      }
    });
  }
  if (variant === 'simd') {
    test('stride > 1 backward-data (GEMM then col2im, vector col2im included) bit for bit against its float32 order (simd)', () => {
      const e = initEngine({ threads: 1, variant });
      const rng = new Rng(41);
      for (const [name, s] of SHAPES) {
        if (s.stride === 1) continue;
        const [OH, OW] = convOutSize(s);
        const nx = s.N * s.C * s.H * s.W, ny = s.N * s.O * OH * OW;
        // dy with exact zeros and negative zeros among it, so that a lost −0 would show.
        const dy = random(rng, ny).map((v, i) => (i % 11 === 3 ? -0 : i % 13 === 5 ? 0 : v));
        const w = random(rng, s.O * s.C * s.KH * s.KW).map((v, i) => (i % 7 === 2 ? -0 : v));
        const want = new Float32Array(nx);
        convRefBwdDataColsF32(want, dy, w, s);
        const mark = e.arena.mark();
        const pdx = put(e, random(rng, nx));
        conv2dBackwardData(e, put(e, dy), put(e, w), pdx, s, 'im2col');
        expectSameBits(get(e, pdx, nx), want, `${name} backward-data`);
        e.arena.release(mark);
      }
    });
  }
  test(`Winograd is used only where it applies (${variant})`, () => {
    assert.equal(winogradApplies(shape(1, 8, 28, 28, 16, 3, 3, 1), 2), true);
    assert.equal(winogradApplies(shape(1, 8, 7, 7, 16, 3, 3, 1), 2), false); // odd size
    assert.equal(winogradApplies(shape(1, 8, 7, 7, 16, 3, 3, 1), 4), true); // F(4×4) crops
    assert.equal(winogradApplies(shape(1, 24, 8, 8, 16, 3, 3, 0), 4), true); // no padding: F(4×4) only
    assert.equal(winogradApplies(shape(1, 24, 8, 8, 16, 3, 3, 0), 2), false);
    assert.equal(winogradApplies(shape(1, 24, 2, 5, 16, 3, 3, 0), 4), false); // the kernel does not fit
    assert.equal(winogradApplies(shape(1, 24, 8, 8, 16, 3, 3, 2), 4), false); // padding 2
    assert.equal(winogradApplies(shape(1, 8, 8, 8, 16, 5, 5, 2), 4), false); // 5×5
    assert.equal(convAlgoFor(shape(128, 1, 28, 28, 8, 3, 3, 1)), 'im2col'); // one input channel
    assert.equal(convAlgoFor(shape(128, 24, 7, 7, 16, 3, 3, 0)), 'im2col'); // 5×5 output: the reference net's conv5
    assert.equal(convAlgoFor(shape(128, 12, 8, 8, 16, 3, 3, 0)), 'winograd4'); // 6×6 output
    assert.equal(convAlgoFor(shape(128, 6, 26, 26, 10, 3, 3, 0)), 'winograd4');
    assert.equal(convAlgoFor(shape(128, 8, 28, 28, 16, 3, 3, 1)), 'winograd4');
    assert.equal(convAlgoFor(shape(128, 32, 14, 14, 24, 3, 3, 1)), 'winograd4');
    assert.equal(convAlgoFor(shape(128, 32, 6, 6, 24, 3, 3, 1)), 'winograd2'); // 8×8 of F(4×4) tiles for 6×6
    assert.equal(convAlgoFor(shape(128, 32, 7, 7, 24, 3, 3, 1)), 'winograd4'); // odd: F(2×2) does not apply
    assert.equal(convAlgoFor(shape(128, 32, 14, 14, 24, 3, 3, 1, 2)), 'im2col'); // stride 2: never Winograd
    assert.equal(convAlgoFor(shape(128, 32, 28, 28, 24, 3, 3, 1, 2)), 'im2col');
    assert.equal(winogradApplies(shape(1, 8, 8, 8, 16, 3, 3, 1, 2), 4), false);
    assert.equal(convAlgoFor(shape(128, 24, 7, 7, 10, 1, 1, 0)), '1x1');
    assert.equal(convAlgoFor(shape(128, 24, 7, 7, 10, 1, 1, 0, 2)), 'im2col'); // 1×1 stride 2
    assert.equal(convAlgoFor(shape(128, 24, 7, 7, 10, 1, 1, 1)), 'im2col'); // 1×1 with padding
    const e = initEngine({ threads: 1, variant });
    assert.throws(() => conv2dForward(e, 0, 0, 0, 0, shape(1, 2, 7, 7, 2, 3, 3, 1), 'winograd2'), /winograd2: needs/);
    assert.throws(() => conv2dForward(e, 0, 0, 0, 0, shape(1, 8, 8, 8, 8, 3, 3, 1, 2), 'winograd4'), /winograd4: needs/);
    assert.throws(() => conv2dForward(e, 0, 0, 0, 0, shape(1, 8, 8, 8, 8, 1, 1, 1), '1x1'), /1x1: needs/);
    // Only the F(4×4) and im2col kernels apply a fused input BatchNorm: any other algorithm would ignore it.
    const bn = { scale: 0, shift: 0 };
    for (const [algo, sh] of [['winograd2', shape(1, 8, 8, 8, 8, 3, 3, 1)], ['1x1', shape(1, 8, 8, 8, 8, 1, 1, 0)]] as const) {
      assert.throws(() => conv2dForward(e, 0, 0, 0, 0, sh, algo, bn), /fused input BatchNorm needs Winograd F\(4x4\) or im2col/);
      assert.throws(() => conv2dBackward(e, 0, 0, 0, 0, 0, 0, sh, algo, bn), /fused input BatchNorm needs Winograd F\(4x4\) or im2col/);
    }
  });
  test(`'auto' computes unpadded 3x3 convs by Winograd F(4x4), convAlgoFor(s, 'im2col') by im2col (${variant})`, () => {
    const e = initEngine({ threads: 1, variant });
    const s = shape(3, 6, 12, 12, 8, 3, 3, 0), [OH, OW] = convOutSize(s);
    const rng = new Rng(12);
    const mark = e.arena.mark();
    const px = put(e, random(rng, s.N * s.C * s.H * s.W)), pw = put(e, random(rng, s.O * s.C * 9)), py = e.arena.alloc(s.N * s.O * OH * OW);
    const out = (algo: ConvAlgo) => {
      conv2dForward(e, px, pw, 0, py, s, algo);
      return get(e, py, s.N * s.O * OH * OW);
    };
    const wino = out('winograd4'), im2col = out('im2col');
    assert.notDeepEqual(wino, im2col); // the two differ in the last bits, so the comparisons below tell them apart
    try {
      assert.equal(convAlgoFor(s, 'im2col'), 'im2col');
      assert.equal(convAlgoFor(s), 'winograd4');
      expectSameBits(out('auto'), wino, 'auto');
    } finally {
      e.arena.release(mark);
    }
  });
  test(`1x1 forward and backward-data: 2 threads give 1 thread's bits (${variant})`, () => {
    // Each image is its own GEMM, so splitting the batch cannot change a bit (the im2col path groups
    // images into one GEMM, whose column tails depend on the split; dw sums per-thread partials).
    for (const s of [shape(9, 7, 5, 5, 5, 1, 1, 0), shape(9, 24, 7, 7, 10, 1, 1, 0), shape(5, 3, 3, 1, 4, 1, 1, 0)]) {
      const [OH, OW] = convOutSize(s);
      const rng = new Rng(3);
      const x = random(rng, s.N * s.C * s.H * s.W), w = random(rng, s.O * s.C), b = random(rng, s.O), dy = random(rng, s.N * s.O * OH * OW);
      const run = (threads: number) => {
        const e = initEngine({ threads, variant });
        const mark = e.arena.mark();
        const px = put(e, x), pw = put(e, w), pb = put(e, b), pdy = put(e, dy), py = put(e, dy), pdx = put(e, x);
        conv2dForward(e, px, pw, pb, py, s, '1x1');
        conv2dBackwardData(e, pdy, pw, pdx, s, '1x1');
        const out = { y: get(e, py, dy.length), dx: get(e, pdx, x.length) };
        e.arena.release(mark);
        return out;
      };
      const one = run(1), two = run(2);
      expectSameBits(two.y, one.y, `[${s.N},${s.C},${s.H},${s.W}] → ${s.O} y`);
      expectSameBits(two.dx, one.dx, `[${s.N},${s.C},${s.H},${s.W}] → ${s.O} dx`);
    }
  });
  test(`gemm, gemm_nt, gemm_tn match the reference with tail sizes (${variant})`, () => {
    const e = initEngine({ threads: 1, variant });
    const rng = new Rng(99);
    for (const [M, N, K] of GEMMS) checkGemm(e, M, N, K, rng);
  });
}

after(() => closeEngine());

// The rule convAlgoFor documents, with the tiles counted by a loop: F(4×4) does 36 multiplies per
// 4×4 output tile, F(2×2) 16 per 2×2 tile; F(2×2) (even sizes only) is picked unless F(4×4)'s
// products stay at most 90% of its. Every even and odd size up to 30, thin images included.
test('auto picks the Winograd variant with the fewer tile products (≥ 10% margin for F(4×4))', () => {
  const tiles = (n: number, m: number) => { let k = 0; for (let i = 0; i < n; i += m) k++; return k; };
  for (let H = 1; H <= 30; H++) {
    for (let W = 1; W <= 30; W++) {
      const four = 36 * tiles(H, 4) * tiles(W, 4), two = 16 * tiles(H, 2) * tiles(W, 2);
      const want = H % 2 === 0 && W % 2 === 0 && four > 0.9 * two ? 'winograd2' : 'winograd4';
      assert.equal(convAlgoFor(shape(8, 8, H, W, 8, 3, 3, 1)), want, `${H}×${W}`);
    }
  }
});

describe('convFlops', () => {
  it('equals 2 × the multiply-adds a naive loop does (padded taps included)', () => {
    for (const s of [{ N: 1, C: 8, H: 28, W: 28, O: 16, KH: 3, KW: 3, pad: 1, stride: 1 }, { N: 3, C: 2, H: 7, W: 5, O: 4, KH: 3, KW: 3, pad: 0, stride: 1 },
      { N: 2, C: 3, H: 6, W: 9, O: 5, KH: 5, KW: 5, pad: 2, stride: 1 }, { N: 2, C: 3, H: 7, W: 9, O: 5, KH: 3, KW: 3, pad: 1, stride: 2 }]) {
      let macs = 0;
      for (let n = 0; n < s.N; n++) for (let o = 0; o < s.O; o++) {
        for (let y = -s.pad; y + s.KH <= s.H + s.pad; y += s.stride) for (let x = -s.pad; x + s.KW <= s.W + s.pad; x += s.stride) macs += s.C * s.KH * s.KW;
      }
      assert.equal(convFlops(s), 2 * macs, JSON.stringify(s));
    }
  });
});
