// ONNX export: the evaluation-mode network of a Sequential model as an ONNX ModelProto (bytes),
// encoded by protobufjs from the onnx.proto subset in onnx-proto.ts. Walks the model's layers in
// order; the batch dimension is symbolic ("batch"), so one file serves any batch size.
// Environment-agnostic (model in, bytes out): it does not read or write files, and it does not
// export training-mode behaviour (Dropout is the identity, BatchNorm uses running statistics).
import type { Module } from '../nn/module.js';
import { AvgPool2d, BatchNorm2d, Conv2d, Dropout, Flatten, GlobalAvgPool, Linear, LogSoftmax, MaxPool2d, ReLU } from '../nn/layers.js';
import { Sequential } from '../nn/sequential.js';
import type { Tensor } from '../tensor/tensor.js';
import { NumericalError } from '../util/errors.js';
import { ATTR, modelProto, ONNX_FLOAT } from './onnx-proto.js';

export interface OnnxExportOptions {
  /** ai.onnx operator set version (default 13). */
  opset?: number;
  /** Fold each BatchNorm2d into the Conv2d right before it (default false: BatchNormalization nodes). */
  foldBatchNorm?: boolean;
  /** One input image (C,H,W), without the batch dimension (default MNIST's (1,28,28)). */
  inputShape?: readonly number[];
  /** Stored as the model's metadata_props (e.g. the model file's own metadata). */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'output';
export const ONNX_OPSETS = { min: 11, max: 21, default: 13 } as const;

/** The lowest IR version that can carry each opset (onnx/helper.py's VERSION_TABLE). */
function irVersion(opset: number): number {
  return opset >= 21 ? 10 : opset >= 19 ? 9 : opset >= 15 ? 8 : opset >= 12 ? 7 : 6;
}

type Attribute = { name: string; type: number; i?: number; f?: number; ints?: number[] };
const ints = (name: string, v: number[]): Attribute => ({ name, type: ATTR.INTS, ints: v });
const int = (name: string, v: number): Attribute => ({ name, type: ATTR.INT, i: v });
const float = (name: string, v: number): Attribute => ({ name, type: ATTR.FLOAT, f: v });

/** Nodes and initializers in the making, and the current value's name and per-example shape. */
class Graph {
  readonly nodes: object[] = [];
  readonly initializers: object[] = [];
  value = ONNX_INPUT;

  constructor(public shape: number[]) {}

  node(name: string, opType: string, weights: Array<[string, Float32Array, readonly number[]]>, attribute: Attribute[] = []): void {
    for (const [w, data, dims] of weights) this.initializer(w, data, dims);
    this.nodes.push({ name, op_type: opType, input: [this.value, ...weights.map(([w]) => w)], output: [name], attribute });
    this.value = name;
  }

