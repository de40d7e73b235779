// A Tensor is a shape and a byte offset into the engine's wasm memory (float32, contiguous, NCHW).
// It owns no JS array: `data()` is a view that is valid until memory next grows.
// Not here: broadcasting, strides, dtypes — the network needs none of them.
import { engine } from '../engine/wasm.js';
import type { Node } from './autograd.js';

export class Tensor {
  readonly size: number;
  /** Byte offset of the gradient buffer, 0 until one is needed (parameters get one up front). */
  gradPtr = 0;
  /** Whether gradPtr holds this step's gradient (false after zeroGrad: the next write overwrites). */
  hasGrad = false;
  /** The op that made this tensor, for backward; null for leaves. */
  node: Node | null = null;

  constructor(readonly ptr: number, readonly shape: readonly number[], public requiresGrad = false) {
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  /** A new tensor in the current arena region (freed at the next release). Contents undefined. */
  static empty(shape: readonly number[], requiresGrad = false): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    return new Tensor(engine().arena.alloc(size), shape, requiresGrad);
  }

  static from(values: ArrayLike<number>, shape: readonly number[], requiresGrad = false): Tensor {
    const t = Tensor.empty(shape, requiresGrad);
    if (values.length !== t.size) throw new Error(`Tensor.from: ${values.length} values for shape [${shape}]`);
    t.data().set(values);
    return t;
  }

  static zeros(shape: readonly number[], requiresGrad = false): Tensor {
    const t = Tensor.empty(shape, requiresGrad);
    t.data().fill(0);
    return t;
  }

  data(): Float32Array {
    return engine().floats(this.ptr, this.size);
  }

  /** This step's gradient, or null if none has been written. */
  grad(): Float32Array | null {
    return this.hasGrad ? engine().floats(this.gradPtr, this.size) : null;
  }

  /** A copy that survives arena release and memory growth. */
  toArray(): Float32Array {
    return this.data().slice();
  }

  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor has ${this.size} elements, expected 1`);
    return this.data()[0]!;
  }

  backward(gradient?: ArrayLike<number>): void {
    backwardHook(this, gradient);
  }
}

// Set by autograd.ts (which imports this file) to avoid an import cycle at module load.
let backwardHook: (t: Tensor, gradient?: ArrayLike<number>) => void = () => {
  throw new Error('autograd not loaded');
};
export function setBackwardHook(fn: (t: Tensor, gradient?: ArrayLike<number>) => void): void {
  backwardHook = fn;
}
