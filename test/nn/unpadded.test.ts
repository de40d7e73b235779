// How a model's unpadded 3×3 convs compute (Winograd F(4×4) or im2col: their last bits differ) is
// the model's own setting (Conv2d.unpadded), not the process's: two models side by side keep theirs,
// the fused BatchNorm → ReLU → conv takes it, and a loaded model file gets back the numerics it was
// trained with. Each layer is held to the kernels called directly with the algorithm named.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { loadModelBytes } from '../../src/infer/classify.js';
import { encodeModel, unpaddedConvMetadata } from '../../src/io/model-file.js';
import { conv2dForward, type ConvImpl } from '../../src/kernels/conv.js';
import { buildModel, parseArchSpec } from '../../src/models/index.js';
import { fuse } from '../../src/nn/fuse.js';
import { Conv2d, setUnpaddedConv } from '../../src/nn/layers.js';
import type { Module } from '../../src/nn/module.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { FileFormatError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { expectSameBits } from '../helpers.js';

const random = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.range(-1, 1));
// An unpadded 3×3 conv with 12×12 outputs (Winograd's from 6×6 up), after a BatchNorm + ReLU.
const LAYERS = [
  { type: 'conv2d', out_channels: 4, kernel_size: 3, padding: 1 }, { type: 'batchnorm2d' }, { type: 'relu' },
  { type: 'conv2d', out_channels: 6, kernel_size: 3 }, { type: 'gap' }, { type: 'flatten' }, { type: 'logsoftmax' },
];
const convsOf = (m: Module) => m.modules().map(([, l]) => l).filter((l): l is Conv2d => l instanceof Conv2d);

describe('unpadded 3x3 convs compute as their model says', () => {
  after(() => closeEngine());

  it('two layers side by side, each as the kernels with its algorithm', () => {
    const e = initEngine({ threads: 1 });
    const rng = new Rng(3);
    const a = new Conv2d(4, 5, 3, 0, rng), b = new Conv2d(4, 5, 3, 0, rng); // 4 channels: Winograd's minimum
    b.weight.data().set(a.weight.data());
    b.bias!.data().set(a.bias!.data());
    a.unpadded = 'im2col';
    const x = Tensor.from(random(rng, 2 * 4 * 14 * 14), [2, 4, 14, 14]);
    const direct = (algo: ConvImpl) => {
      const y = Tensor.empty([2, 5, 12, 12]);
      conv2dForward(e, x.ptr, a.weight.ptr, a.bias!.ptr, y.ptr, { N: 2, C: 4, H: 14, W: 14, O: 5, KH: 3, KW: 3, pad: 0, stride: 1 }, algo);
      return Array.from(y.data());
    };
    const im2col = direct('im2col'), wino = direct('winograd4');
    assert.notDeepEqual(im2col, wino); // they differ, so the comparisons below tell them apart
    noGrad(() => {
      expectSameBits(a.forward(x).data(), im2col, 'layer set to im2col');
      expectSameBits(b.forward(x).data(), wino, 'layer left at Winograd, after the other');
      expectSameBits(a.forward(x).data(), im2col, 'im2col again, after the Winograd layer');
    });
  });

  it('setUnpaddedConv reaches the fused BatchNorm → ReLU → conv', () => {
    initEngine({ threads: 1 });
    const spec = parseArchSpec({ name: 'u', layers: LAYERS }, 'u.json');
    const model = (u: 'im2col' | 'winograd', fused: boolean) => {
      const m = buildModel(spec, { initRng: new Rng(7), dropoutRng: new Rng(8) });
      setUnpaddedConv(m, u);
      return (fused ? fuse(m) : m).eval();
    };
    const x = Tensor.from(random(new Rng(9), 2 * 28 * 28), [2, 1, 28, 28]);
    const out = (m: Module) => noGrad(() => Array.from(m.forward(x).data()));
    const fusedIm2col = model('im2col', true);
    assert.equal((fusedIm2col as ReturnType<typeof fuse>).plan[1]![0], 'bn1+relu1+conv2'); // the fused path runs
    expectSameBits(out(fusedIm2col), out(model('im2col', false)), 'fused against unfused, im2col');
    assert.notDeepEqual(out(fusedIm2col), out(model('winograd', true)));
  });

  it('a model file gives back its numerics: metadata, else the spec\'s recipe, else Winograd', () => {
    initEngine({ threads: 1 });
    const plain = parseArchSpec({ name: 'u', layers: LAYERS }, 'u.json');
    const withRecipe = parseArchSpec({ name: 'u', layers: LAYERS, recipe: { 'unpadded-conv': 'im2col' } }, 'u.json');
    const file = (spec: typeof plain, meta: Record<string, string> = {}) => encodeModel(buildModel(spec, { initRng: new Rng(1), dropoutRng: new Rng(2) }), meta, spec);
    const loaded = (bytes: Uint8Array) => [...new Set(convsOf((loadModelBytes(bytes, 'm.safetensors').model as ReturnType<typeof fuse>).source).map((c) => c.unpadded))];
    assert.deepEqual(loaded(file(plain)), ['winograd']);
    assert.deepEqual(loaded(file(withRecipe)), ['im2col']);
    assert.deepEqual(loaded(file(plain, { unpadded_conv: 'im2col' })), ['im2col']);
    assert.deepEqual(loaded(file(withRecipe, { unpadded_conv: 'winograd' })), ['winograd']);
    // What a run writes (train/run.ts) loads back as the run computed, a recipe block and a flag either
    // way, with no metadata where the block already says it (the files' bytes of before).
    for (const spec of [plain, withRecipe]) {
      for (const u of ['winograd', 'im2col'] as const) {
        const meta = unpaddedConvMetadata(u, spec);
        assert.deepEqual(loaded(file(spec, meta)), [u], `${JSON.stringify(spec.recipe ?? {})}, trained with ${u}`);
        if ((spec === withRecipe) === (u === 'im2col')) assert.deepEqual(meta, {});
      }
    }
    assert.throws(() => loadModelBytes(file(plain, { unpadded_conv: 'fft' }), 'm.safetensors'),
      (err: unknown) => err instanceof FileFormatError && /m\.safetensors.*"unpadded_conv" is "fft", expected "winograd" or "im2col"/.test(err.message));
  });
});
