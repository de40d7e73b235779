// 2x2 max pooling, stride 2 (PyTorch floors odd sizes), over planes [p0,p1) of (N*C, H, W).
// Forward records which of the four taps won (0..3, first maximum wins like PyTorch) so backward
// is a scatter with no comparisons. Global average pooling is small enough to live in TypeScript.

/** x: (P,H,W) → y: (P,H/2,W/2), arg: same size as y, tap index stored as f32. */
export function maxpool2_fwd(x: usize, y: usize, arg: usize, p0: i32, p1: i32, H: i32, W: i32): void {
  const OH = H >> 1, OW = W >> 1;
  for (let p = p0; p < p1; p++) {
    const xp = x + ((<usize>p * <usize>(H * W)) << 2);
    const yo = (<usize>p * <usize>(OH * OW)) << 2;
    for (let i = 0; i < OH; i++) {
      const r0 = xp + ((<usize>(2 * i * W)) << 2);
      const r1 = r0 + (<usize>W << 2);
      for (let j = 0; j < OW; j++) {
        const c = <usize>(2 * j) << 2;
        let best = load<f32>(r0 + c);
        let k: f32 = 0;
        const b = load<f32>(r0 + c + 4);
        if (b > best || isNaN(b)) { best = b; k = 1; }
        const d = load<f32>(r1 + c);
        if (d > best || isNaN(d)) { best = d; k = 2; }
        const e = load<f32>(r1 + c + 4);
        if (e > best || isNaN(e)) { best = e; k = 3; }
        const o = yo + (<usize>(i * OW + j) << 2);
        store<f32>(y + o, best);
        store<f32>(arg + o, k);
      }
    }
  }
}

/** dx (P,H,W) written in full: dy goes to the winning tap, zeros elsewhere (and in an odd last row/column). */
export function maxpool2_bwd(dy: usize, arg: usize, dx: usize, p0: i32, p1: i32, H: i32, W: i32): void {
  const OH = H >> 1, OW = W >> 1;
  memory.fill(dx + ((<usize>p0 * <usize>(H * W)) << 2), 0, (<usize>(p1 - p0) * <usize>(H * W)) << 2);
  for (let p = p0; p < p1; p++) {
    const xp = dx + ((<usize>p * <usize>(H * W)) << 2);
    const yo = (<usize>p * <usize>(OH * OW)) << 2;
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const o = yo + (<usize>(i * OW + j) << 2);
        const k = <i32>load<f32>(arg + o);
        const r = 2 * i + (k >> 1), c = 2 * j + (k & 1);
        store<f32>(xp + (<usize>(r * W + c) << 2), load<f32>(dy + o));
      }
    }
  }
}
