// Adam (L2 weight decay added to the gradient) and AdamW (decoupled decay), PyTorch's formulas
// with bias correction. `momentum` is β1 so OneCycle can cycle it as PyTorch does.
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer } from './optimizer.js';

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  decoupled?: boolean;
}

export class Adam extends Optimizer {
  readonly kind: string;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;

  constructor(params: Tensor[], o: AdamOptions) {
    super(params, o.lr, o.betas?.[0] ?? 0.9);
    this.beta2 = o.betas?.[1] ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.decoupled = o.decoupled ?? false;
    this.weightDecay = o.weightDecay ?? (this.decoupled ? 0.01 : 0);
    this.kind = this.decoupled ? 'adamw' : 'adam';
  }

  protected update(i: number, p: Float32Array, g: Float32Array): void {
    const { lr, momentum: b1, beta2: b2, eps, weightDecay: wd, decoupled } = this;
    const m = this.slot('exp_avg', i), v = this.slot('exp_avg_sq', i);
    const t = this.step_;
    const stepSize = lr / (1 - b1 ** t);
    const c2 = Math.sqrt(1 - b2 ** t);
    for (let j = 0; j < p.length; j++) {
      let pj = p[j]!;
      let gj = g[j]!;
      if (decoupled) pj *= 1 - lr * wd;
      else gj += wd * pj;
      m[j] = b1 * m[j]! + (1 - b1) * gj;
      v[j] = b2 * v[j]! + (1 - b2) * gj * gj;
      p[j] = pj - (stepSize * m[j]!) / (Math.sqrt(v[j]!) / c2 + eps);
    }
  }
}
