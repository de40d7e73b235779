// SGD with PyTorch's semantics: weight decay added to the gradient, momentum buffer initialised to
// the first gradient, optional Nesterov, no dampening.
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer } from './optimizer.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class SGD extends Optimizer {
  readonly kind = 'sgd';
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(params: Tensor[], o: SgdOptions) {
    super(params, o.lr, o.momentum ?? 0);
    this.nesterov = o.nesterov ?? false;
    this.weightDecay = o.weightDecay ?? 0;
  }

  protected update(i: number, p: Float32Array, g: Float32Array): void {
    const { lr, momentum: mu, weightDecay: wd, nesterov } = this;
    const first = !this.slots.momentum?.[i];
    const buf = mu !== 0 ? this.slot('momentum', i) : null;
    for (let j = 0; j < p.length; j++) {
      let d = g[j]! + wd * p[j]!;
      if (buf) {
        buf[j] = first ? d : mu * buf[j]! + d;
        d = nesterov ? d + mu * buf[j]! : buf[j]!;
      }
      p[j] = p[j]! - lr * d;
    }
  }
}
