// A thread pool that runs wasm kernels on several cores over one shared memory.
// The caller splits an op into per-thread argument lists (e.g. images n0..n1); thread 0 is the
// caller itself, the others are workers woken through Atomics on a mailbox in wasm memory.
// Dispatch costs a few microseconds, so only ops worth ~0.1 ms or more should be split.
import type { Kernel } from './wasm.js';

/** Byte offset of the mailboxes (below the arena, above AssemblyScript's statics). */
export const MAILBOX_BASE = 512 * 1024;
const MAILBOX_BYTES = 1024; // per worker: 16 int32 of control, then up to 32 f64 arguments
const SEQ = 0, DONE = 1, KERNEL = 2, NARGS = 3, ERROR = 4;
export const MAX_ARGS = 32;
export const STOP = -1;

/** How workers are started: worker_threads in Node, Web Workers in the browser. */
export interface PoolBackend {
  spawn(index: number, module: WebAssembly.Module, memory: WebAssembly.Memory, names: string[]): { terminate(): void };
}

export class ThreadPool {
  private readonly names: string[];
  private readonly ids = new Map<string, number>();
  private readonly workers: Array<{ terminate(): void }> = [];
  private readonly seqs: number[] = [];
  /** When set, wall time and calls per kernel name accumulate here (the benchmark's profile). */
  profile: Map<string, { calls: number; ms: number }> | null = null;

  constructor(
    module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly k: Record<string, Kernel>,
    readonly size: number,
    backend?: PoolBackend,
  ) {
    this.names = Object.keys(k).filter((n) => typeof k[n] === 'function').sort();
    this.names.forEach((n, i) => this.ids.set(n, i));
    if (size > 1) {
      if (!backend) throw new Error('ThreadPool: more than one thread needs a backend');
      for (let w = 1; w < size; w++) {
        this.workers.push(backend.spawn(w, module, memory, this.names));
        this.seqs.push(0);
      }
    }
  }

  /** Runs `name` once per entry of `argsPerThread` (at most `size`), in parallel; returns when all finish. */
  run(name: string, argsPerThread: number[][]): void {
    const n = argsPerThread.length;
    if (n > this.size) throw new Error(`ThreadPool.run: ${n} parts for ${this.size} threads`);
    const id = this.ids.get(name);
    const fn = this.k[name];
    if (id === undefined || !fn) throw new Error(`ThreadPool.run: no kernel ${name}`);
    const t0 = this.profile ? performance.now() : 0;
    const i32 = new Int32Array(this.memory.buffer);
    const f64 = new Float64Array(this.memory.buffer);
    for (let w = 1; w < n; w++) this.post(i32, f64, w, id, argsPerThread[w]!);
    fn(...argsPerThread[0]!);
    for (let w = 1; w < n; w++) this.wait(i32, w, name);
    if (this.profile) {
      const entry = this.profile.get(name) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += performance.now() - t0;
      this.profile.set(name, entry);
    }
  }

  close(): void {
    if (this.workers.length === 0) return;
    const i32 = new Int32Array(this.memory.buffer);
    const f64 = new Float64Array(this.memory.buffer);
    for (let w = 1; w < this.size; w++) this.post(i32, f64, w, STOP, []);
    for (const worker of this.workers) worker.terminate();
    this.workers.length = 0;
  }

  private post(i32: Int32Array, f64: Float64Array, w: number, id: number, args: number[]): void {
    if (args.length > MAX_ARGS) throw new Error(`ThreadPool: ${args.length} arguments, max ${MAX_ARGS}`);
    const base = (MAILBOX_BASE + w * MAILBOX_BYTES) >> 2;
    const argBase = (MAILBOX_BASE + w * MAILBOX_BYTES + 64) >> 3;
    for (let i = 0; i < args.length; i++) f64[argBase + i] = args[i]!;
    i32[base + KERNEL] = id;
    i32[base + NARGS] = args.length;
    const seq = ++this.seqs[w - 1]!;
    Atomics.store(i32, base + SEQ, seq);
    Atomics.notify(i32, base + SEQ);
  }

  private wait(i32: Int32Array, w: number, name: string): void {
    const base = (MAILBOX_BASE + w * MAILBOX_BYTES) >> 2;
    const seq = this.seqs[w - 1]!;
    for (let spin = 0; spin < 2000; spin++) if (Atomics.load(i32, base + DONE) === seq) break;
    for (;;) {
      const done = Atomics.load(i32, base + DONE);
      if (done === seq) break;
      Atomics.wait(i32, base + DONE, done, 1000);
    }
    if (Atomics.load(i32, base + ERROR) !== 0) throw new Error(`ThreadPool: kernel ${name} failed in worker ${w}`);
  }
}

/** The worker side: instantiate the same module on the same memory and serve the mailbox forever. */
export function serveMailbox(w: number, k: Record<string, Kernel>, names: string[], memory: WebAssembly.Memory): void {
  const base = (MAILBOX_BASE + w * MAILBOX_BYTES) >> 2;
  const argBase = (MAILBOX_BASE + w * MAILBOX_BYTES + 64) >> 3;
  const fns = names.map((n) => k[n]!);
  let seen = 0;
  const args: number[] = [];
  for (;;) {
    let i32 = new Int32Array(memory.buffer);
    Atomics.wait(i32, base + SEQ, seen);
    i32 = new Int32Array(memory.buffer); // memory may have grown while we slept
    const f64 = new Float64Array(memory.buffer);
    seen = Atomics.load(i32, base + SEQ);
    const id = i32[base + KERNEL]!;
    if (id === STOP) return;
    args.length = i32[base + NARGS]!;
    for (let i = 0; i < args.length; i++) args[i] = f64[argBase + i]!;
    try {
      fns[id]!(...args);
      i32[base + ERROR] = 0;
    } catch {
      i32[base + ERROR] = 1;
    }
    Atomics.store(i32, base + DONE, seen);
    Atomics.notify(i32, base + DONE);
  }
}
