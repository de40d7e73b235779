// TypeScript side of the k×k / stride-s pooling kernels (assembly/pool_kxk.ts): planes of
// (P, H, W) = (N·C, H, W) split across the pool's threads (one thread below MIN_PARALLEL_ELEMS).
// Math only on byte offsets into wasm memory; shape checks live in src/ops/pool.ts. The 2×2/2
// max-pool of the reference net has its own kernels (maxpool2_fwd and friends), called by the ops.
import type { Engine } from '../engine/wasm.js';
import { runSplit } from './split.js';

/** Sizes of one pooling: P planes of H×W, a K×K window moved by S (floor mode, no padding). */
export interface PoolShape {
  P: number;
  H: number;
  W: number;
  K: number;
  S: number;
}

/** [OH, OW] = floor((H − K) / S) + 1 (likewise W); ≤ 0 when the window does not fit. */
export function poolOutSize(s: PoolShape): [number, number] {
  const out = (n: number) => (n < s.K ? 0 : Math.floor((n - s.K) / s.S) + 1);
  return [out(s.H), out(s.W)];
}

/** y (P,OH,OW) = window maxima of x (P,H,W); arg (P,OH,OW): winners' in-plane indices (i32). */
export function maxPoolForward(e: Engine, x: number, y: number, arg: number, s: PoolShape): void {
  runSplit(e, 'maxpool_fwd', s.P, s.P * s.H * s.W, (p0, p1) => [x, y, arg, p0, p1, s.H, s.W, s.K, s.S]);
}

/** dx (P,H,W) = gradient wrt x given dy (P,OH,OW) and maxPoolForward's arg; overwritten. */
export function maxPoolBackward(e: Engine, dy: number, arg: number, dx: number, s: PoolShape): void {
  runSplit(e, 'maxpool_bwd', s.P, s.P * s.H * s.W, (p0, p1) => [dy, arg, dx, p0, p1, s.H, s.W, s.K, s.S]);
}

/** y (P,OH,OW) = window means of x (P,H,W). */
export function avgPoolForward(e: Engine, x: number, y: number, s: PoolShape): void {
  runSplit(e, 'avgpool_fwd', s.P, s.P * s.H * s.W, (p0, p1) => [x, y, p0, p1, s.H, s.W, s.K, s.S]);
}

/** dx (P,H,W) = gradient wrt x given dy (P,OH,OW); overwritten. */
export function avgPoolBackward(e: Engine, dy: number, dx: number, s: PoolShape): void {
  runSplit(e, 'avgpool_bwd', s.P, s.P * s.H * s.W, (p0, p1) => [dy, dx, p0, p1, s.H, s.W, s.K, s.S]);
}
