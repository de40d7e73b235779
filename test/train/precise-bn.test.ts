// Precise BatchNorm statistics against statistics computed another way: the activations of each
// batch are obtained by running the layers one by one, every BatchNorm done here in plain JavaScript
// (float64 batch mean and biased variance, then γ·x̂ + β and the fused ReLU), and each BatchNorm's
// expected running mean / variance is the plain average over the batches of its input's batch mean /
// unbiased variance (PyTorch's convention for running_var). Weights and the dropout generator must be
// left untouched.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { normaliseBatch } from '../../src/data/augment.js';
import type { Split } from '../../src/data/datasets.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { seed16k } from '../../src/models/seed16k.js';
import { BatchNorm2d, Dropout } from '../../src/nn/layers.js';
import type { Module } from '../../src/nn/module.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { recalibrateBatchNorm } from '../../src/train/precise-bn.js';
import { Rng } from '../../src/util/rng.js';

function split(count: number, seed: number): Split {
  const rng = new Rng(seed);
  const images = Uint8Array.from({ length: count * 784 }, () => Math.floor(rng.uniform() * 256));
  return { images, labels: new Uint8Array(count), count, height: 28, width: 28 };
}

/** x: (N,C,H,W) → per channel batch mean, biased and unbiased variance (float64). */
function channelStats(x: Float32Array, [N, C, H, W]: number[]): { mean: number[]; varb: number[]; varu: number[] } {
  const m = N! * H! * W!, plane = H! * W!;
  const mean: number[] = [], varb: number[] = [], varu: number[] = [];
  for (let c = 0; c < C!; c++) {
    let s = 0;
    for (let n = 0; n < N!; n++) for (let i = 0; i < plane; i++) s += x[(n * C! + c) * plane + i]!;
    const mu = s / m;
    let q = 0;
    for (let n = 0; n < N!; n++) for (let i = 0; i < plane; i++) q += (x[(n * C! + c) * plane + i]! - mu) ** 2;
    mean.push(mu);
    varb.push(q / m);
    varu.push(q / (m - 1));
  }
  return { mean, varb, varu };
}

/** The expected running statistics: layers one by one over each whole batch, BatchNorms in JavaScript. */
function expectedStats(model: Module, data: Split, batches: number, B: number): Array<{ mean: number[]; var: number[] }> {
  const sums: Array<{ mean: number[]; var: number[] }> = [];
  noGrad(() => {
    for (let b = 0; b < batches; b++) {
      const e = initEngine({ threads: 2 });
      const mark = e.arena.mark();
      let x = Tensor.empty([B, 1, 28, 28]);
      normaliseBatch(data, Uint32Array.from({ length: B }, (_, i) => b * B + i), 0, B, x.data());
      let k = 0;
      for (const [, layer] of model.modules()) {
        if (layer instanceof Dropout) continue; // recalibration runs with dropout off
        if (!(layer instanceof BatchNorm2d)) {
          x = layer.forward(x);
          continue;
        }
        const [, C, H, W] = x.shape as [number, number, number, number];
        const v = x.toArray(), st = channelStats(v, [...x.shape]);
        const s = (sums[k++] ??= { mean: new Array(C).fill(0), var: new Array(C).fill(0) });
        const g = layer.weight.data(), beta = layer.bias.data();
        for (let c = 0; c < C; c++) {
          s.mean[c] = s.mean[c]! + st.mean[c]! / batches;
          s.var[c] = s.var[c]! + st.varu[c]! / batches;
          const inv = 1 / Math.sqrt(st.varb[c]! + layer.eps);
          for (let n = 0; n < B; n++) {
            for (let i = 0; i < H * W; i++) {
              const j = (n * C + c) * H * W + i;
              const y = g[c]! * (v[j]! - st.mean[c]!) * inv + beta[c]!;
              v[j] = y; // the ReLU after it is its own layer, applied next
            }
          }
        }
        x = Tensor.from(v, x.shape);
      }
      e.arena.release(mark);
    }
  });
  return sums;
}

const bnOf = (m: Module) => m.modules().map(([, c]) => c).filter((c): c is BatchNorm2d => c instanceof BatchNorm2d);

describe('recalibrateBatchNorm', () => {
  after(closeEngine);
  it('sets running statistics to the average batch statistics, leaves weights and dropout alone', () => {
    initEngine({ threads: 2 });
    const dropoutRng = new Rng(7);
    const model = seed16k({ initRng: new Rng(1), dropoutRng, dropout: 0.05 });
    // BatchNorm weights away from (1, 0), so that each layer's γ and β matter downstream.
    const r = new Rng(5);
    for (const b of bnOf(model)) {
      b.weight.data().forEach((_, i, a) => (a[i] = 0.5 + r.uniform()));
      b.bias.data().forEach((_, i, a) => (a[i] = r.normal() * 0.3));
    }
    const data = split(3 * 8, 3);
    model.eval();
    const want = expectedStats(model, data, 2, 8);
    const weights = model.parameters().map((p) => p.toArray());
    for (const b of bnOf(model)) { b.runningMean.data().fill(-5); b.runningVar.data().fill(9); }
    recalibrateBatchNorm(model, data, 2 * 8 + 5, 8); // 21 images: two whole batches of 8
    assert.equal(want.length, bnOf(model).length);
    bnOf(model).forEach((b, k) => {
      const close = (got: Float32Array, exp: number[], what: string) => got.forEach((x, c) => {
        const w = exp[c]!;
        assert.ok(Math.abs(x - w) <= 1e-4 * Math.max(1, Math.abs(w)), `bn ${k} ${what}[${c}]: ${x}, expected ${w}`);
      });
      close(b.runningMean.toArray(), want[k]!.mean, 'running_mean');
      close(b.runningVar.toArray(), want[k]!.var, 'running_var');
    });
    assert.ok(bnOf(model).every((b) => b.momentum === 0.1), 'momentum restored');
    assert.equal(model.training, false);
    assert.deepEqual(model.parameters().map((p) => p.toArray()), weights);
    assert.equal(dropoutRng.nextU32(), new Rng(7).nextU32(), 'no dropout masks drawn');
  });
  it('images = 0 changes nothing', () => {
    initEngine({ threads: 1 });
    const model = seed16k({ initRng: new Rng(1), dropoutRng: new Rng(2), dropout: 0.05 });
    const before = model.stateDict().map(([, t]) => t.toArray());
    recalibrateBatchNorm(model, split(16, 4), 0, 8);
    assert.deepEqual(model.stateDict().map(([, t]) => t.toArray()), before);
  });
});
