// TypeScript side of the conv kernels: pick the algorithm (Winograd F(4×4,3×3) or F(2×2,3×3) in
// assembly/conv_winograd.ts where it applies, plain GEMMs for 1×1 kernels in assembly/conv1x1.ts,
// im2col + GEMM in assembly/conv.ts otherwise, any stride), split a batch by image across the pool's threads, give each thread its scratch (and, for backward-weight,
// its own dw/db), sum the partials.
// Math only on byte offsets into wasm memory: shape checks live in src/ops.
// Temporaries come from the engine's arena between mark() and release() inside each call, so a
// call leaves the arena as it found it; callers need not provide scratch.
import type { Engine } from '../engine/wasm.js';

/**
 * Sizes of one conv: x (N,C,H,W), w (O,C,KH,KW), zero padding `pad` on every side, the same
 * `stride` (≥ 1) along both axes.
 */
export interface ConvShape {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  KH: number;
  KW: number;
  pad: number;
  stride: number;
}

/** [OH, OW] of y (N,O,OH,OW): floor((H + 2·pad − KH) / stride) + 1 (≤ 0: the kernel does not fit). */
export function convOutSize(s: ConvShape): [number, number] {
  const out = (n: number, k: number) => (n + 2 * s.pad < k ? 0 : Math.floor((n + 2 * s.pad - k) / s.stride) + 1);
  return [out(s.H, s.KH), out(s.W, s.KW)];
}

/** FLOPs of one pass (forward, backward-data or backward-weight): 2·N·O·OH·OW·C·KH·KW. */
export function convFlops(s: ConvShape): number {
  const [OH, OW] = convOutSize(s);
  return 2 * s.N * s.O * OH * OW * s.C * s.KH * s.KW;
}

/** Image ranges [n0, n1) for min(pool size, N) threads, as even as possible. */
export function splitImages(N: number, threads: number): Array<[number, number]> {
  const T = Math.max(1, Math.min(threads, N));
  const parts: Array<[number, number]> = [];
  for (let t = 0; t < T; t++) parts.push([Math.floor((t * N) / T), Math.floor(((t + 1) * N) / T)]);
  return parts;
}

/**
 * A BatchNorm + ReLU between x and the conv, applied on the way: the conv's input is
 * max(x·scale[c] + shift[c], 0) (scale, shift: (C) byte offsets). Winograd F(4×4) (in its input
 * tiles) and im2col (in its zero-bordered copy) only.
 */
export interface InputBN {
  scale: number;
  shift: number;
}

/**
 * How an unpadded 3×3 conv computes: Winograd F(4×4) (from 6×6 outputs up), or im2col as before
 * 2026-11-28. A property of a trained model (Conv2d.unpadded), set from its recipe (`unpadded-conv`)
 * so that records trained with im2col reproduce bit for bit, and carried by its model file.
 */
export type UnpaddedConv = 'winograd' | 'im2col';

/** The ways a conv pass can be computed. */
export type ConvImpl = 'im2col' | 'winograd2' | 'winograd4' | '1x1';

/** How a conv pass is computed: 'auto' picks per shape (see convAlgoFor). */
export type ConvAlgo = 'auto' | ConvImpl;

/**
 * Winograd F(m×m, 3×3) applies to 3×3 kernels with stride 1: F(2×2) with padding 1 on an
 * even-sized image, F(4×4) with padding 0 or 1 on any size (tiles past the edge are cropped).
 */
export function winogradApplies(s: ConvShape, m: 2 | 4): boolean {
  const ok = s.KH === 3 && s.KW === 3 && s.stride === 1 && s.H + 2 * s.pad >= 3 && s.W + 2 * s.pad >= 3;
  return ok && (m === 4 ? s.pad === 0 || s.pad === 1 : s.pad === 1 && s.H % 2 === 0 && s.W % 2 === 0);
}

