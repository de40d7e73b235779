// Optimiser base: a list of parameters, a learning rate and momentum the schedule can set, per-
// parameter state as plain Float32Arrays (16,626 values in all: TypeScript loops are fast enough),
// and state save/restore for checkpoints. zeroGrad costs nothing: the next backward overwrites.
import type { Tensor } from '../tensor/tensor.js';

export interface OptimizerState {
  kind: string;
  step: number;
  lr: number;
  momentum: number;
  slots: Record<string, Float32Array[]>;
}

export abstract class Optimizer {
  step_ = 0;
  protected slots: Record<string, Float32Array[]> = {};

  constructor(readonly params: Tensor[], public lr: number, public momentum: number) {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`optimizer: learning rate must be a finite number ≥ 0, got ${lr}`);
  }

  abstract readonly kind: string;

  /** One update from the gradients of the last backward. Parameters without a gradient are skipped. */
  step(): void {
    this.step_++;
    this.params.forEach((p, i) => {
      const g = p.grad();
      if (g) this.update(i, p.data(), g);
    });
  }

  protected abstract update(i: number, p: Float32Array, g: Float32Array): void;

  protected slot(name: string, i: number): Float32Array {
    const list = (this.slots[name] ??= []);
    return (list[i] ??= new Float32Array(this.params[i]!.size));
  }

  zeroGrad(): void {
    for (const p of this.params) p.hasGrad = false;
  }

  state(): OptimizerState {
    return { kind: this.kind, step: this.step_, lr: this.lr, momentum: this.momentum, slots: this.slots };
  }

  loadState(s: OptimizerState): void {
    if (s.kind !== this.kind) throw new Error(`optimizer: checkpoint is for ${s.kind}, this run uses ${this.kind}`);
    this.step_ = s.step;
    this.lr = s.lr;
    this.momentum = s.momentum;
    this.slots = s.slots;
  }
}
