// A thread pool that runs wasm kernels on several cores over one shared memory.
// The caller splits an op into per-thread argument lists (e.g. images n0..n1); thread 0 is the
// caller itself, the others are workers woken through Atomics on a mailbox in wasm memory.
// Dispatch costs a few microseconds, so only ops worth ~0.1 ms or more should be split.
import type { Kernel } from './wasm.js';

/** Byte offset of the mailboxes (below the arena, above AssemblyScript's statics). */
export const MAILBOX_BASE = 512 * 1024;
const MAILBOX_BYTES = 1024; // per worker: 16 int32 of control, up to 32 f64 arguments, 2 f64 trace times, an error message
/** Byte offset of worker w's mailbox. */
export function mailboxAt(w: number): number {
  return MAILBOX_BASE + w * MAILBOX_BYTES;
}
/** int32 slots of a mailbox (SEQ and DONE exported for test/engine/pool-protocol.test.ts, which drives a worker by hand). */
export const SEQ = 0, DONE = 1;
const KERNEL = 2, NARGS = 3, ERROR = 4, TRACING = 5, PAGES = 6;
/** f64 index (within a mailbox) of the worker's start and end times of its last kernel, when tracing. */
const TIMES = 64;
/** Byte offset (within a mailbox) and capacity of a failed kernel's message, UTF-8; ERROR holds its length + 1. */
const MESSAGE = 528, MESSAGE_BYTES = MAILBOX_BYTES - MESSAGE;

/**
 * A kernel that failed (a wasm trap, an abort) on a worker thread, with the worker's own message.
 * Always a bug: arguments are checked before a kernel runs, so callers must not read it as bad input.
 */
export class KernelError extends Error {
  override name = 'KernelError';
  constructor(readonly kernel: string, readonly worker: number, reason: string) {
    super(`ThreadPool: kernel ${kernel} failed in worker ${worker}: ${reason}`);
  }
}
export const MAX_ARGS = 32;
export const STOP = -1;

/** How workers are started: worker_threads in Node, Web Workers in the browser. */
export interface PoolBackend {
  spawn(index: number, module: WebAssembly.Module, memory: WebAssembly.Memory, names: string[]): { terminate(): void };
}

/**
 * Where a traced stretch of pool use spent its time (ms, summed over calls): what runs in parallel
 * and what does not. Every figure is a difference of two readings of one thread's clock (threads'
 * clocks need not agree to the microsecond, so no figure spans two threads).
 */
export interface PoolTrace {
  /** run() calls, and those split over more than one thread. */
  calls: number;
  splitCalls: number;
  /** The caller's own share of every kernel, and the part of it spent in calls that were not split. */
  mainKernelMs: number;
  unsplitKernelMs: number;
  /** The caller waiting, its own share done, for workers still running. */
  waitMs: number;
  /** Workers running kernels (summed over workers; each a duration on the worker's own clock). */
  workerKernelMs: number;
  /** Between the end of one call and the start of the next: the caller's JavaScript (no worker busy). */
  serialMs: number;
  /** End of the last traced call (internal: serialMs is measured from it). */
  lastEnd: number;
}

export function newPoolTrace(): PoolTrace {
  return { calls: 0, splitCalls: 0, mainKernelMs: 0, unsplitKernelMs: 0, waitMs: 0, workerKernelMs: 0, serialMs: 0, lastEnd: 0 };
}

const now = () => performance.now();

/**
 * How long each side polls before it sleeps in Atomics.wait (ms): a worker for its next kernel, the
 * caller for workers to finish. Waking a sleeping thread on these VMs takes 40 µs after 0.2 ms idle
 * and 100 µs after 3 ms (one split call's round trip: 43 µs, against 6 µs polling), and a training
 * step sleeps and wakes about 25 times. Polling 2 ms made 2-thread steps 1.5–7% faster (in-process
 * A/B, 7 runs over seed16k, fast and strided.json); 0.1–0.5 ms measured nothing (sessions 8, 13).
 * It only costs a core that would otherwise idle, at most 2 ms after each kernel.
 */
const WORKER_SPIN_MS = 2, CALLER_SPIN_MS = 2;

