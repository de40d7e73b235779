// Model files: safetensors with PyTorch's state-dict names, shapes and layouts (float32), so a
// file written here loads in PyTorch and vice versa. Loading checks every name and shape first and
// copies only when the whole file fits the model: a bad file never leaves a half-loaded model.
import type { Module } from '../nn/module.js';
import { FileFormatError } from '../util/errors.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';

export function encodeModel(model: Module, metadata: Record<string, string> = {}): Uint8Array {
  const tensors: Array<[string, NamedTensor]> = model.stateDict().map(([name, t]) => [name, { shape: [...t.shape], data: t.toArray() }]);
  return encodeSafetensors(tensors, metadata);
}

/** Checks that `tensors` matches the model's state dict exactly, then copies it in. */
export function loadStateDict(model: Module, tensors: Map<string, NamedTensor>, file: string): void {
  const expected = model.stateDict();
  const known = new Set(expected.map(([n]) => n));
  for (const name of tensors.keys()) {
    if (!known.has(name)) throw new FileFormatError(file, `unknown tensor "${name}" (not in the model's state dict)`);
  }
  for (const [name, t] of expected) {
    const got = tensors.get(name);
    if (!got) throw new FileFormatError(file, `missing tensor "${name}" (shape [${t.shape.join(', ')}])`);
    if (got.shape.length !== t.shape.length || got.shape.some((d, i) => d !== t.shape[i])) {
      throw new FileFormatError(file, `tensor "${name}" has shape [${got.shape.join(', ')}], the model expects [${t.shape.join(', ')}]`);
    }
  }
  for (const [name, t] of expected) t.data().set(tensors.get(name)!.data);
}

export function decodeModel(model: Module, bytes: Uint8Array, file: string): Record<string, string> {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  loadStateDict(model, tensors, file);
  return metadata;
}
