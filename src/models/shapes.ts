// Walks a spec over an input (C,H,W) without running anything: each layer's output shape, parameter
// count, receptive field and multiply-adds, and the checks that need shapes (a spatial size that
// reaches 0, a linear layer after a 4-D output without flatten, the wrong number of classes).
// This is what people doing the < 18K-parameter exercise compute by hand.
import { FileFormatError } from '../util/errors.js';
import type { ArchSpec, LayerSpec } from './spec.js';

export interface LayerInfo {
  layer: LayerSpec;
  /** Output shape per example: (C,H,W) or (F). */
  shape: number[];
  params: number;
  /** Multiply-adds per example (conv and linear; 0 for the rest). */
  macs: number;
  /** Receptive field in input pixels (side of the square), and the stride between neighbouring outputs. */
  rf: number;
  jump: number;
}

/** Per-layer information; throws a FileFormatError naming `source` and the layer when shapes do not work out. */
export function analyseSpec(spec: ArchSpec, input: readonly number[], classes: number | null, source: string): LayerInfo[] {
  let shape = [...input];
  let rf = 1, jump = 1;
  const out: LayerInfo[] = [];
  spec.layers.forEach((l, i) => {
    const fail = (msg: string): never => {
      throw new FileFormatError(source, `layer ${i} (${l.type}${l.name ? ` "${l.name}"` : ''}): ${msg}`);
    };
    const need4 = () => {
      if (shape.length !== 3) fail(`needs a 4-D input (N,C,H,W), but the previous layer gives (N,${shape.join(',')})`);
      return shape as [number, number, number];
    };
    let params = 0, macs = 0;
    switch (l.type) {
      case 'conv2d': {
        const [C, H, W] = need4();
        const [OH, OW] = [H, W].map((d) => Math.floor((d + 2 * l.padding - l.kernel_size) / l.stride) + 1) as [number, number];
        if (OH < 1 || OW < 1) fail(`a ${l.kernel_size}x${l.kernel_size} kernel (stride ${l.stride}, padding ${l.padding}) on a ${H}x${W} input leaves no output`);
        params = l.out_channels * C * l.kernel_size ** 2 + (l.bias ? l.out_channels : 0);
        macs = OH * OW * l.out_channels * C * l.kernel_size ** 2;
        rf += (l.kernel_size - 1) * jump;
        jump *= l.stride;
        shape = [l.out_channels, OH, OW];
        break;
      }
      case 'maxpool2d':
      case 'avgpool2d': {
        const [C, H, W] = need4();
        const [OH, OW] = [H, W].map((d) => Math.floor((d - l.kernel_size) / l.stride) + 1) as [number, number];
        if (OH < 1 || OW < 1) fail(`a ${l.kernel_size}x${l.kernel_size} window on a ${H}x${W} input leaves no output`);
        rf += (l.kernel_size - 1) * jump;
        jump *= l.stride;
        shape = [C, OH, OW];
        break;
      }
      case 'batchnorm2d':
        params = 2 * need4()[0];
        break;
      case 'gap': {
        const [C, H, W] = need4();
        rf += (Math.max(H, W) - 1) * jump;
        shape = [C, 1, 1];
        break;
      }
      case 'flatten':
        // Whatever reads a flattened map sees all of it.
        if (shape.length === 3) rf += (Math.max(shape[1]!, shape[2]!) - 1) * jump;
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'linear': {
        if (shape.length !== 1) fail(`needs a 2-D input (N,F), but the previous layer gives (N,${shape.join(',')}): put a flatten (or gap, flatten) before it`);
        params = l.out_features * shape[0]! + (l.bias ? l.out_features : 0);
        macs = l.out_features * shape[0]!;
        shape = [l.out_features];
        break;
      }
      case 'logsoftmax':
        if (shape.length !== 1) fail(`needs a 2-D input (N,classes), but the previous layer gives (N,${shape.join(',')}): put a flatten before it`);
        if (classes !== null && shape[0] !== classes) fail(`the network ends with ${shape[0]} outputs, the data has ${classes} classes`);
        break;
      case 'relu':
      case 'dropout':
        break;
    }
    out.push({ layer: l, shape: [...shape], params, macs, rf, jump });
  });
  return out;
}

/** Trainable parameters of a spec on this input. */
export function countParams(infos: readonly LayerInfo[]): number {
  return infos.reduce((s, i) => s + i.params, 0);
}
