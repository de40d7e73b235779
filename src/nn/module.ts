// Module: named parameters and buffers, train/eval, and a PyTorch-style state dict.
// Parameters and buffers live in the arena's permanent region (allocated before any step mark);
// a parameter's gradient buffer is allocated with it.
import { engine } from '../engine/wasm.js';
import { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';

/** A trainable tensor with a permanent gradient buffer. */
export function parameter(shape: readonly number[], init: (i: number) => number): Tensor {
  const t = Tensor.empty(shape, true);
  const d = t.data();
  for (let i = 0; i < t.size; i++) d[i] = init(i);
  t.gradPtr = engine().arena.alloc(t.size);
  return t;
}

export function buffer(shape: readonly number[], value: number): Tensor {
  const t = Tensor.empty(shape);
  t.data().fill(value);
  return t;
}

/** PyTorch's default for conv/linear: kaiming_uniform(a=√5) weights and bias both U(±1/√fan_in). */
export function uniformInit(rng: Rng, fanIn: number): (i: number) => number {
  const bound = 1 / Math.sqrt(fanIn);
  return () => rng.range(-bound, bound);
}

export abstract class Module {
  training = true;
  /** Own parameters and buffers, in PyTorch's registration order. */
  protected readonly params: Array<[string, Tensor]> = [];
  protected readonly buffers: Array<[string, Tensor]> = [];
  protected readonly children: Array<[string, Module]> = [];

  abstract forward(x: Tensor): Tensor;

  /** The torchsummary layer name (e.g. "Conv2d"), or null for functional steps it does not list. */
  summaryName(): string | null {
    return null;
  }

  namedParameters(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = this.params.map(([n, t]) => [prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  namedBuffers(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = this.buffers.map(([n, t]) => [prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Parameters then buffers per module, like PyTorch's state_dict order. */
  stateDict(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [
      ...this.params.map(([n, t]): [string, Tensor] => [prefix + n, t]),
      ...this.buffers.map(([n, t]): [string, Tensor] => [prefix + n, t]),
    ];
    for (const [n, m] of this.children) out.push(...m.stateDict(`${prefix}${n}.`));
    return out;
  }

  train(mode = true): this {
    this.training = mode;
    for (const [, m] of this.children) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  modules(): Array<[string, Module]> {
    return this.children;
  }
}
