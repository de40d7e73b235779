// The layers of the architecture format (models/spec.ts) as plain classes: the constructor makes
// named parameters, forward is one op call. Defaults and initialisation follow PyTorch. Layers that
// run faster together are combined by the fusion pass (fuse.ts), never here.
import type { UnpaddedConv } from '../kernels/conv.js';
import { dropout, relu } from '../ops/activation.js';
import { conv2d } from '../ops/conv.js';
import type { BatchNormArgs } from '../ops/fused.js';
import { linear } from '../ops/linear.js';
import { logSoftmax } from '../ops/loss.js';
import { batchNorm2d } from '../ops/norm.js';
import { avgPool2d, flatten, globalAvgPool, maxPool2d } from '../ops/pool.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';
import { buffer, Module, parameter, uniformInit } from './module.js';

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  /**
   * How this conv computes when it is an unpadded 3×3 one (UnpaddedConv): the model's numerics, set
   * for every conv of a model by setUnpaddedConv (makeTrainer from the recipe, loading from the file).
   */
  unpadded: UnpaddedConv = 'winograd';
  constructor(readonly inC: number, readonly outC: number, readonly k: number, readonly pad: number, rng: Rng,
    readonly stride = 1, bias = true) {
    super();
    const fanIn = inC * k * k;
    this.weight = parameter([outC, inC, k, k], uniformInit(rng, fanIn));
    this.params.push(['weight', this.weight]);
    this.bias = bias ? parameter([outC], uniformInit(rng, fanIn)) : null;
    if (this.bias) this.params.push(['bias', this.bias]);
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.pad, this.stride, this.unpadded);
  }
  override summaryName(): string {
    return 'Conv2d';
  }
}

/** BatchNorm2d (eps 1e-5, momentum 0.1). */
export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  eps = 1e-5;
  momentum = 0.1;
  constructor(readonly channels: number) {
    super();
    this.weight = parameter([channels], () => 1);
    this.bias = parameter([channels], () => 0);
    this.runningMean = buffer([channels], 0);
    this.runningVar = buffer([channels], 1);
    this.params.push(['weight', this.weight], ['bias', this.bias]);
    this.buffers.push(['running_mean', this.runningMean], ['running_var', this.runningVar]);
  }
  forward(x: Tensor): Tensor {
    const a = this.args();
    return batchNorm2d(x, a.gamma, a.beta, a.runningMean, a.runningVar, a.options);
  }
  /** Its tensors and options, with a ReLU applied in the same pass or not (fuse.ts, ops/fused.ts). */
  args(relu = false): BatchNormArgs {
    return {
      gamma: this.weight, beta: this.bias, runningMean: this.runningMean, runningVar: this.runningVar,
      options: { training: this.training, momentum: this.momentum, eps: this.eps, relu },
    };
  }
  override summaryName(): string {
    return 'BatchNorm2d';
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Dropout extends Module {
  constructor(readonly p: number, readonly rng: Rng) {
    super();
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.rng);
  }
  override summaryName(): string {
    return 'Dropout';
  }
}

/** k×k max pooling with stride s (floor mode, no padding). */
export class MaxPool2d extends Module {
  constructor(readonly k = 2, readonly stride = k) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.k, this.stride);
  }
  override summaryName(): string {
    return 'MaxPool2d';
  }
}

/** k×k average pooling with stride s (floor mode, no padding). */
export class AvgPool2d extends Module {
  constructor(readonly k: number, readonly stride = k) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.k, this.stride);
  }
  override summaryName(): string {
    return 'AvgPool2d';
  }
}

/** Global average pooling: (N,C,H,W) → (N,C,1,1). Listed as torchsummary lists nn.AvgPool2d. */
export class GlobalAvgPool extends Module {
  forward(x: Tensor): Tensor {
    return globalAvgPool(x);
  }
  override summaryName(): string {
    return 'AvgPool2d';
  }
}

/** (N, ...) → (N, rest): functional in PyTorch (x.flatten(1)), so not listed in the summary. */
export class Flatten extends Module {
  forward(x: Tensor): Tensor {
    return flatten(x);
  }
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inF: number, readonly outF: number, rng: Rng, bias = true) {
    super();
    this.weight = parameter([outF, inF], uniformInit(rng, inF));
    this.params.push(['weight', this.weight]);
    this.bias = bias ? parameter([outF], uniformInit(rng, inF)) : null;
    if (this.bias) this.params.push(['bias', this.bias]);
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
  override summaryName(): string {
    return 'Linear';
  }
}

export class LogSoftmax extends Module {
  forward(x: Tensor): Tensor {
    return logSoftmax(x);
  }
}

/**
 * How every Conv2d of `model`, at any depth, computes when it is an unpadded 3×3 conv: the model's
 * numerics (UnpaddedConv), which its recipe chose and its model file carries.
 */
export function setUnpaddedConv(model: Module, unpadded: UnpaddedConv): void {
  if (model instanceof Conv2d) model.unpadded = unpadded;
  for (const [, m] of model.modules()) setUnpaddedConv(m, unpadded);
}
