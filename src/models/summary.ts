// A torchsummary-style table: runs one forward pass on a (1,1,28,28) input without gradients and
// lists each layer torchsummary would list (ReLU, flatten and log-softmax are functional in the
// reference net.py, so not listed), with output shape and parameter count. Memory estimates use
// torchsummary's formulas (float32, ×2 for backward). With the spec, a second table gives every
// layer's receptive field and multiply-adds (models/shapes.ts).
import { engine } from '../engine/wasm.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { analyseSpec, type LayerInfo } from './shapes.js';
import { sourceOf, type ArchSpec } from './spec.js';

export interface SummaryRow {
  layer: string;
  shape: number[];
  params: number;
}

export interface Summary {
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  inputMB: number;
  forwardBackwardMB: number;
  paramsMB: number;
  totalMB: number;
  /** Every spec layer (when summarize was given the spec): shapes, receptive field, multiply-adds. */
  layers?: Array<{ name: string; type: string; shape: number[]; params: number; rf: number; jump: number; macs: number }>;
  totalMacs?: number;
}

export function summarize(model: Module, spec?: ArchSpec, inputShape: readonly number[] = [1, 28, 28]): Summary {
  const e = engine();
  const mark = e.arena.mark();
  const rows: SummaryRow[] = [];
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      let x = Tensor.zeros([1, ...inputShape]);
      for (const [, m] of model.modules()) {
        x = m.forward(x);
        const name = m.summaryName();
        if (name === null) continue;
        const params = m.namedParameters().reduce((s, [, t]) => s + t.size, 0);
        rows.push({ layer: `${name}-${rows.length + 1}`, shape: [-1, ...x.shape.slice(1)], params });
      }
    });
  } finally {
    e.arena.release(mark);
    model.train(wasTraining);
  }
  const totalParams = model.parameters().reduce((s, t) => s + t.size, 0);
  const MB = 1024 * 1024;
  const inputMB = (inputShape.reduce((a, b) => a * b, 1) * 4) / MB;
  const outputs = rows.reduce((s, r) => s + r.shape.slice(1).reduce((a, b) => a * b, 1), 0);
  const forwardBackwardMB = (2 * outputs * 4) / MB;
  const paramsMB = (totalParams * 4) / MB;
  const out: Summary = { rows, totalParams, trainableParams: totalParams, inputMB, forwardBackwardMB, paramsMB, totalMB: inputMB + forwardBackwardMB + paramsMB };
  if (spec) {
    const infos: LayerInfo[] = analyseSpec(spec, inputShape, null, sourceOf(spec));
    out.layers = infos.map((i) => ({ name: i.layer.name, type: i.layer.type, shape: i.shape, params: i.params, rf: i.rf, jump: i.jump, macs: i.macs }));
    out.totalMacs = infos.reduce((a, i) => a + i.macs, 0);
  }
  return out;
}

/** Every layer of the spec with its receptive field (pixels of the input one output sees) and multiply-adds per image. */
export function formatLayerTable(s: Summary): string {
  if (!s.layers) return '';
  const n = (v: number) => v.toLocaleString('en-US');
  const row = (a: string, b: string, c: string, d: string, e: string, f: string) =>
    `${a.padEnd(16)} ${b.padEnd(12)} ${c.padStart(14)} ${d.padStart(8)} ${e.padStart(6)} ${f.padStart(12)}`;
  const out = [row('Layer', 'Type', 'Output', 'Params', 'RF', 'Mult-adds'), '-'.repeat(73)];
  for (const l of s.layers) out.push(row(l.name, l.type, `(${l.shape.join(',')})`, n(l.params), String(l.rf), n(l.macs)));
  out.push('-'.repeat(73), `Total: ${n(s.totalParams)} parameters, ${n(s.totalMacs ?? 0)} multiply-adds per image`);
  return out.join('\n');
}

/** The table exactly as torchsummary prints it. */
export function formatSummary(s: Summary): string {
  const line = '-'.repeat(64), dline = '='.repeat(64);
  const n = (v: number) => v.toLocaleString('en-US');
  const row = (a: string, b: string, c: string) => `${a.padStart(20)}  ${b.padStart(25)} ${c.padStart(15)}`; // torchsummary's format
  const out = [line, row('Layer (type)', 'Output Shape', 'Param #'), dline];
  for (const r of s.rows) out.push(row(r.layer, `[${r.shape.join(', ')}]`, n(r.params)));
  out.push(
    dline,
    `Total params: ${n(s.totalParams)}`,
    `Trainable params: ${n(s.trainableParams)}`,
    `Non-trainable params: ${n(s.totalParams - s.trainableParams)}`,
    line,
    `Input size (MB): ${s.inputMB.toFixed(2)}`,
    `Forward/backward pass size (MB): ${s.forwardBackwardMB.toFixed(2)}`,
    `Params size (MB): ${s.paramsMB.toFixed(2)}`,
    `Estimated Total Size (MB): ${s.totalMB.toFixed(2)}`,
    line,
  );
  return out.join('\n');
}
