// The fusion pass: rewrites a Sequential into named fused layers that compute the same bits with
// fewer passes over memory (test/nn/fuse.test.ts holds every rule to the unfused layers). Every
// rule is here, tried in this order at each position:
//   BatchNorm2d → ReLU → Conv2d          bnReluConv2d when the conv takes Winograd F(4×4) or im2col:
//                                         the conv's kernels apply the BatchNorm on the way in
//                                         (ops/fused.ts); a 1×1 conv runs the layers one by one
//   BatchNorm2d → ReLU → Dropout → MaxPool2d(2)   one pooling pass applies BatchNorm, ReLU and the
//                                         dropout masks (max-pool alone when dropout is off)
//   BatchNorm2d → ReLU → MaxPool2d(2)    the same without dropout
//   BatchNorm2d → ReLU                    one BatchNorm pass with the ReLU applied
//   Dropout → MaxPool2d(2)                one pass, the same masks dropout() would draw
// A fused layer checks at run time whether its fast op applies (shape, training mode, algorithm)
// and otherwise runs its layers one by one. The fused model shares the original's layers and
// parameters: its state dict, summary rows and ONNX graph are the original's.
import { convShapeOf } from '../ops/conv.js';
import { bnConvFuses, bnPoolFuses, bnReluConv2d, bnReluDropoutMaxPool2d, bnReluMaxPool2d } from '../ops/fused.js';
import { batchNorm2d } from '../ops/norm.js';
import { dropoutMaxPool2d } from '../ops/pool.js';
import type { Tensor } from '../tensor/tensor.js';
import { BatchNorm2d, Conv2d, Dropout, MaxPool2d, ReLU } from './layers.js';
import { Module } from './module.js';
import { Sequential } from './sequential.js';

/** A Sequential whose forward runs `plan`, the fused layers; everything else sees the original layers. */
export class FusedSequential extends Sequential {
  constructor(readonly source: Sequential, readonly plan: ReadonlyArray<readonly [string, Module]>) {
    super(source.modules());
  }
  override forward(x: Tensor): Tensor {
    let y = x;
    for (const [, m] of this.plan) y = m.forward(y);
    return y;
  }
}

/** The fused version of `model` (a FusedSequential is re-fused from its source). */
export function fuse(model: Sequential): FusedSequential {
  const src = model instanceof FusedSequential ? model.source : model;
  const layers = src.modules();
  const plan: Array<[string, Module]> = [];
  for (let i = 0; i < layers.length;) {
    const [fused, used] = fuseAt(layers, i);
    plan.push([layers.slice(i, i + used).map(([n]) => n).join('+'), fused]);
    i += used;
  }
  return new FusedSequential(src, plan);
}

const isPool2 = (m: Module | undefined): m is MaxPool2d => m instanceof MaxPool2d && m.k === 2 && m.stride === 2;

/** The fused layer starting at layers[i] and how many layers it covers. */
function fuseAt(layers: ReadonlyArray<readonly [string, Module]>, i: number): [Module, number] {
  const at = (k: number) => layers[i + k]?.[1];
  const m = at(0);
  if (m instanceof BatchNorm2d && at(1) instanceof ReLU) {
    const next = at(2);
    if (next instanceof Conv2d) return [new BnReluConv(m, next), 3];
    if (next instanceof Dropout && isPool2(at(3))) return [new BnReluPool(m, next, at(3) as MaxPool2d), 4];
    if (isPool2(next)) return [new BnReluPool(m, null, next), 3];
    return [new BnRelu(m), 2];
  }
  if (m instanceof Dropout && isPool2(at(1))) return [new DropoutPool(m, at(1) as MaxPool2d), 2];
  return [m!, 1];
}

/** BatchNorm2d then ReLU in one batchNorm2d pass. */
export class BnRelu extends Module {
  constructor(readonly bn: BatchNorm2d) {
    super();
  }
  forward(x: Tensor): Tensor {
    const a = this.bn.args(true);
    return batchNorm2d(x, a.gamma, a.beta, a.runningMean, a.runningVar, a.options);
  }
  /** Whether x is what this BatchNorm takes (else the unfused path, whose checks name the problem). */
  fits(x: Tensor): boolean {
    return x.shape.length === 4 && x.shape[1] === this.bn.channels;
  }
}

/** BatchNorm2d → ReLU → Conv2d. */
export class BnReluConv extends BnRelu {
  constructor(bn: BatchNorm2d, readonly conv: Conv2d) {
    super(bn);
  }
  override forward(x: Tensor): Tensor {
    const a = this.bn.args(true), c = this.conv;
    if (this.fits(x) && bnConvFuses(a, convShapeOf(x, c.weight, c.bias, c.pad, c.stride), c.unpadded)) {
      return bnReluConv2d(x, a, c.weight, c.bias, c.pad, c.stride, c.unpadded);
    }
    return c.forward(super.forward(x));
  }
}

/** BatchNorm2d → ReLU → [Dropout] → MaxPool2d(2). */
export class BnReluPool extends BnRelu {
  constructor(bn: BatchNorm2d, readonly drop: Dropout | null, readonly pool: MaxPool2d) {
    super(bn);
  }
  override forward(x: Tensor): Tensor {
    const a = this.bn.args(true), d = this.drop;
    const dropping = d !== null && d.training && d.p > 0;
    if (this.fits(x) && dropping && a.options.training) return bnReluDropoutMaxPool2d(x, a, d.p, d.rng);
    if (this.fits(x) && !dropping && bnPoolFuses(a)) return bnReluMaxPool2d(x, a);
    const y = super.forward(x);
    return d ? dropoutMaxPool2d(y, d.p, d.training, d.rng) : this.pool.forward(y);
  }
}

/** Dropout → MaxPool2d(2). */
export class DropoutPool extends Module {
  constructor(readonly drop: Dropout, readonly pool: MaxPool2d) {
    super();
  }
  forward(x: Tensor): Tensor {
    return dropoutMaxPool2d(x, this.drop.p, this.drop.training, this.drop.rng);
  }
}
