// The layers' defaults, held to PyTorch's documented ones (torch.nn.Module starts in training mode;
// BatchNorm2d starts with weight 1, bias 0, running_mean 0, running_var 1) and a BatchNorm2d on its
// own to a naive reference: the fused rules share these layers with the plain model, so a wrong
// default would give both the same wrong bits and pass the fusion tests.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { buildModel, parseArchSpec } from '../../src/models/index.js';
import { BatchNorm2d } from '../../src/nn/layers.js';
import type { Module } from '../../src/nn/module.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { expectClose } from '../helpers.js';

const all = (m: Module): Module[] => [m, ...m.modules().flatMap(([, c]) => all(c))];

describe('layer defaults', () => {
  after(() => closeEngine());

  it('a new model is in training mode, every layer of it, until eval()', () => {
    initEngine({ threads: 1 });
    const spec = parseArchSpec({ layers: [{ type: 'conv2d', out_channels: 4, kernel_size: 3 }, { type: 'batchnorm2d' }, { type: 'relu' },
      { type: 'dropout', p: 0.5 }, { type: 'gap' }, { type: 'flatten' }, { type: 'linear', out_features: 10 }, { type: 'logsoftmax' }] }, 'm.json');
    const model = buildModel(spec, { initRng: new Rng(1), dropoutRng: new Rng(2) });
    assert.deepEqual(all(model).map((m) => m.training), all(model).map(() => true));
    model.eval();
    assert.deepEqual(all(model).map((m) => m.training), all(model).map(() => false));
  });

  it('BatchNorm2d starts at weight 1, bias 0, running mean 0, running variance 1, momentum 0.1, eps 1e-5', () => {
    initEngine({ threads: 1 });
    const bn = new BatchNorm2d(3);
    const state = Object.fromEntries(bn.stateDict().map(([n, t]) => [n, Array.from(t.data())]));
    assert.deepEqual(state, { weight: [1, 1, 1], bias: [0, 0, 0], running_mean: [0, 0, 0], running_var: [1, 1, 1] });
    assert.deepEqual([bn.momentum, bn.eps], [0.1, 1e-5]);
  });

  it('BatchNorm2d alone normalises each channel with the batch statistics and applies no ReLU', () => {
    initEngine({ threads: 1 });
    const [N, C, HW] = [3, 2, 5 * 5];
    const rng = new Rng(4);
    const x = Float32Array.from({ length: N * C * HW }, () => rng.normal() * 2 + 0.5);
    const want = new Float64Array(x.length);
    for (let c = 0; c < C; c++) {
      let s = 0, ss = 0;
      for (let n = 0; n < N; n++) for (let i = 0; i < HW; i++) s += x[(n * C + c) * HW + i]!;
      const mean = s / (N * HW);
      for (let n = 0; n < N; n++) for (let i = 0; i < HW; i++) ss += (x[(n * C + c) * HW + i]! - mean) ** 2;
      const inv = 1 / Math.sqrt(ss / (N * HW) + 1e-5); // the biased variance normalises, as PyTorch's
      for (let n = 0; n < N; n++) for (let i = 0; i < HW; i++) want[(n * C + c) * HW + i] = (x[(n * C + c) * HW + i]! - mean) * inv;
    }
    const y = noGrad(() => Array.from(new BatchNorm2d(C).forward(Tensor.from(x, [N, C, 5, 5])).data()));
    assert.ok(y.some((v) => v < -0.5), 'negative outputs kept');
    expectClose(y, want, 'BatchNorm2d, training mode', 1e-4, 1e-5);
  });
});
