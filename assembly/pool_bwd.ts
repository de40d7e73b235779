// Backward of the 2x2 max-pool passes of pool.ts: a scatter of each output's gradient to the tap
// that won (recorded by the forward pass), times that tap's dropout mask for the fused variant.
// dx is written in full (zeros at the other taps), so it needs no fill pass.
import { dropMask, dropThreshold } from './elementwise';
import { storeN } from './winograd';

/** dx (P,H,W) written in full: dy goes to the winning tap, zeros elsewhere (and in an odd last row/column). */
export function maxpool2_bwd(dy: usize, arg: usize, dx: usize, p0: i32, p1: i32, H: i32, W: i32): void {
  const OH = H >> 1, OW = W >> 1;
  for (let p = p0; p < p1; p++) {
    const xp = dx + ((<usize>p * <usize>(H * W)) << 2);
    const yo = (<usize>p * <usize>(OH * OW)) << 2;
    for (let i = 0; i < OH; i++) {
      const r0 = xp + ((<usize>(2 * i * W)) << 2);
      const r1 = r0 + (<usize>W << 2);
      let j = 0;
      for (; j + 4 <= OW; j += 4) {
        const o = yo + (<usize>(i * OW + j) << 2);
        scatter4(v128.load(dy + o), v128.load(arg + o), r0 + (<usize>(2 * j) << 2), r1 + (<usize>(2 * j) << 2));
      }
      for (; j < OW; j++) {
        const o = yo + (<usize>(i * OW + j) << 2);
        scatter1(load<f32>(dy + o), <i32>load<f32>(arg + o), r0 + (<usize>(2 * j) << 2), r1 + (<usize>(2 * j) << 2));
      }
      zeroOddColumn(r0, r1, W);
    }
    zeroOddRow(xp, H, W);
  }
}

// Backward scatter of four outputs j..j+3 of one row: v (their gradients) goes to the winning tap
// of each 2x2 window and zeros to the other three, so the 8 columns 2j..2j+7 of both input rows are
// written once each and dx needs no fill pass. Taps 0/1 interleave into row r0, taps 2/3 into r1.
// v & (arg == k) is v or +0: the same bits as the scalar scatter over a zeroed dx.
@inline function scatter4(v: v128, arg: v128, r0: usize, r1: usize): void {
  const v0 = v128.and(v, f32x4.eq(arg, f32x4.splat(0)));
  const v1 = v128.and(v, f32x4.eq(arg, f32x4.splat(1)));
  const v2 = v128.and(v, f32x4.eq(arg, f32x4.splat(2)));
  const v3 = v128.and(v, f32x4.eq(arg, f32x4.splat(3)));
  v128.store(r0, v128.shuffle<f32>(v0, v1, 0, 4, 1, 5));
  v128.store(r0, v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), 16);
  v128.store(r1, v128.shuffle<f32>(v2, v3, 0, 4, 1, 5));
  v128.store(r1, v128.shuffle<f32>(v2, v3, 2, 6, 3, 7), 16);
}

// scatter4 for the first n (1–3) outputs only: their 2n columns of both rows.
@inline function scatterN(v: v128, arg: v128, r0: usize, r1: usize, n: i32): void {
  const v0 = v128.and(v, f32x4.eq(arg, f32x4.splat(0)));
  const v1 = v128.and(v, f32x4.eq(arg, f32x4.splat(1)));
  const v2 = v128.and(v, f32x4.eq(arg, f32x4.splat(2)));
  const v3 = v128.and(v, f32x4.eq(arg, f32x4.splat(3)));
  storeN(r0, v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), 2 * n);
  storeN(r1, v128.shuffle<f32>(v2, v3, 0, 4, 1, 5), 2 * n);
  if (n > 2) {
    storeN(r0 + 16, v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), 2 * n - 4);
    storeN(r1 + 16, v128.shuffle<f32>(v2, v3, 2, 6, 3, 7), 2 * n - 4);
  }
}

// One output's window (the tail when OW is not a multiple of 4, e.g. 14 and 7 in the reference net):
// zeros to all four taps, then v to the winner at a computed address. Four `k == t ? v : 0` stores
// measured 2-3x slower on 14x14 planes (3 of OW=7 outputs here): V8 appears to lower f32 selects to
// branches, which the random winning tap mispredicts.
@inline function scatter1(v: f32, k: i32, r0: usize, r1: usize): void {
  store<u64>(r0, 0);
  store<u64>(r1, 0);
  store<f32>(select<usize>(r1, r0, k >= 2) + (<usize>(k & 1) << 2), v);
}

