// The layer types beyond the reference net against PyTorch goldens (test/fixtures/make_layer_goldens.py):
// strided, 5×5, 7×7 and 1×1 convolutions with and without bias, k×k max- and average pooling, a
// 784→10 linear; forward and the gradients wrt every input, on 1 and 2 threads, both kernel builds.
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { conv2d } from '../../src/ops/conv.js';
import { linear } from '../../src/ops/linear.js';
import { avgPool2d, maxPool2d } from '../../src/ops/pool.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, golden, maxAbs } from '../helpers.js';

type Case =
  | { kind: 'conv'; N: number; C: number; H: number; W: number; O: number; k: number; pad: number; stride: number; bias: boolean }
  | { kind: 'pool'; op: 'max' | 'avg'; N: number; C: number; H: number; W: number; k: number; stride: number }
  | { kind: 'linear'; N: number; I: number; O: number };

const g = golden('layers');
const cases = Array.from({ length: Number(g.meta.cases) }, (_, i) => JSON.parse(g.meta[`c${i}`]!) as Case);

/** The case's op on tensors made from its inputs (requiring grad), in the golden's input order. */
function build(c: Case, p: string): { y: Tensor; inputs: Array<[string, Tensor]> } {
  const t = (name: string, shape: number[]) => Tensor.from(g.get(p + name), shape, true);
  if (c.kind === 'conv') {
    const x = t('x', [c.N, c.C, c.H, c.W]), w = t('w', [c.O, c.C, c.k, c.k]), b = c.bias ? t('b', [c.O]) : null;
    return { y: conv2d(x, w, b, c.pad, c.stride), inputs: [['x', x], ['w', w], ...(b ? [['b', b] as [string, Tensor]] : [])] };
  }
  if (c.kind === 'pool') {
    const x = t('x', [c.N, c.C, c.H, c.W]);
    return { y: c.op === 'max' ? maxPool2d(x, c.k, c.stride) : avgPool2d(x, c.k, c.stride), inputs: [['x', x]] };
  }
  const x = t('x', [c.N, c.I]), w = t('w', [c.O, c.I]), b = t('b', [c.O]);
  return { y: linear(x, w, b), inputs: [['x', x], ['w', w], ['b', b]] };
}

describe('new layer types vs PyTorch', () => {
  after(closeEngine);
  for (const [threads, variant] of [[1, 'relaxed'], [2, 'relaxed'], [2, 'simd']] as const) {
    cases.forEach((c, i) => {
      it(`case ${i} ${JSON.stringify(c)}, ${threads} thread(s), ${variant}`, () => {
        const e = initEngine({ threads, variant });
        const mark = e.arena.mark();
        const p = `c${i}.`;
        const { y, inputs } = build(c, p);
        const want = g.get(p + 'y');
        expectClose(y.shape, g.shape(p + 'y'), 'shape', 0, 0);
        expectClose(y.data(), want, 'y', 1e-4, 1e-5 * maxAbs(want));
        y.backward(g.get(p + 'gy'));
        for (const [name, x] of inputs) {
          const gw = g.get(p + 'g' + name);
          expectClose(x.grad()!, gw, 'g' + name, 1e-4, 1e-5 * maxAbs(gw));
        }
        e.arena.release(mark);
      });
    });
  }
});
