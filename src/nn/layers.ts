// The layers of the reference network as plain classes: the constructor makes named parameters,
// forward is one op call. Defaults and initialisation follow PyTorch.
import { dropout, relu } from '../ops/activation.js';
import { conv2d } from '../ops/conv.js';
import type { BatchNormArgs } from '../ops/fused.js';
import { linear } from '../ops/linear.js';
import { logSoftmax } from '../ops/loss.js';
import { batchNorm2d } from '../ops/norm.js';
import { flatten, globalAvgPool, maxPool2d } from '../ops/pool.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';
import { buffer, Module, parameter, uniformInit } from './module.js';

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(readonly inC: number, readonly outC: number, readonly k: number, readonly pad: number, rng: Rng) {
    super();
    const fanIn = inC * k * k;
    this.weight = parameter([outC, inC, k, k], uniformInit(rng, fanIn));
    this.bias = parameter([outC], uniformInit(rng, fanIn));
    this.params.push(['weight', this.weight], ['bias', this.bias]);
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.pad);
  }
  override summaryName(): string {
    return 'Conv2d';
  }
}

/** BatchNorm2d (eps 1e-5, momentum 0.1); `fuseRelu` applies the following ReLU in the same pass. */
export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  eps = 1e-5;
  momentum = 0.1;
  constructor(readonly channels: number, readonly fuseRelu = false) {
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
  /** Its tensors and options, for the ops that apply it inside the next layer (ops/fused.ts). */
  args(): BatchNormArgs {
    return {
      gamma: this.weight, beta: this.bias, runningMean: this.runningMean, runningVar: this.runningVar,
      options: { training: this.training, momentum: this.momentum, eps: this.eps, relu: this.fuseRelu },
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

export class MaxPool2d extends Module {
  forward(x: Tensor): Tensor {
    return maxPool2d(x);
  }
  override summaryName(): string {
    return 'MaxPool2d';
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
  readonly bias: Tensor;
  constructor(readonly inF: number, readonly outF: number, rng: Rng) {
    super();
    this.weight = parameter([outF, inF], uniformInit(rng, inF));
    this.bias = parameter([outF], uniformInit(rng, inF));
    this.params.push(['weight', this.weight], ['bias', this.bias]);
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
