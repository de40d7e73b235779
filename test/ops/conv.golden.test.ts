// conv2d forward and backward against PyTorch goldens, on 1 and 2 threads, both kernel builds.
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { conv2d } from '../../src/ops/conv.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, golden, maxAbs } from '../helpers.js';

const g = golden('conv2d');
const cases = Number(g.meta.cases);

describe('conv2d vs PyTorch', () => {
  after(closeEngine);
  for (const [threads, variant] of [[1, 'relaxed'], [2, 'relaxed'], [2, 'simd']] as const) {
    for (let i = 0; i < cases; i++) {
      const cfg = JSON.parse(g.meta[`c${i}`]!) as { N: number; C: number; H: number; W: number; O: number; k: number; pad: number };
      it(`case ${i} ${JSON.stringify(cfg)}, ${threads} thread(s), ${variant}`, () => {
        const e = initEngine({ threads, variant });
        const mark = e.arena.mark();
        const p = `c${i}.`;
        const x = Tensor.from(g.get(p + 'x'), [cfg.N, cfg.C, cfg.H, cfg.W], true);
        const w = Tensor.from(g.get(p + 'w'), [cfg.O, cfg.C, cfg.k, cfg.k], true);
        const b = Tensor.from(g.get(p + 'b'), [cfg.O], true);
        const y = conv2d(x, w, b, cfg.pad);
        expectClose(y.data(), g.get(p + 'y'), 'y', 1e-4, 1e-5 * maxAbs(g.get(p + 'y')));
        y.backward(g.get(p + 'gy'));
        for (const [name, t] of [['gx', x], ['gw', w], ['gb', b]] as const) {
          const want = g.get(p + name);
          expectClose(t.grad()!, want, name, 1e-4, 1e-5 * maxAbs(want));
        }
        e.arena.release(mark);
      });
    }
  }
});
