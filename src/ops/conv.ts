// conv2d (any stride, zero padding, optional bias): forward and backward side by side.
// The math is in src/kernels/conv.ts (wasm, split by image across threads); this file checks
// shapes and records autograd.
import { engine } from '../engine/wasm.js';
import { conv2dBackward, conv2dBackwardData, conv2dBackwardWeight, conv2dForward, convAlgoFor, convOutSize, type ConvShape, type UnpaddedConv } from '../kernels/conv.js';
import { gradInto, needsGrad, record } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { checkRank, checkShape } from './check.js';

/** Checks x: (N,C,H,W), w: (O,C,KH,KW), b: (O) or null, the padding and stride; the conv's sizes. */
export function convShapeOf(x: Tensor, w: Tensor, b: Tensor | null, pad: number, stride = 1): ConvShape {
  checkRank('conv2d', 'input', x, 4);
  checkRank('conv2d', 'weight', w, 4);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, C2, KH, KW] = w.shape as [number, number, number, number];
  if (C2 !== C) throw new Error(`conv2d: weight expects ${C2} input channels, input has ${C}`);
  if (b) checkShape('conv2d', 'bias', b, [O]);
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`conv2d: padding must be a non-negative integer, got ${pad}`);
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`conv2d: stride must be a positive integer, got ${stride}`);
  const s: ConvShape = { N, C, H, W, O, KH, KW, pad, stride };
  const [OH, OW] = convOutSize(s);
  if (OH < 1 || OW < 1) throw new Error(`conv2d: kernel ${KH}x${KW} larger than padded input ${H}x${W} (pad ${pad})`);
  return s;
}

/**
 * x: (N,C,H,W), w: (O,C,KH,KW), b: (O) or null → y: (N,O,OH,OW), OH = floor((H+2·pad−KH)/stride)+1
 * (OW likewise), as PyTorch's F.conv2d(x, w, b, stride, padding). `unpadded`: the numerics of an
 * unpadded 3×3 conv (UnpaddedConv; the layer's, Conv2d.unpadded).
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, pad: number, stride = 1, unpadded: UnpaddedConv = 'winograd'): Tensor {
  const s = convShapeOf(x, w, b, pad, stride);
  const a = convAlgoFor(s, unpadded);
  const [OH, OW] = convOutSize(s);
  const { N, O } = s;
  const e = engine();
  const y = Tensor.empty([N, O, OH, OW]);
  conv2dForward(e, x.ptr, w.ptr, b ? b.ptr : 0, y.ptr, s, a);
  if (needsGrad(x, w, b)) {
    record(y, b ? [x, w, b] : [x, w], () => {
      const wantW = w.requiresGrad || b?.requiresGrad === true;
      if (!wantW) {
        gradInto(x, (dx) => conv2dBackwardData(e, y.gradPtr, w.ptr, dx, s, a));
        return;
      }
      const dw = e.arena.alloc(w.size);
      const db = b ? e.arena.alloc(O) : 0;
      // Both gradients in one call when both are wanted (one sweep over dy for Winograd F(4×4)).
      if (x.requiresGrad) gradInto(x, (dx) => conv2dBackward(e, y.gradPtr, x.ptr, w.ptr, dx, dw, db, s, a));
      else conv2dBackwardWeight(e, y.gradPtr, x.ptr, dw, db, s, a);
      gradInto(w, (p) => e.f32().copyWithin(p >> 2, dw >> 2, (dw >> 2) + w.size));
      if (b) gradInto(b, (p) => e.f32().copyWithin(p >> 2, db >> 2, (db >> 2) + O));
    });
  }
  return y;
}
