// Optimiser state: what a checkpoint saves and restores. Three steps straight must equal two steps,
// a save, a fresh optimiser loading it, and the third step (bit for bit); a parameter without a
// gradient is left alone; a state of another kind is refused with both kinds named.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { Adam } from '../../src/optim/adam.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { SGD } from '../../src/optim/sgd.js';
import { Tensor } from '../../src/tensor/tensor.js';

const KINDS: Array<[string, (p: Tensor[]) => Optimizer]> = [
  ['sgd', (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
  ['adam', (p) => new Adam(p, { lr: 0.01, weightDecay: 1e-3 })],
  ['adamw', (p) => new Adam(p, { lr: 0.01, decoupled: true })],
];

function setGrad(t: Tensor, step: number): void {
  const e = initEngine({ threads: 1 });
  t.gradPtr ||= e.arena.alloc(t.size);
  e.floats(t.gradPtr, t.size).set(Array.from({ length: t.size }, (_, i) => Math.sin(step * 7 + i) * 10 ** -(i % 4)));
  t.hasGrad = true;
}

describe('optimiser state', () => {
  after(closeEngine);
  for (const [kind, make] of KINDS) {
    it(`${kind}: save after 2 steps, load into a fresh optimiser, step 3 equals 3 steps straight`, () => {
      const e = initEngine({ threads: 1 });
      const mark = e.arena.mark();
      const init = Float32Array.from({ length: 8 }, (_, i) => i / 4 - 1);
      const a = Tensor.from(init, [8], true), b = Tensor.from(init, [8], true);
      const oa = make([a]), ob = make([b]);
      assert.equal(oa.kind, kind);
      for (let s = 0; s < 2; s++) {
        for (const [t, o] of [[a, oa], [b, ob]] as const) { o.zeroGrad(); setGrad(t, s); o.step(); }
      }
      // A checkpoint: the state copied out (as saving does), momentum/lr changed meanwhile by a schedule.
      const st = ob.state();
      const saved = { ...st, slots: Object.fromEntries(Object.entries(st.slots).map(([k, v]) => [k, v.map((x) => x.slice())])) };
      const b2 = Tensor.from(b.toArray(), [8], true);
      const fresh = make([b2]);
      fresh.lr = 123;
      fresh.momentum = 0.123;
      fresh.loadState(saved);
      assert.deepEqual([fresh.lr, fresh.momentum], [ob.lr, ob.momentum]);
      assert.equal(fresh.state().step, 2);
      for (const [t, o] of [[a, oa], [b2, fresh]] as const) { o.zeroGrad(); setGrad(t, 2); o.step(); }
      assert.deepEqual(b2.toArray(), a.toArray());
      // A parameter whose gradient was not written this step does not move.
      const before = a.toArray();
      oa.zeroGrad();
      oa.step();
      assert.deepEqual(a.toArray(), before);
      e.arena.release(mark);
    });
  }
  // momentum = 1 (PyTorch accepts it: the buffer sums every gradient) against a loop written here;
  // momentum = 0 keeps no buffer, as PyTorch's momentum_buffer stays None (nothing to checkpoint).
  it('sgd: momentum 1 sums the gradients; momentum 0 keeps no buffer', () => {
    const e = initEngine({ threads: 1 });
    const mark = e.arena.mark();
    const init = [0.5, -1, 2];
    const p = Tensor.from(init, [3], true), q = Tensor.from(init, [3], true);
    const o1 = new SGD([p], { lr: 0.1, momentum: 1 }), o0 = new SGD([q], { lr: 0.1 });
    const want = init.slice(), buf = [0, 0, 0];
    for (let s = 0; s < 3; s++) {
      o1.zeroGrad(); setGrad(p, s); o1.step();
      const g = Array.from(p.grad()!);
      for (let j = 0; j < 3; j++) { buf[j] = buf[j]! + g[j]!; want[j] = Math.fround(want[j]! - 0.1 * buf[j]!); }
      o0.zeroGrad(); setGrad(q, s); o0.step();
    }
    p.toArray().forEach((v, j) => assert.ok(Math.abs(v - want[j]!) < 1e-6, `p[${j}] = ${v}, want ${want[j]}`));
    assert.deepEqual(Object.keys(o0.state().slots), []);
    e.arena.release(mark);
  });
  it('a state of another kind is refused', () => {
    initEngine({ threads: 1 });
    const p = [Tensor.zeros([2], true)];
    assert.throws(() => new Adam(p, { lr: 0.1 }).loadState(new SGD(p, { lr: 0.1 }).state()), /checkpoint is for sgd, this run uses adam/);
    assert.throws(() => new Adam(p, { lr: 0.1 }).loadState(new Adam(p, { lr: 0.1, decoupled: true }).state()), /checkpoint is for adamw, this run uses adam/);
    assert.throws(() => new SGD(p, { lr: -1 }), /learning rate must be a finite number ≥ 0, got -1/);
    assert.equal(new SGD(p, { lr: 0 }).lr, 0, 'a learning rate of 0 is allowed (a schedule can reach it)');
    assert.throws(() => new SGD(p, { lr: Infinity }), /got Infinity/);
  });
});