  private initializer(name: string, data: Float32Array, dims: readonly number[]): void {
    const raw = new Uint8Array(4 * data.length); // raw_data is little-endian whatever the host
    const view = new DataView(raw.buffer);
    data.forEach((v, i) => view.setFloat32(4 * i, v, true));
    this.initializers.push({ name, dims: [...dims], data_type: ONNX_FLOAT, raw_data: raw });
  }
}

/** Initializers named prefix.name, skipping absent ones (a layer without bias). */
const weights = (prefix: string, ...ts: Array<[string, Tensor | null]>): Array<[string, Float32Array, readonly number[]]> =>
  ts.filter((e): e is [string, Tensor] => e[1] !== null).map(([n, t]) => [`${prefix}.${n}`, t.toArray(), t.shape]);

/** Output size of a window k, stride s, padding p over d (floor, as PyTorch and ONNX's default). */
const outSize = (d: number, k: number, s: number, p: number) => Math.floor((d + 2 * p - k) / s) + 1;

/** The leaf layers of a Sequential (nested ones flattened) with their state-dict paths. */
function leaves(m: Module, path: string): Array<[string, Module]> {
  if (m instanceof Sequential) return m.modules().flatMap(([n, c]) => leaves(c, path ? `${path}.${n}` : n));
  if (m.modules().length > 0) throw new Error(`exportOnnx: "${path}" (${m.constructor.name}) has sublayers but is not a Sequential`);
  return [[path || m.constructor.name, m]];
}

function expectShape(layer: string, what: string, shape: number[], ok: boolean): void {
  if (!ok) throw new Error(`exportOnnx: layer "${layer}" expects ${what}, got per-example shape (${shape.join(',')})`);
}

/** Conv2d, optionally with the following BatchNorm2d folded in: w' = w·s, b' = (b - mean)·s + β, s = γ/√(var+ε). */
function conv(g: Graph, name: string, c: Conv2d, bn?: BatchNorm2d): void {
  const [C, H, W] = g.shape as [number, number, number];
  expectShape(name, `(${c.inC},H,W) with H,W ≥ ${c.k - 2 * c.pad}`, g.shape, g.shape.length === 3 && C === c.inC && H + 2 * c.pad >= c.k && W + 2 * c.pad >= c.k);
  const attrs = [ints('kernel_shape', [c.k, c.k]), ints('pads', [c.pad, c.pad, c.pad, c.pad]), ints('strides', [c.stride, c.stride])];
  if (bn) {
    const w = c.weight.toArray(), b = c.bias?.toArray() ?? new Float32Array(c.outC);
    const gamma = bn.weight.data(), beta = bn.bias.data(), mean = bn.runningMean.data(), variance = bn.runningVar.data();
    const per = w.length / c.outC; // inC·k·k weights per output channel
    for (let o = 0; o < c.outC; o++) {
      const s = gamma[o]! / Math.sqrt(variance[o]! + bn.eps); // float64, rounded once when stored
      for (let i = o * per; i < (o + 1) * per; i++) w[i] = w[i]! * s;
      b[o] = (b[o]! - mean[o]!) * s + beta[o]!;
    }
    // float32 rounding of w·s can overflow where neither factor does.
    if (!w.every(Number.isFinite) || !b.every(Number.isFinite)) {
      throw new NumericalError(`${name}: folding the BatchNorm after it overflows float32 (weight × γ/√(var+ε) is ±Infinity); export without --fold-bn`);
    }
    g.node(name, 'Conv', [[`${name}.folded_weight`, w, c.weight.shape], [`${name}.folded_bias`, b, [c.outC]]], attrs);
  } else {
    g.node(name, 'Conv', weights(name, ['weight', c.weight], ['bias', c.bias]), attrs);
  }
  g.shape = [c.outC, outSize(H, c.k, c.stride, c.pad), outSize(W, c.k, c.stride, c.pad)];
}

function batchNorm(g: Graph, name: string, bn: BatchNorm2d): void {
  expectShape(name, `${bn.channels} channels`, g.shape, g.shape.length === 3 && g.shape[0] === bn.channels);
  g.node(name, 'BatchNormalization', weights(name, ['weight', bn.weight], ['bias', bn.bias], ['running_mean', bn.runningMean], ['running_var', bn.runningVar]), [float('epsilon', bn.eps)]);
}

/** Appends the nodes of one layer; returns how many layers it consumed (2 when a BatchNorm was folded). */
function emit(g: Graph, layers: Array<[string, Module]>, at: number, fold: boolean): number {
  const [name, m] = layers[at]!;
  const next = layers[at + 1]?.[1];
  if (m instanceof Conv2d) {
    const bn = fold && next instanceof BatchNorm2d && next.channels === m.outC ? next : undefined;
    conv(g, name, m, bn);
    return bn ? 2 : 1;
  }
  if (m instanceof BatchNorm2d) {
    batchNorm(g, name, m);
  } else if (m instanceof Dropout) {
    // identity in evaluation mode: no node
  } else if (m instanceof ReLU) {
    g.node(name, 'Relu', []);
  } else if (m instanceof MaxPool2d || m instanceof AvgPool2d) {
    const k = m.k, st = m.stride;
    expectShape(name, `(C,H,W) with H,W ≥ ${k}`, g.shape, g.shape.length === 3 && g.shape[1]! >= k && g.shape[2]! >= k);
    g.node(name, m instanceof MaxPool2d ? 'MaxPool' : 'AveragePool', [], [ints('kernel_shape', [k, k]), ints('strides', [st, st])]);
    g.shape = [g.shape[0]!, outSize(g.shape[1]!, k, st, 0), outSize(g.shape[2]!, k, st, 0)];
  } else if (m instanceof GlobalAvgPool) {
    expectShape(name, '(C,H,W)', g.shape, g.shape.length === 3);
    g.node(name, 'GlobalAveragePool', []);
    g.shape = [g.shape[0]!, 1, 1];
  } else if (m instanceof Flatten) {
    g.node(name, 'Flatten', [], [int('axis', 1)]);
    g.shape = [g.shape.reduce((a, b) => a * b, 1)];
  } else if (m instanceof Linear) {
    expectShape(name, `(${m.inF}) features (Flatten first)`, g.shape, g.shape.length === 1 && g.shape[0] === m.inF);
    g.node(name, 'Gemm', weights(name, ['weight', m.weight], ['bias', m.bias]), [int('transB', 1)]);
    g.shape = [m.outF];
  } else if (m instanceof LogSoftmax) {
    expectShape(name, '(K) features', g.shape, g.shape.length === 1);
    g.node(name, 'LogSoftmax', [], [int('axis', 1)]);
  } else {
    throw new Error(`exportOnnx: layer "${name}" (${m.constructor.name}) has no ONNX equivalent`);
  }
  return 1;
}

function valueInfo(name: string, shape: number[]): object {
  const dim = [{ dim_param: 'batch' }, ...shape.map((d) => ({ dim_value: d }))];
  return { name, type: { tensor_type: { elem_type: ONNX_FLOAT, shape: { dim } } } };
}

/** The ONNX file (bytes) of `model` in evaluation mode: input "input" (batch,C,H,W), output "output". */
export function exportOnnx(model: Module, opts: OnnxExportOptions = {}): Uint8Array {
  const opset = opts.opset ?? ONNX_OPSETS.default;
  if (!Number.isInteger(opset) || opset < ONNX_OPSETS.min || opset > ONNX_OPSETS.max) {
    throw new RangeError(`exportOnnx: opset must be a whole number in ${ONNX_OPSETS.min}..${ONNX_OPSETS.max}, got ${opset}`);
  }
  const inputShape = [...(opts.inputShape ?? [1, 28, 28])];
  const g = new Graph(inputShape);
  const layers = leaves(model, '');
  for (let at = 0; at < layers.length; ) at += emit(g, layers, at, opts.foldBatchNorm ?? false);
  const last = g.nodes[g.nodes.length - 1] as { output: string[] } | undefined;
  if (!last) throw new Error('exportOnnx: the model has no layer that computes anything');
  last.output = [ONNX_OUTPUT];
  const T = modelProto();
  return T.encode(T.fromObject({
    ir_version: irVersion(opset),
    opset_import: [{ domain: '', version: opset }],
    producer_name: 'tiny-mnist',
    producer_version: opts.producerVersion ?? '',
    graph: {
      name: 'tiny-mnist',
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(ONNX_INPUT, inputShape)],
      output: [valueInfo(ONNX_OUTPUT, g.shape)],
    },
    metadata_props: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  })).finish();
}
