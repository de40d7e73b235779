// A bump allocator over wasm memory. Long-lived buffers (parameters, gradients, optimiser state)
// are allocated first; a training step takes a mark, allocates its activations, and releases to the
// mark at the end, so the hot loop never touches the JS heap or a free list.

const ALIGN = 64; // one cache line; also keeps every v128 access aligned

export class Arena {
  private top: number;
  private highWater: number;

  constructor(private readonly base: number, private readonly ensure: (bytes: number) => void) {
    this.top = base;
    this.highWater = base;
  }

  /** Byte offset of `floats` float32 values, 64-byte aligned, zeroing not guaranteed. */
  alloc(floats: number): number {
    const ptr = this.top;
    const bytes = Math.ceil((floats * 4) / ALIGN) * ALIGN;
    this.top += Math.max(bytes, ALIGN);
    if (this.top > this.highWater) {
      this.ensure(this.top);
      this.highWater = this.top;
    }
    return ptr;
  }

  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    if (mark < this.base || mark > this.top) throw new Error(`arena: bad release mark ${mark}`);
    this.top = mark;
  }

  /** Runs fn and returns the highest byte offset in use while it ran (train/preflight.ts's probe). */
  peakDuring(fn: () => void): number {
    const saved = this.highWater;
    this.highWater = this.top;
    try {
      fn();
      return this.highWater;
    } finally {
      this.highWater = Math.max(saved, this.highWater);
    }
  }

  /** Bytes in use now and at most so far (for the benchmark's memory report). */
  stats(): { used: number; peak: number } {
    return { used: this.top - this.base, peak: this.highWater - this.base };
  }
}
