// Conv kernel throughput per layer of a model: GFLOP/s of forward, backward-data and
// backward-weight at a given batch, on the current engine. The layers and their input shapes are
// traced from the model itself (one forward pass on a 1-image batch), not listed by hand.
// FLOPs per pass = 2·N·O·OH·OW·C·KH·KW, the direct convolution's count whatever the algorithm, so
// Winograd layers show their effective rate (they do 2.25× fewer multiplies in their GEMMs).
// Each figure is the best of a few runs after a warm-up.
import type { Engine } from '../engine/wasm.js';
import { conv2dBackward, conv2dBackwardData, conv2dBackwardWeight, conv2dForward, convAlgoFor, convFlops, convOutSize, type ConvImpl, type ConvShape } from '../kernels/conv.js';
import { Conv2d } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';

export interface LayerRate {
  layer: string;
  shape: string; // "C→O H×W pN" (+ " sS" when the stride is not 1)
  algo: ConvImpl; // what the training step uses for this layer
  forward: number; // GFLOP/s
  backwardData: number;
  backwardWeight: number;
  /** Both backward passes in one call, as training runs them (their FLOPs together). */
  backward: number;
}

/** Each Conv2d of a Sequential-like model with its input shape for a batch of `batch`, and the layer. */
export function convShapes(model: Module, batch: number, input: readonly number[] = [1, 28, 28]): Array<[string, ConvShape, Conv2d]> {
  const e0 = Tensor.zeros([1, ...input]);
  const out: Array<[string, ConvShape, Conv2d]> = [];
  noGrad(() => {
    let x = e0;
    for (const [name, m] of model.modules()) {
      if (m instanceof Conv2d) {
        const [, C, H, W] = x.shape as [number, number, number, number];
        out.push([name, { N: batch, C, H, W, O: m.outC, KH: m.k, KW: m.k, pad: m.pad, stride: m.stride }, m]);
      }
      x = m.forward(x);
    }
  });
  return out;
}

function best(fn: () => void, reps: number): number {
  fn();
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}

export function benchConvLayers(e: Engine, model: Module, batch = 128, reps = 7): LayerRate[] {
  const mark = e.arena.mark();
  const wasTraining = model.training;
  model.eval();
  try {
    return convShapes(model, batch).map(([layer, s, conv]) => {
      const m = e.arena.mark();
      const algo = convAlgoFor(s, conv.unpadded); // as the layer computes in training
      const [OH, OW] = convOutSize(s);
      const buf = (n: number) => {
        const p = e.arena.alloc(n);
        e.floats(p, n).forEach((_, i, a) => (a[i] = Math.sin(i * 0.37)));
        return p;
      };
      const x = buf(s.N * s.C * s.H * s.W), w = buf(s.O * s.C * s.KH * s.KW), b = buf(s.O);
      const y = buf(s.N * s.O * OH * OW), dx = buf(s.N * s.C * s.H * s.W), dw = buf(s.O * s.C * s.KH * s.KW), db = buf(s.O);
      const rate = (ms: number, passes = 1) => Number(((passes * convFlops(s)) / (ms * 1e6)).toFixed(1));
      const r: LayerRate = {
        layer, shape: `${s.C}→${s.O} ${s.H}×${s.W} p${s.pad}${s.stride === 1 ? '' : ` s${s.stride}`}`, algo,
        forward: rate(best(() => conv2dForward(e, x, w, b, y, s, algo), reps)),
        backwardData: rate(best(() => conv2dBackwardData(e, y, w, dx, s, algo), reps)),
        backwardWeight: rate(best(() => conv2dBackwardWeight(e, y, x, dw, db, s, algo), reps)),
        backward: rate(best(() => conv2dBackward(e, y, x, w, dx, dw, db, s, algo), reps), 2),
      };
      e.arena.release(m);
      return r;
    });
  } finally {
    model.train(wasTraining);
    e.arena.release(mark);
  }
}
