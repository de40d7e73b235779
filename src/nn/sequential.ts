// Sequential with named children, so state-dict keys are PyTorch's ("conv1.weight"), not indices.
// forward fuses three patterns into single ops with the same results (test/ops/fusion.test.ts):
//   Dropout → MaxPool2d: one pass with the same masks (ops/pool.ts dropoutMaxPool2d);
//   BatchNorm2d(ReLU) → Conv2d, where the conv takes Winograd F(4×4): the conv's kernels apply the
//     BatchNorm on the way in (ops/fused.ts bnReluConv2d);
//   BatchNorm2d(ReLU) → [Dropout] → MaxPool2d: the same, in the pooling kernel (with the dropout
//     masks when dropout is on).
// Modules called one by one (summary) are unaffected.
import { convShapeOf } from '../ops/conv.js';
import { bnConvFuses, bnPoolFuses, bnReluConv2d, bnReluDropoutMaxPool2d, bnReluMaxPool2d } from '../ops/fused.js';
import { dropoutMaxPool2d } from '../ops/pool.js';
import type { Tensor } from '../tensor/tensor.js';
import { BatchNorm2d, Conv2d, Dropout, MaxPool2d } from './layers.js';
import { Module } from './module.js';

export class Sequential extends Module {
  constructor(layers: Array<[string, Module]>) {
    super();
    this.children.push(...layers);
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.children.length; i++) {
      const m = this.children[i]![1];
      const next = this.children[i + 1]?.[1], next2 = this.children[i + 2]?.[1];
      // (A malformed input takes the unfused path, so its error comes from batchNorm2d as before.)
      if (m instanceof BatchNorm2d && m.fuseRelu && y.shape.length === 4 && y.shape[1] === m.channels) {
        const bn = m.args();
        if (next instanceof Conv2d && bnConvFuses(bn, convShapeOf(y, next.weight, next.bias, next.pad))) {
          y = bnReluConv2d(y, bn, next.weight, next.bias, next.pad);
          i++;
          continue;
        }
        if (next instanceof Dropout && next2 instanceof MaxPool2d && m.training && next.training && next.p > 0) {
          y = bnReluDropoutMaxPool2d(y, bn, next.p, next.rng);
          i += 2;
          continue;
        }
        // Max-pool with dropout off (evaluation, precise BatchNorm statistics) or absent.
        const pool = next instanceof Dropout && !(next.training && next.p > 0) ? next2 : next;
        if (pool instanceof MaxPool2d && bnPoolFuses(bn)) {
          y = bnReluMaxPool2d(y, bn);
          i += pool === next ? 1 : 2;
          continue;
        }
      }
      if (m instanceof Dropout && next instanceof MaxPool2d) {
        y = dropoutMaxPool2d(y, m.p, m.training, m.rng);
        i++;
        continue;
      }
      y = m.forward(y);
    }
    return y;
  }
}
