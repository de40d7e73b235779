// Sequential with named children, so state-dict keys are PyTorch's ("conv1.weight"), not indices.
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

export class Sequential extends Module {
  constructor(layers: Array<[string, Module]>) {
    super();
    this.children.push(...layers);
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const [, m] of this.children) y = m.forward(y);
    return y;
  }
}
