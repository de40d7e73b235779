// Element-wise kernels over flat ranges [i0,i1) so threads split them evenly. f32x4 main loops.
// Dropout draws its mask from a counter-based hash of (seed, index): the same mask whatever the
// thread split, and no generator state to share between threads.

/** y = max(x, 0) on [i0,i1). */
export function relu_fwd(x: usize, y: usize, i0: i32, i1: i32): void {
  const zero = f32x4.splat(0);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.max(v128.load(x + o), zero));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : 0);
  }
}

/** dx = dy where y > 0, else 0, on [i0,i1). */
export function relu_bwd(y: usize, dy: usize, dx: usize, i0: i32, i1: i32): void {
  const zero = f32x4.splat(0);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}

@inline function hash(seed: u32, i: u32): u32 {
  let z = seed ^ (i * 0x9e3779b9);
  z = (z ^ (z >> 16)) * 0x85ebca6b;
  z = (z ^ (z >> 13)) * 0xc2b2ae35;
  return z ^ (z >> 16);
}

/** The dropout multiplier of element i: 0 with probability p, else 1/(1-p). */
@inline export function dropMask(seed: u32, i: u32, threshold: u32, keep: f32): f32 {
  return (hash(seed, i) >> 8) < threshold ? 0 : keep;
}

/** 24-bit threshold for probability p (compared with 24-bit uniforms, like Rng.uniform). */
@inline export function dropThreshold(p: f32): u32 {
  return <u32>(<f64>p * 16777216.0);
}

/** Inverted dropout: mask[i] = 0 with probability p else 1/(1-p); y = x*mask. On [i0,i1). */
export function dropout_fwd(x: usize, y: usize, mask: usize, i0: i32, i1: i32, seed: u32, p: f32): void {
  const keep = <f32>1 / (<f32>1 - p);
  const threshold = dropThreshold(p);
  for (let i = i0; i < i1; i++) {
    const o = <usize>i << 2;
    const m = dropMask(seed, <u32>i, threshold, keep);
    store<f32>(mask + o, m);
    store<f32>(y + o, load<f32>(x + o) * m);
  }
}

/** z = a*b element-wise on [i0,i1) (dropout backward: dx = dy*mask). */
export function mul(a: usize, b: usize, z: usize, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    v128.store(z + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(z + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

/** dst += src on [i0,i1) (gradient accumulation, per-thread partial sums). */
export function add_into(dst: usize, src: usize, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

/**
 * v·a + b: a BatchNorm's per-channel scale and shift, in the one order of operations that bn_apply,
 * bn_bwd's ReLU masks and bnr all use, so that they agree to the bit.
 */
// @ts-ignore: decorator
@global @inline function bnAffine(v: v128, a: v128, b: v128): v128 {
  return f32x4.add(f32x4.mul(v, a), b);
}

/**
 * max(v·a + b, 0) when bn, as bn_apply with ReLU computes it, else v: a BatchNorm + ReLU applied
 * on the way by the kernels that read its input instead of its output (deinterleave4, dropout + max-pool).
 */
// @global (visible to pool.ts and winograd4.ts without an import), so that it is no wasm export.
// @ts-ignore: decorator
@global @inline function bnr(v: v128, bn: bool, a: v128, b: v128): v128 {
  if (!bn) return v;
  return f32x4.max(bnAffine(v, a, b), f32x4.splat(0));
}
