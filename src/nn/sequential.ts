// Sequential with named children, so state-dict keys are PyTorch's ("conv1.weight"), not indices.
// forward fuses one pattern: Dropout followed by MaxPool2d runs as a single pass with the same
// masks (ops/pool.ts dropoutMaxPool2d); modules called one by one (summary) are unaffected.
import { dropoutMaxPool2d } from '../ops/pool.js';
import type { Tensor } from '../tensor/tensor.js';
import { Dropout, MaxPool2d } from './layers.js';
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
      if (m instanceof Dropout && this.children[i + 1]?.[1] instanceof MaxPool2d) {
        y = dropoutMaxPool2d(y, m.p, m.training, m.rng);
        i++;
        continue;
      }
      y = m.forward(y);
    }
    return y;
  }
}