// PyTorch floors odd sizes: the last column (odd W) and last row (odd H) of dx get no gradient,
// and with no fill pass they must be zeroed explicitly.
@inline function zeroOddColumn(r0: usize, r1: usize, W: i32): void {
  if (W & 1) {
    store<f32>(r0 + (<usize>(W - 1) << 2), 0);
    store<f32>(r1 + (<usize>(W - 1) << 2), 0);
  }
}

@inline function zeroOddRow(xp: usize, H: i32, W: i32): void {
  if (H & 1) memory.fill(xp + (<usize>((H - 1) * W) << 2), 0, <usize>W << 2);
}

// Backward of four outputs whose first input column is `a` (row 2i): only the winning tap's mask is
// needed, so hash the winners' element indices (column a + 2·lane + (k&1), one row down if k >= 2),
// the index dropout_maxpool2_fwd drew that tap's mask from; then scatter dy·mask. The first n
// outputs' 2n columns of both rows are written.
@inline function dropScatter4(dy: usize, arg: usize, o: usize, a: i32, W: i32, r0: usize, r1: usize,
  seed: u32, threshold: u32, keep: f32, n: i32): void {
  const av = v128.load(arg + o);
  const k = i32x4.trunc_sat_f32x4_s(av);
  const off = i32x4.add(v128.and(k, i32x4.splat(1)), i32x4.mul(i32x4.shr_s(k, 1), i32x4.splat(W)));
  const idx = i32x4.add(i32x4.add(i32x4.splat(a), i32x4(0, 2, 4, 6)), off);
  const v = f32x4.mul(v128.load(dy + o), dropMaskAt(seed, idx, threshold, keep));
  if (n == 4) scatter4(v, av, r0, r1);
  else scatterN(v, av, r0, r1, n);
}

/** Backward of dropout_maxpool2_fwd: dx (P,H,W) written in full, dy·mask at the winning tap. */
export function dropout_maxpool2_bwd(dy: usize, arg: usize, dx: usize, p0: i32, p1: i32, H: i32, W: i32, seed: u32, p: f32): void {
  const OH = H >> 1, OW = W >> 1;
  const keep = <f32>1 / (<f32>1 - p);
  const threshold = dropThreshold(p);
  for (let pl = p0; pl < p1; pl++) {
    const base = pl * H * W;
    const xp = dx + (<usize>base << 2);
    const yo = (<usize>pl * <usize>(OH * OW)) << 2;
    for (let i = 0; i < OH; i++) {
      const i0 = base + 2 * i * W;
      const r0 = dx + (<usize>i0 << 2), r1 = r0 + (<usize>W << 2);
      let j = 0;
      for (; j + 4 <= OW; j += 4) dropScatter4(dy, arg, yo + (<usize>(i * OW + j) << 2), i0 + 2 * j, W, r0 + (<usize>(2 * j) << 2), r1 + (<usize>(2 * j) << 2), seed, threshold, keep, 4);
      // The last OW % 4 outputs as one more block, as in the forward pass (extra lanes read past the
      // row and are not stored; the last row of a thread's last plane stays scalar).
      if (j < OW && (pl < p1 - 1 || i < OH - 1)) {
        dropScatter4(dy, arg, yo + (<usize>(i * OW + j) << 2), i0 + 2 * j, W, r0 + (<usize>(2 * j) << 2), r1 + (<usize>(2 * j) << 2), seed, threshold, keep, OW - j);
        j = OW;
      }
      for (; j < OW; j++) {
        const o = yo + (<usize>(i * OW + j) << 2);
        const k = <i32>load<f32>(arg + o);
        const idx = i0 + (k >> 1) * W + 2 * j + (k & 1);
        scatter1(load<f32>(dy + o) * dropMask(seed, <u32>idx, threshold, keep), k, r0 + (<usize>(2 * j) << 2), r1 + (<usize>(2 * j) << 2));
      }
      zeroOddColumn(r0, r1, W);
    }
    zeroOddRow(xp, H, W);
  }
}
