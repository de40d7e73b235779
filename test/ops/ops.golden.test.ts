// BatchNorm, ReLU, max-pool, global average pool, linear, log-softmax + NLL against PyTorch goldens.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { relu } from '../../src/ops/activation.js';
import { linear } from '../../src/ops/linear.js';
import { logSoftmax, nllLoss } from '../../src/ops/loss.js';
import { batchNorm2d } from '../../src/ops/norm.js';
import { globalAvgPool, maxPool2d } from '../../src/ops/pool.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, golden, maxAbs } from '../helpers.js';

const close = (a: ArrayLike<number>, e: Float32Array, what: string) => expectClose(a, e, what, 1e-4, 1e-5 * maxAbs(e));

describe('batchNorm2d vs PyTorch', () => {
  after(closeEngine);
  const g = golden('batchnorm');
  for (const threads of [1, 2]) {
    for (const [prefix, key] of [['', 'b1.shape'], ['b2.', 'b2.shape']] as const) {
      const { N, C, H, W } = JSON.parse(g.meta[key]!) as { N: number; C: number; H: number; W: number };
      const shape = [N, C, H, W];
      for (const training of [true, false]) {
        it(`${prefix || 'b1.'} ${training ? 'training' : 'eval'}, ${threads} thread(s)`, () => {
          initEngine({ threads });
          const x = Tensor.from(g.get(prefix + 'x'), shape, true);
          const w = Tensor.from(g.get(prefix + 'weight'), [C], true);
          const b = Tensor.from(g.get(prefix + 'bias'), [C], true);
          const rm = Tensor.from(g.get(prefix + 'running_mean_in'), [C]);
          const rv = Tensor.from(g.get(prefix + 'running_var_in'), [C]);
          const y = batchNorm2d(x, w, b, rm, rv, { training, momentum: 0.1, eps: 1e-5, relu: false });
          const sfx = training ? '' : '_eval';
          close(y.data(), g.get(prefix + 'y' + sfx), 'y');
          y.backward(g.get(prefix + 'gy'));
          close(x.grad()!, g.get(prefix + 'gx' + sfx), 'gx');
          close(w.grad()!, g.get(prefix + 'gweight' + sfx), 'gweight');
          close(b.grad()!, g.get(prefix + 'gbias' + sfx), 'gbias');
          close(rm.data(), g.get(prefix + (training ? 'running_mean_out' : 'running_mean_in')), 'running_mean');
          close(rv.data(), g.get(prefix + (training ? 'running_var_out' : 'running_var_in')), 'running_var');
        });
      }
    }
  }
});

describe('element-wise ops vs PyTorch', () => {
  after(closeEngine);
  const g = golden('elementwise');
  const unary: Array<[string, (x: Tensor) => Tensor]> = [
    ['relu', relu],
    ['pool', maxPool2d],
    ['pool2', maxPool2d],
    ['gap', globalAvgPool],
  ];
  for (const threads of [1, 2]) {
    for (const [name, op] of unary) {
      it(`${name}, ${threads} thread(s)`, () => {
        initEngine({ threads });
        const x = Tensor.from(g.get(`${name}.x`), g.shape(`${name}.x`), true);
        const y = op(x);
        assert.equal(y.size, g.get(`${name}.y`).length);
        close(y.data(), g.get(`${name}.y`), 'y');
        y.backward(g.get(`${name}.gy`));
        close(x.grad()!, g.get(`${name}.gx`), 'gx');
      });
    }
  }
  it('linear', () => {
    initEngine({ threads: 1 });
    const x = Tensor.from(g.get('fc.x'), [4, 16], true);
    const w = Tensor.from(g.get('fc.w'), [10, 16], true);
    const b = Tensor.from(g.get('fc.b'), [10], true);
    const y = linear(x, w, b);
    close(y.data(), g.get('fc.y'), 'y');
    y.backward(g.get('fc.gy'));
    close(x.grad()!, g.get('fc.gx'), 'gx');
    close(w.grad()!, g.get('fc.gw'), 'gw');
    close(b.grad()!, g.get('fc.gb'), 'gb');
  });
  it('logSoftmax + nllLoss', () => {
    initEngine({ threads: 1 });
    const logits = Tensor.from(g.get('nll.logits'), [5, 10], true);
    const logp = logSoftmax(logits);
    close(logp.data(), g.get('nll.logp'), 'logp');
    const loss = nllLoss(logp, g.get('nll.target'));
    close([loss.item()], g.get('nll.loss'), 'loss');
    loss.backward();
    close(logits.grad()!, g.get('nll.glogits'), 'glogits');
  });
});
