// Model files: safetensors with PyTorch's state-dict names, shapes and layouts (float32), so a
// file written here loads in PyTorch and vice versa. Loading checks every name and shape first and
// copies only when the whole file fits the model: a bad file never leaves a half-loaded model.
// The file also carries the model's architecture (metadata "spec": the normalised spec as JSON), so
// every command and the page can load any model without being told its architecture.
import { parseArchJson, zooSpec, ZOO, type ArchSpec } from '../models/index.js';
import type { Module } from '../nn/module.js';
import { FileFormatError } from '../util/errors.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';

/** The model's state dict as safetensors; `spec` (when given) goes into the metadata as "arch" (its name) and "spec". */
export function encodeModel(model: Module, metadata: Record<string, string> = {}, spec?: ArchSpec): Uint8Array {
  const tensors: Array<[string, NamedTensor]> = model.stateDict().map(([name, t]) => [name, { shape: [...t.shape], data: t.toArray() }]);
  return encodeSafetensors(tensors, spec ? { ...metadata, arch: spec.name, spec: JSON.stringify(spec) } : metadata);
}

/**
 * The architecture a model file was saved with: its "spec" metadata; for files without one (saved
 * before specs were stored, or by PyTorch from net.py), the zoo entry its "arch" names, else the
 * reference net seed16k.
 */
export function specOfModelFile(metadata: Record<string, string>, file: string): ArchSpec {
  if (metadata.spec !== undefined) return parseArchJson(metadata.spec, `${file} (metadata "spec")`);
  const arch = metadata.arch;
  if (arch !== undefined && !(arch in ZOO)) throw new FileFormatError(file, `has no "spec" metadata and its arch "${arch}" is not in the zoo (${Object.keys(ZOO).join(', ')})`);
  return zooSpec(arch ?? 'seed16k');
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
