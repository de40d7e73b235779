// logSoftmax + nllLoss with every label-smoothing setting against PyTorch's
// F.cross_entropy(logits, target, label_smoothing=ε) (test/fixtures/make_option_goldens.py): loss
// and gradient, K = 10, 3 and 2 classes (where ε/K and ε/(K−1) differ most).
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { logSoftmax, nllLoss } from '../../src/ops/loss.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, golden } from '../helpers.js';

describe('cross-entropy with label smoothing vs PyTorch', () => {
  after(closeEngine);
  const g = golden('loss');
  for (let i = 0; i < Number(g.meta.cases); i++) {
    const { N, K, label_smoothing: eps } = JSON.parse(g.meta[`c${i}`]!) as { N: number; K: number; label_smoothing: number };
    it(`N ${N}, K ${K}, ε ${eps}`, () => {
      const e = initEngine({ threads: 1 });
      const mark = e.arena.mark();
      const logits = Tensor.from(g.get(`c${i}.logits`), [N, K], true);
      const loss = nllLoss(logSoftmax(logits), g.get(`c${i}.target`), eps);
      expectClose([loss.item()], g.get(`c${i}.loss`), 'loss', 1e-5, 1e-7);
      loss.backward();
      expectClose(logits.grad()!, g.get(`c${i}.glogits`), 'glogits', 1e-4, 1e-7);
      e.arena.release(mark);
    });
  }
});
