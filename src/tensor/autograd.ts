// Reverse-mode autograd in one file: ops record a Node on their output; backward() walks the graph
// in reverse topological order and each node adds into its inputs' gradients (micrograd's shape).
// A gradient's first write overwrites (no zeroing pass), later writes accumulate.
import { engine } from '../engine/wasm.js';
import { setBackwardHook, Tensor } from './tensor.js';

export interface Node {
  inputs: Tensor[];
  /** Reads out.gradPtr, writes into inputs' gradients through gradInto. */
  backward: () => void;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with recording off (evaluation). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** True if an op over these inputs must be recorded. */
export function needsGrad(...inputs: Array<Tensor | null | undefined>): boolean {
  return gradEnabled && inputs.some((t) => t?.requiresGrad === true);
}

export function record(out: Tensor, inputs: Tensor[], backward: () => void): void {
  out.requiresGrad = true;
  out.node = { inputs, backward };
}

/**
 * Adds a gradient into t: `write(ptr)` must fill t.size floats at ptr. The first write of a step
 * goes straight into t's buffer; later ones go to scratch and are added.
 */
export function gradInto(t: Tensor, write: (ptr: number) => void): void {
  if (!t.requiresGrad) return;
  const e = engine();
  if (!t.hasGrad) {
    reserveGrads(t);
    write(t.gradPtr);
    t.hasGrad = true;
    return;
  }
  const mark = e.arena.mark();
  const tmp = e.arena.alloc(t.size);
  write(tmp);
  e.k.add_into!(t.gradPtr, tmp, 0, t.size);
  e.arena.release(mark);
}

/**
 * Gives each of these tensors that requires grad its gradient buffer now, if it has none. A backward
 * closure calls it before taking an arena mark for its scratch: the gradients it then writes lie
 * below the mark, so it can release its scratch when done instead of leaving it until the step ends.
 */
export function reserveGrads(...ts: Array<Tensor | null>): void {
  const e = engine();
  for (const t of ts) if (t?.requiresGrad && t.gradPtr === 0) t.gradPtr = e.arena.alloc(t.size);
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i]!;
      if (!seen.has(child) && child.requiresGrad) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Back-propagates from root: every tensor that requires grad gets its gradient. A non-scalar root
 * needs the upstream gradient (like PyTorch's tensor.backward(gradient)).
 */
export function backward(root: Tensor, gradient?: ArrayLike<number>): void {
  if (!gradient && root.size !== 1) throw new Error(`backward: root must be a scalar or given a gradient, got shape [${root.shape}]`);
  if (gradient && gradient.length !== root.size) throw new Error(`backward: gradient has ${gradient.length} values for shape [${root.shape}]`);
  if (!root.requiresGrad) throw new Error('backward: root does not require grad');
  gradInto(root, (ptr) => {
    const g = engine().floats(ptr, root.size);
    if (gradient) g.set(gradient);
    else g.fill(1);
  });
  const order = topoOrder(root);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    if (t.node && t.hasGrad) t.node.backward();
  }
  // The graph holds arena offsets that die at the next release: drop it.
  for (const t of order) t.node = null;
}

setBackwardHook(backward);
