// Input checks shared by the ops: named errors with the offending value, thrown at the door.
import type { Tensor } from '../tensor/tensor.js';

export function checkRank(op: string, name: string, t: Tensor, rank: number): void {
  if (t.shape.length !== rank) throw new Error(`${op}: ${name} must be rank ${rank}, got rank ${t.shape.length} [${t.shape}]`);
}

export function checkShape(op: string, name: string, t: Tensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: ${name} must have shape [${shape}], got [${t.shape}]`);
  }
}