/** The direct-GEMM 1×1 path applies to 1×1 kernels with stride 1 and no padding. */
export function conv1x1Applies(s: ConvShape): boolean {
  return s.KH === 1 && s.KW === 1 && s.stride === 1 && s.pad === 0;
}

/**
 * The algorithm 'auto' picks for this shape. Winograd pays for its transforms once there are a few
 * channels on both sides (conv1, one input channel, is faster through im2col). F(4×4) does 36
 * multiplies per 4×4 tile where F(2×2) does 4·16, but rounds the image up to whole tiles; it is
 * picked when its GEMMs stay ≥ 10% smaller (measured on 14×14 images, where it computes 16×16:
 * 10–13% faster than F(2×2) in all three passes, and on 28×28: 12%).
 */
export function convAlgoFor(s: ConvShape, unpadded: UnpaddedConv = 'winograd'): ConvImpl {
  if (conv1x1Applies(s)) return '1x1';
  if (Math.min(s.C, s.O) < 4 || !winogradApplies(s, 4)) return 'im2col';
  // Padding 0 (the output m×m tiles are laid on the output, its backward-data pass is the padding-2
  // 'full' convolution): 1.4–3.6× faster than im2col from 6×6 outputs up (batch 128, 1 thread,
  // docs/results-and-speed.md); at 5×5 mixed (0.95–1.34×), at 3×3 slower. Outputs under 6×6 stay
  // on im2col, which also keeps the reference net's conv5 (7×7 → 5×5) and so its bits. unpadded
  // 'im2col': never (the numerics of runs made before, see UnpaddedConv).
  if (s.pad === 0) return unpadded === 'winograd' && Math.min(s.H, s.W) - 2 >= 6 ? 'winograd4' : 'im2col';
  const cost4 = 36 * Math.ceil(s.H / 4) * Math.ceil(s.W / 4), cost2 = 16 * Math.ceil(s.H / 2) * Math.ceil(s.W / 2);
  return winogradApplies(s, 2) && cost4 > 0.9 * cost2 ? 'winograd2' : 'winograd4';
}

/** The algorithm for this pass ('auto': convAlgoFor's default), checked to apply to the shape. */
function implOf(s: ConvShape, algo: ConvAlgo): ConvImpl {
  const a = algo === 'auto' ? convAlgoFor(s) : algo;
  if (a === '1x1' && !conv1x1Applies(s)) throw new Error('1x1: needs a 1x1 kernel, stride 1 and padding 0');
  if (a === 'winograd2' || a === 'winograd4') {
    const m = a === 'winograd2' ? 2 : 4;
    if (!winogradApplies(s, m)) throw new Error(`${a}: needs a 3x3 kernel, stride 1, ${m === 2 ? 'padding 1 and an even-sized image' : 'padding 0 or 1'}`);
  }
  return a;
}

/** Winograd tile size m of an algorithm, or 0 for the others. */
function tileSize(a: ConvImpl): 0 | 2 | 4 {
  return a === 'winograd2' ? 2 : a === 'winograd4' ? 4 : 0;
}

/** Runs `kernel` once per image range; `args(n0, n1, scratch, t)` builds thread t's arguments. */
function runSplit(e: Engine, kernel: string, s: ConvShape, a: ConvImpl, args: (n0: number, n1: number, scratch: number, t: number) => number[]): void {
  const m = tileSize(a);
  const floats = a === '1x1' ? s.O * s.C // the weights, packed (assembly/conv1x1.ts)
    : m ? e.k.wino_scratch_floats!(s.C, s.H, s.W, s.O, m, s.pad)
    : e.k.conv2d_scratch_floats!(s.C, s.H, s.W, s.O, s.KH, s.KW, s.pad, s.stride);
  const parts = splitImages(s.N, e.pool.size);
  const scratch = parts.map(() => (floats ? e.arena.alloc(floats) : 0));
  e.pool.run(kernel, parts.map(([n0, n1], t) => args(n0, n1, scratch[t]!, t)));
}

