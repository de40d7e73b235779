// Finite-difference gradient checks for every op: L = Σ y·gy computed in float64, central
// differences on a sample of elements of every input, compared with the analytic gradient.
// Inputs are kept away from kinks (ReLU at 0, max-pool ties) so the differences are meaningful.
// Differences are independent of autograd, so they also check graphs that reuse a tensor.
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { dropout, relu } from '../../src/ops/activation.js';
import { conv2d } from '../../src/ops/conv.js';
import { linear } from '../../src/ops/linear.js';
import { logSoftmax, nllLoss } from '../../src/ops/loss.js';
import { batchNorm2d } from '../../src/ops/norm.js';
import { avgPool2d, dropoutMaxPool2d, flatten, globalAvgPool, maxPool2d } from '../../src/ops/pool.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { expectClose } from '../helpers.js';

type Case = { name: string; inputs: Array<{ shape: number[]; kind?: 'awayFromZero' | 'distinct' | 'positive' }>; op: (t: Tensor[]) => Tensor; eps?: number };

const bnOpts = (training: boolean, relu: boolean) => ({ training, momentum: 0.1, eps: 1e-5, relu });
const bn = (training: boolean, fuse: boolean) => (t: Tensor[]) =>
  batchNorm2d(t[0]!, t[1]!, t[2]!, Tensor.zeros([t[1]!.size]), Tensor.from(new Array(t[1]!.size).fill(1), [t[1]!.size]), bnOpts(training, fuse));

const CASES: Case[] = [
  { name: 'conv2d 3x3 pad 1', inputs: [{ shape: [2, 3, 5, 6] }, { shape: [4, 3, 3, 3] }, { shape: [4] }], op: ([x, w, b]) => conv2d(x!, w!, b!, 1) },
  { name: 'conv2d 3x3 pad 0, no bias', inputs: [{ shape: [1, 5, 7, 7] }, { shape: [6, 5, 3, 3] }], op: ([x, w]) => conv2d(x!, w!, null, 0) },
  { name: 'conv2d 1x1 image pad 1', inputs: [{ shape: [3, 2, 1, 1] }, { shape: [3, 2, 3, 3] }, { shape: [3] }], op: ([x, w, b]) => conv2d(x!, w!, b!, 1) },
  { name: 'conv2d 3x3 pad 1 stride 2', inputs: [{ shape: [2, 3, 7, 6] }, { shape: [4, 3, 3, 3] }, { shape: [4] }], op: ([x, w, b]) => conv2d(x!, w!, b!, 1, 2) },
  { name: 'conv2d 5x5 pad 2 stride 2, no bias', inputs: [{ shape: [2, 2, 8, 9] }, { shape: [3, 2, 5, 5] }], op: ([x, w]) => conv2d(x!, w!, null, 2, 2) },
  { name: 'conv2d 1x1', inputs: [{ shape: [2, 5, 3, 4] }, { shape: [3, 5, 1, 1] }, { shape: [3] }], op: ([x, w, b]) => conv2d(x!, w!, b!, 0) },
  { name: 'batchNorm2d training', inputs: [{ shape: [3, 4, 3, 3] }, { shape: [4], kind: 'positive' }, { shape: [4] }], op: bn(true, false), eps: 1e-2 },
  { name: 'batchNorm2d training + ReLU', inputs: [{ shape: [3, 4, 3, 3] }, { shape: [4], kind: 'positive' }, { shape: [4] }], op: bn(true, true), eps: 1e-3 },
  { name: 'batchNorm2d eval', inputs: [{ shape: [2, 3, 2, 2] }, { shape: [3], kind: 'positive' }, { shape: [3] }], op: bn(false, false) },
  { name: 'batchNorm2d eval + ReLU', inputs: [{ shape: [2, 3, 2, 2], kind: 'awayFromZero' }, { shape: [3], kind: 'positive' }, { shape: [3] }], op: bn(false, true) },
  { name: 'relu', inputs: [{ shape: [2, 3, 4, 4], kind: 'awayFromZero' }], op: ([x]) => relu(x!) },
  { name: 'dropout (fixed mask)', inputs: [{ shape: [2, 3, 4, 4] }], op: ([x]) => dropout(x!, 0.3, true, new Rng(7)) },
  { name: 'maxPool2d odd size', inputs: [{ shape: [2, 2, 5, 7], kind: 'distinct' }], op: ([x]) => maxPool2d(x!) },
  { name: 'maxPool2d 3x3 stride 2 (overlapping)', inputs: [{ shape: [2, 2, 7, 8], kind: 'distinct' }], op: ([x]) => maxPool2d(x!, 3, 2) },
  { name: 'avgPool2d 3x3 stride 2 (overlapping)', inputs: [{ shape: [2, 2, 7, 8] }], op: ([x]) => avgPool2d(x!, 3, 2) },
  { name: 'avgPool2d 2x2', inputs: [{ shape: [2, 3, 5, 4] }], op: ([x]) => avgPool2d(x!, 2) },
  { name: 'dropout + maxPool2d fused', inputs: [{ shape: [2, 3, 6, 5], kind: 'distinct' }], op: ([x]) => dropoutMaxPool2d(x!, 0.3, true, new Rng(7)) },
  { name: 'globalAvgPool + flatten', inputs: [{ shape: [2, 3, 3, 5] }], op: ([x]) => flatten(globalAvgPool(x!)) },
  { name: 'linear', inputs: [{ shape: [5, 7] }, { shape: [3, 7] }, { shape: [3] }], op: ([x, w, b]) => linear(x!, w!, b!) },
  { name: 'logSoftmax', inputs: [{ shape: [4, 10] }], op: ([x]) => logSoftmax(x!) },
  // A tensor used twice: its gradient is the sum of both uses (autograd must accumulate, and must
  // finish both consumers before running the producer's backward).
  { name: 'a leaf used twice: linear(x, x)', inputs: [{ shape: [3, 5] }], op: ([x]) => linear(x!, x!, null) },
  { name: 'an intermediate used twice: h = relu(x); linear(h, h)', inputs: [{ shape: [4, 6], kind: 'awayFromZero' }], op: ([x]) => { const h = relu(x!); return linear(h, h, null); } },
  { name: 'a weight used twice: conv2d(conv2d(x, w), w)', inputs: [{ shape: [2, 3, 5, 5] }, { shape: [3, 3, 3, 3] }], op: ([x, w]) => conv2d(conv2d(x!, w!, null, 1), w!, null, 1) },
  { name: 'nllLoss with label smoothing', inputs: [{ shape: [4, 10] }], op: ([x]) => nllLoss(logSoftmax(x!), [3, 0, 9, 3], 0.1) },
];

