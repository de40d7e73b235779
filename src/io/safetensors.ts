// safetensors for float32 tensors: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}, __metadata__?}, then raw little-endian data.
// Environment-agnostic (bytes in, bytes out); F32 tensors, plus I64 ones (PyTorch's BatchNorm
// num_batches_tracked counters) kept apart in `ints`. It does not map names to modules
// (io/model-file.ts and train/checkpoint.ts do).

import { FileFormatError } from '../util/errors.js';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** An I64 tensor (e.g. BatchNorm's num_batches_tracked, shape []). */
export interface IntTensor {
  shape: number[];
  data: BigInt64Array;
}

export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>;
  /** The I64 tensors, apart so that no caller takes them for weights by mistake. */
  ints: Map<string, IntTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<string, number> = { F32: 4, I64: 8 };

const METADATA = '__metadata__';

function isShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Encodes tensors in the given order; the header is space-padded so data starts 8-aligned. */
export function encodeSafetensors(
  tensors: Array<[string, NamedTensor | IntTensor]> | Map<string, NamedTensor | IntTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = [...tensors];
  const header: Record<string, unknown> = Object.create(null); // a name like "__proto__" stays a key
  if (metadata !== undefined) header[METADATA] = { ...metadata };
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === METADATA || Object.hasOwn(header, name)) {
      throw new Error(`encodeSafetensors: tensor name "${name}" is reserved or repeated`);
    }
    if (!isShape(t.shape) || numel(t.shape) !== t.data.length) {
      throw new Error(`encodeSafetensors: tensor "${name}" has shape [${t.shape}] but ${t.data.length} values`);
    }
    const bytes = t.data instanceof BigInt64Array ? 8 : 4;
    header[name] = { dtype: bytes === 8 ? 'I64' : 'F32', shape: t.shape, data_offsets: [offset, offset + bytes * t.data.length] };
    offset += bytes * t.data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded, true); // u64 little-endian: low word, high word stays 0
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const [, t] of entries) {
    if (t.data instanceof BigInt64Array) for (let i = 0; i < t.data.length; i++, at += 8) view.setBigInt64(at, t.data[i]!, true);
    else for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i]!, true);
  }
  return out;
}

interface Entry {
  name: string;
  dtype: 'F32' | 'I64';
  shape: number[];
  begin: number;
  end: number;
}

/** Reads the JSON header: returns tensor entries (unchecked against each other) and metadata. */
function readHeader(bytes: Uint8Array, file: string): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (bytes.length < 8) {
    throw new FileFormatError(file, `file has ${bytes.length} bytes, too short for a safetensors header (8-byte length)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
  if (headerLen > bytes.length - 8) {
    throw new FileFormatError(file, `header length ${headerLen} goes beyond the end of the file (${bytes.length} bytes)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw new FileFormatError(file, `header is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError(file, `header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new FileFormatError(file, `header is not a JSON object`);
  }

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new FileFormatError(file, `__metadata__ is not an object of strings`);
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new FileFormatError(file, `__metadata__ "${k}" is a ${typeof v}, expected a string`);
        metadata[k] = v;
      }
      continue;
    }
    const t = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    const dtype = t['dtype'];
    if (dtype !== 'F32' && dtype !== 'I64') {
      throw new FileFormatError(file, `tensor "${name}" has dtype ${JSON.stringify(dtype)}, only F32 is supported (and I64 counters such as num_batches_tracked)`);
    }
    const shape = t['shape'];
    if (!isShape(shape)) {
      throw new FileFormatError(file, `tensor "${name}" has shape ${JSON.stringify(shape)}, expected an array of non-negative integers`);
    }
    const offsets = t['data_offsets'];
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new FileFormatError(file, `tensor "${name}" has data_offsets ${JSON.stringify(offsets)}, expected [begin, end]`);
    }
    entries.push({ name, dtype, shape, begin: offsets[0] as number, end: offsets[1] as number });
  }
  return { entries, metadata, dataStart: 8 + headerLen };
}

/** Checks that offsets fit the shapes and tile the data section without gaps; returns file order. */
function checkLayout(entries: Entry[], dataLen: number, file: string): Entry[] {
  for (const e of entries) {
    if (e.begin > e.end || e.end > dataLen) {
      throw new FileFormatError(file, `tensor "${e.name}" has data_offsets [${e.begin}, ${e.end}] outside the data section of ${dataLen} bytes`);
    }
    const bytes = BYTES[e.dtype]! * numel(e.shape);
    if (e.end - e.begin !== bytes) {
      throw new FileFormatError(
        file,
        `tensor "${e.name}" has shape [${e.shape}] = ${bytes} bytes of ${e.dtype} but data_offsets [${e.begin}, ${e.end}] span ${e.end - e.begin}`,
      );
    }
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let prev: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < covered) {
      throw new FileFormatError(file, `tensors "${prev?.name}" and "${e.name}" overlap at bytes ${e.begin}..${covered}`);
    }
    if (e.begin > covered) {
      throw new FileFormatError(file, `bytes ${covered}..${e.begin} of the data section belong to no tensor`);
    }
    covered = e.end;
    prev = e;
  }
  if (covered !== dataLen) {
    throw new FileFormatError(file, `data section has ${dataLen} bytes but the tensors cover only ${covered}`);
  }
  return sorted;
}

/** Strict decoder: any problem is a FileFormatError naming the file (and the tensor). */
export function decodeSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  const { entries, metadata, dataStart } = readHeader(bytes, file);
  const inFileOrder = checkLayout(entries, bytes.length - dataStart, file);
  // DataView copies into fresh Float32Arrays: the data start need not be 4-aligned.
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, bytes.length - dataStart);
  const tensors = new Map<string, NamedTensor>();
  const ints = new Map<string, IntTensor>();
  for (const e of inFileOrder) {
    if (e.dtype === 'I64') {
      const data = new BigInt64Array((e.end - e.begin) / 8);
      for (let i = 0; i < data.length; i++) data[i] = view.getBigInt64(e.begin + 8 * i, true);
      ints.set(e.name, { shape: [...e.shape], data });
      continue;
    }
    const data = new Float32Array((e.end - e.begin) / 4);
    for (let i = 0; i < data.length; i++) {
      const v = view.getFloat32(e.begin + 4 * i, true);
      if (!Number.isFinite(v)) {
        throw new FileFormatError(file, `tensor "${e.name}" has a non-finite value (${v}) at index ${i}`);
      }
      data[i] = v;
    }
    tensors.set(e.name, { shape: [...e.shape], data });
  }
  return { tensors, ints, metadata };
}