/** The (m+2)² transformed kernels of w for Winograd, once per call (arena; flip: backward data). */
function winoFilter(e: Engine, w: number, s: ConvShape, m: 2 | 4, flip: 0 | 1): number {
  const v = e.arena.alloc((m + 2) * (m + 2) * s.O * s.C);
  e.k.wino_filter!(w, v, s.O, s.C, flip, m);
  return v;
}

/** y (N,O,OH,OW) = conv(x (N,C,H,W), w (O,C,KH,KW)) + b (O); b = 0: no bias. bn: see InputBN. */
export function conv2dForward(e: Engine, x: number, w: number, b: number, y: number, s: ConvShape, algo: ConvAlgo = 'auto', bn: InputBN | null = null): void {
  const mark = e.arena.mark();
  const a = implOf(s, algo), m = tileSize(a);
  checkInputBN(a, bn);
  const P = s.H * s.W;
  if (m) {
    const v = winoFilter(e, w, s, m, 0);
    runSplit(e, 'wino_fwd', s, a, (n0, n1, scr) => [x, v, b, y, n0, n1, s.C, s.H, s.W, s.O, m, scr, bn?.scale ?? 0, bn?.shift ?? 0, s.pad]);
  } else if (a === '1x1') runSplit(e, 'conv1x1_fwd', s, a, (n0, n1, scr) => [x, w, b, y, n0, n1, s.C, P, s.O, scr]);
  else runSplit(e, 'conv2d_fwd', s, a, (n0, n1, scr) => [x, w, b, y, n0, n1, s.C, s.H, s.W, s.O, s.KH, s.KW, s.pad, s.stride, scr, bn?.scale ?? 0, bn?.shift ?? 0]);
  e.arena.release(mark);
}

function checkInputBN(a: ConvImpl, bn: InputBN | null): void {
  if (bn && a !== 'winograd4' && a !== 'im2col') throw new Error('conv2d: a fused input BatchNorm needs Winograd F(4x4) or im2col');
}

/** dx (N,C,H,W) = gradient wrt x given dy (N,O,OH,OW) and w (O,C,KH,KW); dx is overwritten. */
export function conv2dBackwardData(e: Engine, dy: number, w: number, dx: number, s: ConvShape, algo: ConvAlgo = 'auto'): void {
  const mark = e.arena.mark();
  const a = implOf(s, algo), m = tileSize(a);
  if (m) {
    // The forward pass on dy (OH,OW), O → C channels, with the kernels flipped and transposed and
    // padding 2 − pad (padding 0: the 'full' convolution, back to H×W).
    const v = winoFilter(e, w, s, m, 1);
    const [OH, OW] = convOutSize(s);
    runSplit(e, 'wino_fwd', s, a, (n0, n1, scr) => [dy, v, 0, dx, n0, n1, s.O, OH, OW, s.C, m, scr, 0, 0, 2 - s.pad]);
  } else if (a === '1x1') runSplit(e, 'conv1x1_bwd_data', s, a, (n0, n1, scr) => [dy, w, dx, n0, n1, s.C, s.H * s.W, s.O, scr]);
  else runSplit(e, 'conv2d_bwd_data', s, a, (n0, n1, scr) => [dy, w, dx, n0, n1, s.C, s.H, s.W, s.O, s.KH, s.KW, s.pad, s.stride, scr]);
  e.arena.release(mark);
}

/**
 * dw (O,C,KH,KW) and db (O) = this batch's gradients wrt w and b, given dy (N,O,OH,OW) and
 * x (N,C,H,W). OVERWRITTEN, not accumulated. db = 0: bias gradient skipped. bn (im2col only): x is
 * the input of a BatchNorm + ReLU applied on the way (InputBN).
 */
