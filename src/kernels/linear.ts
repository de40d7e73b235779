// TypeScript side of the linear and global-average-pool kernels (assembly/linear.ts): rows split
// across the pool's threads (one thread below MIN_PARALLEL_ELEMS multiply-adds). Every output is one
// float64 sum in a fixed order, computed by one thread: bit-identical to linearRef*/gapRef* in
// ref.ts for any thread count. Math only on byte offsets; shape checks live in src/ops.
import type { Engine } from '../engine/wasm.js';
import { runSplit } from './split.js';

/** y (N,O) = x (N,I) · w (O,I)ᵀ + b (O); b = 0: no bias. */
export function linearForward(e: Engine, x: number, w: number, b: number, y: number, N: number, I: number, O: number): void {
  runSplit(e, 'linear_fwd', N, N * I * O, (n0, n1) => [x, w, b, y, n0, n1, I, O]);
}

/** dx (N,I) = dy (N,O) · w (O,I); overwritten. */
export function linearBackwardData(e: Engine, dy: number, w: number, dx: number, N: number, I: number, O: number): void {
  runSplit(e, 'linear_bwd_data', N, N * I * O, (n0, n1) => [dy, w, dx, n0, n1, I, O]);
}

/** dw (O,I) = dy (N,O)ᵀ · x (N,I) and db (O) = Σ_n dy; overwritten (db = 0: skipped). */
export function linearBackwardWeight(e: Engine, dy: number, x: number, dw: number, db: number, N: number, I: number, O: number): void {
  runSplit(e, 'linear_bwd_weight', O, N * I * O, (o0, o1) => [dy, x, dw, db, o0, o1, N, I, O]);
}

/** y (P) = the mean of each plane of x (P, HW). */
export function gapForward(e: Engine, x: number, y: number, P: number, HW: number): void {
  runSplit(e, 'gap_fwd', P, P * HW, (p0, p1) => [x, y, p0, p1, HW]);
}

/** dx (P, HW) = dy[p] / HW over plane p; overwritten. */
export function gapBackward(e: Engine, dy: number, dx: number, P: number, HW: number): void {
  runSplit(e, 'gap_bwd', P, P * HW, (p0, p1) => [dy, dx, p0, p1, HW]);
}