function makeInput(rng: Rng, shape: number[], kind?: string): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  if (kind === 'distinct') {
    const perm = rng.shuffle(Float32Array.from({ length: n }, (_, i) => i));
    for (let i = 0; i < n; i++) v[i] = perm[i]! * 0.1 - n * 0.05; // spaced 0.1 apart: no ties within eps
    return v;
  }
  for (let i = 0; i < n; i++) {
    let x = rng.normal();
    if (kind === 'awayFromZero') x = Math.sign(x || 1) * (0.2 + Math.abs(x));
    if (kind === 'positive') x = 0.5 + Math.abs(x);
    v[i] = x;
  }
  return v;
}

describe('finite-difference gradient checks', () => {
  after(closeEngine);
  for (const c of CASES) {
    it(c.name, () => {
      const e = initEngine({ threads: 2 });
      const mark = e.arena.mark();
      const rng = new Rng(42);
      const values = c.inputs.map((s) => makeInput(rng, s.shape, s.kind));
      const leaves = c.inputs.map((s, i) => Tensor.from(values[i]!, s.shape, true));
      const y = c.op(leaves);
      const gy = Array.from({ length: y.size }, () => rng.normal());
      const L = () => noGrad(() => {
        const m = e.arena.mark();
        const out = c.op(c.inputs.map((s, i) => Tensor.from(values[i]!, s.shape))).data();
        let s = 0;
        for (let i = 0; i < out.length; i++) s += out[i]! * gy[i]!;
        e.arena.release(m);
        return s;
      });
      y.backward(gy);
      const eps = c.eps ?? 1e-2;
      leaves.forEach((leaf, li) => {
        const analytic = leaf.grad()!;
        const v = values[li]!;
        const picks = Array.from({ length: Math.min(12, v.length) }, (_, k) => Math.floor((k * v.length) / Math.min(12, v.length)));
        const num: number[] = [], ana: number[] = [];
        for (const i of picks) {
          const orig = v[i]!;
          v[i] = orig + eps;
          const up = L();
          v[i] = orig - eps;
          const down = L();
          v[i] = orig;
          num.push((up - down) / (2 * eps));
          ana.push(analytic[i]!);
        }
        expectClose(ana, num, `${c.name}: input ${li}`, 2e-2, 2e-3);
      });
      e.arena.release(mark);
    });
  }
});