export function conv2dBackwardWeight(e: Engine, dy: number, x: number, dw: number, db: number, s: ConvShape, algo: ConvAlgo = 'auto',
  bn: InputBN | null = null): void {
  const mark = e.arena.mark();
  const a = implOf(s, algo), m = tileSize(a);
  if (bn && a !== 'im2col') throw new Error('conv2dBackwardWeight: a fused input BatchNorm needs im2col (F(4x4) takes it in conv2dBackward)');
  const part = weightGradParts(e, dw, db, s);
  if (m) runSplit(e, 'wino_bwd', s, a, (n0, n1, scr, t) => [dy, x, 0, 0, part.dws[t]!, part.dbs[t]!, n0, n1, s.C, s.H, s.W, s.O, m, scr, 0, 0, s.pad]);
  else if (a === '1x1') runSplit(e, 'conv1x1_bwd_weight', s, a, (n0, n1, _scr, t) => [dy, x, part.dws[t]!, part.dbs[t]!, n0, n1, s.C, s.H * s.W, s.O]);
  else runSplit(e, 'conv2d_bwd_weight', s, a, (n0, n1, scr, t) => [dy, x, part.dws[t]!, part.dbs[t]!, n0, n1, s.C, s.H, s.W, s.O, s.KH, s.KW, s.pad, s.stride, scr, bn?.scale ?? 0, bn?.shift ?? 0]);
  part.sum();
  e.arena.release(mark);
}

/**
 * Both backward passes: dx as conv2dBackwardData, dw and db as conv2dBackwardWeight (same bits).
 * With F(4×4) one sweep over the images does both, so dy is read and copied once. bn (F(4×4) and
 * im2col only): x is the input of a BatchNorm + ReLU applied on the way (InputBN), and dx is the
 * gradient wrt that BatchNorm + ReLU's output.
 */
export function conv2dBackward(e: Engine, dy: number, x: number, w: number, dx: number, dw: number, db: number, s: ConvShape,
  algo: ConvAlgo = 'auto', bn: InputBN | null = null): void {
  const a = implOf(s, algo), m = tileSize(a);
  checkInputBN(a, bn);
  if (m !== 4) {
    conv2dBackwardData(e, dy, w, dx, s, algo);
    conv2dBackwardWeight(e, dy, x, dw, db, s, algo, bn);
    return;
  }
  const mark = e.arena.mark();
  const v = winoFilter(e, w, s, m, 1);
  const part = weightGradParts(e, dw, db, s);
  runSplit(e, 'wino_bwd', s, a, (n0, n1, scr, t) =>
    [dy, x, v, dx, part.dws[t]!, part.dbs[t]!, n0, n1, s.C, s.H, s.W, s.O, m, scr, bn?.scale ?? 0, bn?.shift ?? 0, s.pad]);
  part.sum();
  e.arena.release(mark);
}

/**
 * Per-thread weight-gradient buffers, zeroed: thread 0 accumulates into the caller's dw/db, the
 * others into their own (arena), which sum() adds into the caller's.
 */
function weightGradParts(e: Engine, dw: number, db: number, s: ConvShape): { dws: number[]; dbs: number[]; sum: () => void } {
  const nw = s.O * s.C * s.KH * s.KW;
  const T = splitImages(s.N, e.pool.size).length;
  const dws = [dw], dbs = [db];
  for (let t = 1; t < T; t++) {
    dws.push(e.arena.alloc(nw));
    dbs.push(db ? e.arena.alloc(s.O) : 0);
  }
  for (let t = 0; t < T; t++) {
    e.floats(dws[t]!, nw).fill(0);
    if (db) e.floats(dbs[t]!, s.O).fill(0);
  }
  return {
    dws, dbs,
    sum: () => {
      sumInto(e, dw, dws.slice(1), nw);
      if (db) sumInto(e, db, dbs.slice(1), s.O);
    },
  };
}

/** dst[i] += Σ parts[t][i] for i < n. */
function sumInto(e: Engine, dst: number, parts: number[], n: number): void {
  if (parts.length === 0) return;
  const d = e.floats(dst, n);
  for (const p of parts) {
    const src = e.floats(p, n);
    for (let i = 0; i < n; i++) d[i]! += src[i]!;
  }
}
