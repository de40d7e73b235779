// Sequential with named children, so state-dict keys are PyTorch's ("conv1.weight"), not indices.
// forward is a plain loop; layers that run faster together are combined by the fusion pass
// (fuse.ts), which makes a FusedSequential over the same layers.
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

export class Sequential extends Module {
  constructor(layers: ReadonlyArray<readonly [string, Module]>) {
    super();
    for (const [n, m] of layers) this.children.push([n, m]);
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const [, m] of this.children) y = m.forward(y);
    return y;
  }
}