/** Polls i32[at] while `keep(value)` holds, for at most `ms`; a plain loop, so it never sleeps. */
function spinWhile(i32: Int32Array, at: number, keep: (v: number) => boolean, ms: number): void {
  if (!keep(Atomics.load(i32, at))) return;
  const t0 = now();
  do {
    for (let k = 0; k < 64; k++) if (!keep(Atomics.load(i32, at))) return;
  } while (now() - t0 < ms);
}

export class ThreadPool {
  private readonly names: string[];
  private readonly ids = new Map<string, number>();
  private readonly workers: Array<{ terminate(): void }> = [];
  private readonly seqs: number[] = [];
  /** When set, wall time and calls per kernel name accumulate here (the benchmark's profile). */
  profile: Map<string, { calls: number; ms: number }> | null = null;
  /** When set, where the time goes between the caller and the workers accumulates here (the benchmark's thread profile). */
  trace: PoolTrace | null = null;

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
    const tr = this.trace;
    const a0 = tr ? now() : 0;
    for (let w = 1; w < n; w++) this.post(i32, f64, w, id, argsPerThread[w]!, tr !== null);
    fn(...argsPerThread[0]!);
    const a1 = tr ? now() : 0;
    for (let w = 1; w < n; w++) this.wait(i32, w, name);
    if (tr) this.account(tr, f64, n, a0, a1);
    if (this.profile) {
      const entry = this.profile.get(name) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += performance.now() - t0;
      this.profile.set(name, entry);
    }
  }

  private account(tr: PoolTrace, f64: Float64Array, n: number, a0: number, a1: number): void {
    const a2 = now();
    if (tr.lastEnd > 0) tr.serialMs += a0 - tr.lastEnd;
    tr.lastEnd = a2;
    tr.calls++;
    tr.mainKernelMs += a1 - a0;
    tr.waitMs += a2 - a1;
    if (n === 1) tr.unsplitKernelMs += a1 - a0;
    else tr.splitCalls++;
    for (let w = 1; w < n; w++) {
      const t = mailboxAt(w) / 8 + TIMES;
      tr.workerKernelMs += f64[t + 1]! - f64[t]!;
    }
  }

  close(): void {
    if (this.workers.length === 0) return;
    const i32 = new Int32Array(this.memory.buffer);
    const f64 = new Float64Array(this.memory.buffer);
    for (let w = 1; w < this.size; w++) this.post(i32, f64, w, STOP, [], false);
    for (const worker of this.workers) worker.terminate();
    this.workers.length = 0;
  }

  private post(i32: Int32Array, f64: Float64Array, w: number, id: number, args: number[], tracing: boolean): void {
    if (args.length > MAX_ARGS) throw new Error(`ThreadPool: ${args.length} arguments, max ${MAX_ARGS}`);
    storeCall(this.memory, i32, f64, w, ++this.seqs[w - 1]!, id, args, tracing);
    Atomics.notify(i32, mailboxAt(w) / 4 + SEQ);
  }

  private wait(i32: Int32Array, w: number, name: string): void {
    const base = mailboxAt(w) >> 2;
    const seq = this.seqs[w - 1]!;
    spinWhile(i32, base + DONE, (v) => v !== seq, CALLER_SPIN_MS);
    for (;;) {
      const done = Atomics.load(i32, base + DONE);
      if (done === seq) break;
      Atomics.wait(i32, base + DONE, done, 1000);
    }
    const error = Atomics.load(i32, base + ERROR);
    if (error !== 0) throw new KernelError(name, w, readMessage(this.memory, w, error - 1));
  }
}

/**
 * Writes call `seq` (kernel `id` of the sorted names, or STOP) into worker w's mailbox and stores
 * SEQ last, which publishes it; the caller then notifies (ThreadPool.post).
 */
export function storeCall(memory: WebAssembly.Memory, i32: Int32Array, f64: Float64Array, w: number, seq: number, id: number,
  args: readonly number[], tracing: boolean): void {
  const base = mailboxAt(w) >> 2;
  const argBase = (mailboxAt(w) + 64) >> 3;
  for (let i = 0; i < args.length; i++) f64[argBase + i] = args[i]!;
  i32[base + KERNEL] = id;
  i32[base + NARGS] = args.length;
  i32[base + TRACING] = tracing ? 1 : 0;
  i32[base + PAGES] = memory.buffer.byteLength >>> 16; // the memory's size as the caller sees it
  Atomics.store(i32, base + SEQ, seq);
}

