// A torchsummary-style table: runs one forward pass on a (1,1,28,28) input without gradients and
// lists each layer torchsummary would list (functional steps like ReLU are not), with output shape
// and parameter count. Memory estimates use torchsummary's formulas (float32, ×2 for backward).
import { engine } from '../engine/wasm.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';

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
}

export function summarize(model: Module, inputShape: readonly number[] = [1, 28, 28]): Summary {
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
  return { rows, totalParams, trainableParams: totalParams, inputMB, forwardBackwardMB, paramsMB, totalMB: inputMB + forwardBackwardMB + paramsMB };
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
