// Model files: safetensors with PyTorch's state-dict names, shapes and layouts (float32), so a
// file written here loads in PyTorch and vice versa. Loading checks every name and shape first and
// copies only when the whole file fits the model: a bad file never leaves a half-loaded model.
// The file also carries the model's architecture (metadata "spec": the normalised spec as JSON), so
// every command and the page can load any model without being told its architecture.
import type { UnpaddedConv } from '../kernels/conv.js';
import { parseArchJson, zooSpec, ZOO, type ArchSpec } from '../models/index.js';
import type { Module } from '../nn/module.js';
import { FileFormatError } from '../util/errors.js';
import { decodeSafetensors, encodeSafetensors, type IntTensor, type NamedTensor, type SafetensorsFile } from './safetensors.js';

/**
 * The model's state dict as safetensors; `spec` (when given) goes into the metadata as "arch" (its
 * name) and "spec". `batchesTracked`: also write PyTorch's I64 `num_batches_tracked` beside each
 * BatchNorm's running_var, with this value, as torch's state_dict() has them (off by default: run
 * folders keep the bytes they always had; PyTorch's loader fills a missing counter with 0).
 */
export function encodeModel(model: Module, metadata: Record<string, string> = {}, spec?: ArchSpec, opts: { batchesTracked?: bigint } = {}): Uint8Array {
  const tensors: Array<[string, NamedTensor | IntTensor]> = [];
  for (const [name, t] of model.stateDict()) {
    tensors.push([name, { shape: [...t.shape], data: t.toArray() }]);
    if (opts.batchesTracked !== undefined && name.endsWith('.running_var')) {
      tensors.push([`${name.slice(0, -'running_var'.length)}num_batches_tracked`, { shape: [], data: BigInt64Array.of(opts.batchesTracked) }]);
    }
  }
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

/**
 * How the model's unpadded 3×3 convs computed when it was trained (UnpaddedConv), so that using it
 * computes the same bits: metadata "unpadded_conv" (see unpaddedConvMetadata), else the spec's
 * recipe block, else Winograd.
 */
export function unpaddedConvOfModelFile(metadata: Record<string, string>, spec: ArchSpec, file: string): UnpaddedConv {
  const m = metadata['unpadded_conv'];
  if (m === 'im2col' || m === 'winograd') return m;
  if (m !== undefined) throw new FileFormatError(file, `metadata "unpadded_conv" is "${m}", expected "winograd" or "im2col"`);
  return unpaddedConvOfSpec(spec);
}

/**
 * The metadata a model file of `spec` trained with `unpadded` carries, so that
 * unpaddedConvOfModelFile gives it back: none where the spec's recipe block already says it (so
 * files keep the bytes they always had), else "unpadded_conv" (a `--unpadded-conv` flag either way).
 */
export function unpaddedConvMetadata(unpadded: UnpaddedConv, spec: ArchSpec): Record<string, string> {
  return unpadded === unpaddedConvOfSpec(spec) ? {} : { unpadded_conv: unpadded };
}

function unpaddedConvOfSpec(spec: ArchSpec): UnpaddedConv {
  return spec.recipe?.['unpadded-conv'] === 'im2col' ? 'im2col' : 'winograd';
}

/** Checks that `tensors` matches the model's state dict exactly, then copies it in. */
export function loadStateDict(model: Module, tensors: Map<string, NamedTensor>, file: string): void {
  const expected = model.stateDict();
  const known = new Set(expected.map(([n]) => n));
  for (const name of tensors.keys()) {
    if (!known.has(name)) throw new FileFormatError(file, `unknown tensor "${name}" (not in the model's state dict)${nameHint(name, known)}`);
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
  const decoded = decodeSafetensors(bytes, file);
  loadDecoded(model, decoded, file);
  return decoded.metadata;
}

/** decodeModel for a file already decoded (to read its spec first): the checks, then the copy. */
export function loadDecoded(model: Module, decoded: SafetensorsFile, file: string): void {
  const { tensors, ints, metadata } = decoded;
  if (metadata['tiny_mnist_checkpoint'] !== undefined) {
    throw new FileFormatError(file, 'is a training checkpoint, not a model file; use model.safetensors from the same run folder');
  }
  checkModelValues(tensors, ints, file);
  loadStateDict(model, tensors, file);
}

/** Why a tensor name may not match: a DataParallel/DDP prefix, or a checkpoint's "model." one. */
function nameHint(name: string, known: Set<string>): string {
  for (const prefix of ['module.', 'model.']) {
    if (name.startsWith(prefix) && known.has(name.slice(prefix.length))) {
      return `; the names carry a "${prefix}" prefix${prefix === 'module.' ? ' (saved from DataParallel/DistributedDataParallel)' : ''}: save net.state_dict() without it, e.g. {k.removeprefix("${prefix}"): v for k, v in sd.items()}`;
    }
  }
  return '';
}

/**
 * Values no trained model has: a negative BatchNorm running_var (its square root is NaN). Non-finite
 * values are refused by the decoder. I64 tensors are accepted only as BatchNorm's num_batches_tracked,
 * which evaluation never reads, and are ignored.
 */
export function checkModelValues(tensors: Map<string, NamedTensor>, ints: Map<string, IntTensor>, file: string): void {
  for (const [name, t] of tensors) {
    if (!name.endsWith('running_var')) continue;
    const i = t.data.findIndex((v) => v < 0);
    if (i >= 0) throw new FileFormatError(file, `tensor "${name}" has a negative variance (${t.data[i]}) at index ${i}`);
  }
  for (const name of ints.keys()) {
    if (!name.endsWith('num_batches_tracked')) throw new FileFormatError(file, `tensor "${name}" has dtype I64, only F32 is supported`);
  }
}