/** The worker side: instantiate the same module on the same memory and serve the mailbox forever. */
export function serveMailbox(w: number, k: Record<string, Kernel>, names: string[], memory: WebAssembly.Memory): void {
  const base = mailboxAt(w) >> 2;
  const argBase = (mailboxAt(w) + 64) >> 3;
  const fns = names.map((n) => k[n]!);
  let seen = 0;
  const args: number[] = [];
  for (;;) {
    let i32 = new Int32Array(memory.buffer);
    spinWhile(i32, base + SEQ, (v) => v === seen, WORKER_SPIN_MS);
    // Being woken is no proof of a new call; only SEQ is. The caller stores SEQ, then notifies: if it
    // is preempted between the two, this worker may already have seen SEQ, run the call and gone
    // back to sleep when the notify arrives. Taking that wake-up for a new call ran the same kernel
    // twice: a weight gradient's per-thread part accumulated twice (P0 + 2·P1, session 15), or the
    // next call's arguments read half-written (the "memory access out of bounds" of sessions 11, 14).
    while (Atomics.load(i32, base + SEQ) === seen) Atomics.wait(i32, base + SEQ, seen);
    i32 = new Int32Array(memory.buffer); // memory may have grown while we slept
    const f64 = new Float64Array(memory.buffer);
    seen = Atomics.load(i32, base + SEQ);
    const id = i32[base + KERNEL]!;
    if (id === STOP) return;
    // A worker has failed, rarely, with its memory still at the initial 4 MB after the caller had
    // grown it ("memory access out of bounds"; sessions 11 and 14). The late notify above is the
    // likelier cause; this guard stays, as it costs one comparison: V8 passes a growth to other
    // threads' instances through an interrupt, and when this thread's view is smaller than the
    // caller's, grow(0) makes V8 refresh it here before the kernel runs.
    if (memory.buffer.byteLength < i32[base + PAGES]! * 65536) {
      memory.grow(0);
      i32 = new Int32Array(memory.buffer);
    }
    args.length = i32[base + NARGS]!;
    for (let i = 0; i < args.length; i++) args[i] = f64[argBase + i]!;
    const tracing = i32[base + TRACING] === 1, t = mailboxAt(w) / 8 + TIMES;
    if (tracing) f64[t] = now();
    try {
      fns[id]!(...args);
      if (tracing) f64[t + 1] = now();
      i32[base + ERROR] = 0;
    } catch (err) {
      i32[base + ERROR] = writeMessage(memory, w, err) + 1;
    }
    Atomics.store(i32, base + DONE, seen);
    Atomics.notify(i32, base + DONE);
  }
}

/** Writes why a kernel failed (message and the first wasm frame of its stack) into worker w's mailbox; returns its byte length. */
function writeMessage(memory: WebAssembly.Memory, w: number, err: unknown): number {
  const e = err instanceof Error ? err : new Error(String(err));
  const frame = e.stack?.split('\n').find((l) => l.includes('wasm'))?.trim();
  // The memory size this thread sees tells a stale view after another thread grew memory from a real overrun.
  const pages = new Int32Array(memory.buffer)[mailboxAt(w) / 4 + PAGES]!;
  const text = `${e.message} (${frame ? `${frame}; ` : ''}memory as this worker sees it: ${memory.buffer.byteLength} bytes; as the caller saw it: ${pages * 65536})`;
  const bytes = new TextEncoder().encode(text).subarray(0, MESSAGE_BYTES);
  new Uint8Array(memory.buffer, mailboxAt(w) + MESSAGE, bytes.length).set(bytes);
  return bytes.length;
}

function readMessage(memory: WebAssembly.Memory, w: number, length: number): string {
  // Copied out first: TextDecoder refuses views of shared memory in browsers. A cut may split a character (shown as U+FFFD).
  const at = mailboxAt(w) + MESSAGE;
  return new TextDecoder().decode(new Uint8Array(memory.buffer).slice(at, at + length));
}
