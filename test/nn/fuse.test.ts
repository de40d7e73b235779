// The fusion pass, rule by rule: a small net built from a spec, fused (nn/fuse.ts) and plain (its
// layers one by one), must give the same bits — outputs, every parameter's gradient and the
// BatchNorm running statistics — in training and evaluation, on 1 and 2 threads. Each case also
// names the fused layers it expects, so a rule that stops firing fails here rather than passing
// vacuously, and says whether the fused training forward still runs a BatchNorm pass of its own
// (the bn_apply kernel, read off the pool's kernel profile): a fused layer that silently took its
// unfused fallback would give the same bits, and only that shows it.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { engine } from '../../src/engine/wasm.js';
import { buildModel, parseArchSpec } from '../../src/models/index.js';
import { fuse } from '../../src/nn/fuse.js';
import { nllLoss } from '../../src/ops/loss.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';

const conv = (out: number, k = 3, pad = 1) => ({ type: 'conv2d', out_channels: out, kernel_size: k, padding: pad });
const BN = { type: 'batchnorm2d' }, RELU = { type: 'relu' }, DROP = { type: 'dropout', p: 0.2 }, POOL = { type: 'maxpool2d', kernel_size: 2 };
const TAIL = [{ type: 'gap' }, { type: 'flatten' }, { type: 'logsoftmax' }];

// [what, layers before the tail, the fused plan's names, a BatchNorm pass of its own in training]
const CASES: Array<[string, object[], string[], boolean]> = [
  ['BatchNorm → ReLU → Conv2d (Winograd F(4×4): fused into the conv)', [conv(8), BN, RELU, conv(10)], ['conv1', 'bn1+relu1+conv2'], false],
  ['BatchNorm → ReLU → stride-2 Conv2d (im2col: fused into its padded copy)',
    [conv(8), BN, RELU, { ...conv(10), stride: 2 }], ['conv1', 'bn1+relu1+conv2'], false],
  ['BatchNorm → ReLU → 5×5 Conv2d on 15×15 planes (im2col; HW % 4 = 1: the BatchNorm\'s scalar tail)',
    [conv(3, 2, 0), BN, RELU, conv(10, 5, 2)], ['conv1', 'bn1+relu1+conv2'], false],
  ['BatchNorm → ReLU → 1×1 Conv2d (no Winograd: runs unfused inside the fused layer)', [conv(8), BN, RELU, conv(10, 1, 0)], ['conv1', 'bn1+relu1+conv2'], true],
  ['BatchNorm → ReLU → Dropout → MaxPool2d(2)', [conv(10), BN, RELU, DROP, POOL], ['conv1', 'bn1+relu1+dropout1+maxpool1'], false],
  ['BatchNorm → ReLU → MaxPool2d(2)', [conv(10), BN, RELU, POOL], ['conv1', 'bn1+relu1+maxpool1'], false],
  ['BatchNorm → ReLU', [conv(10), BN, RELU], ['conv1', 'bn1+relu1'], true],
  ['Dropout → MaxPool2d(2)', [conv(10), DROP, POOL], ['conv1', 'dropout1+maxpool1'], false],
  ['ReLU → BatchNorm (no rule: stays as written)', [conv(10), RELU, BN], ['conv1', 'relu1', 'bn1'], true],
];

describe('fusion pass: every rule gives the unfused bits', () => {
  after(() => closeEngine());
  for (const [what, layers, plan, bnPass] of CASES) {
    for (const threads of [1, 2]) {
      it(`${what}, ${threads} thread(s)`, () => {
        initEngine({ threads });
        const spec = parseArchSpec({ layers: [...layers, ...TAIL] }, what);
        const rng = new Rng(5);
        const x0 = Float32Array.from({ length: 4 * 16 * 16 }, () => rng.normal());
        const target = [1, 7, 3, 9];
        const run = (fused: boolean, training: boolean) => {
          const plain = buildModel(spec, { initRng: new Rng(1), dropoutRng: new Rng(2), input: [1, 16, 16] });
          const model = fused ? fuse(plain) : plain;
          if (fused) assert.deepEqual(fuse(plain).plan.map(([n]) => n), [...plan, 'gap1', 'flatten1', 'logsoftmax1']);
          model.train(training);
          const profile = new Map<string, { calls: number; ms: number }>();
          if (fused && training) engine().pool.profile = profile;
          const y = model.forward(Tensor.from(x0, [4, 1, 16, 16]));
          engine().pool.profile = null;
          if (fused && training) assert.equal(profile.has('bn_apply'), bnPass, `a BatchNorm pass of its own: ${[...profile.keys()].join(', ')}`);
          const buffers = model.namedBuffers().map(([n, t]) => [n, Array.from(t.data())]);
          if (!training) return { y: y.toArray(), buffers };
          nllLoss(y, target).backward();
          return { y: y.toArray(), buffers, grads: model.parameters().map((p) => Array.from(p.grad() ?? [])) };
        };
        assert.deepEqual(run(true, true), run(false, true));
        assert.deepEqual(noGrad(() => run(true, false)), noGrad(() => run(false, false)));
      });
    }
  }
});

// Evaluation mode with gradients (an input's saliency, a frozen BatchNorm fine-tuned around): the
// fused kernels' backward is the batch-statistics one, so the rules must step aside here and the
// bits equal the plain layers' (whose evaluation-mode backward is held to gradcheck in ops/).
describe('fusion pass: evaluation mode with gradients runs unfused', () => {
  after(() => closeEngine());
  const EVAL_CASES: Array<[string, object[]]> = [
    ['BatchNorm → ReLU → Conv2d (Winograd F(4×4))', [conv(8), BN, RELU, conv(10)]],
    ['BatchNorm → ReLU → MaxPool2d(2)', [conv(10), BN, RELU, POOL]],
  ];
  for (const [what, layers] of EVAL_CASES) {
    it(what, () => {
      initEngine({ threads: 1 });
      const spec = parseArchSpec({ layers: [...layers, ...TAIL] }, what);
      const rng = new Rng(6);
      const x0 = Float32Array.from({ length: 4 * 16 * 16 }, () => rng.normal());
      const run = (fused: boolean) => {
        const plain = buildModel(spec, { initRng: new Rng(1), dropoutRng: new Rng(2), input: [1, 16, 16] });
        const model = fused ? fuse(plain) : plain;
        model.train(false);
        const x = Tensor.from(x0, [4, 1, 16, 16], true);
        const y = model.forward(x);
        nllLoss(y, [1, 7, 3, 9]).backward();
        return { y: y.toArray(), dx: Array.from(x.grad()!), grads: model.parameters().map((p) => Array.from(p.grad() ?? [])) };
      };
      assert.deepEqual(run(true), run(false));
    });
  }
});
