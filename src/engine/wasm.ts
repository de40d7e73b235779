// The engine: AssemblyScript kernels (build/kernels-*.wasm) instantiated on one shared
// WebAssembly.Memory, a bump arena over it and a thread pool. Environment-agnostic: node.ts loads
// the bytes from disk, the web worker fetches them. `engine()` is the one the ops use.
import { Arena } from './arena.js';
import { ThreadPool, type PoolBackend } from './pool.js';

export type Kernel = (...args: number[]) => number;
export type Variant = 'relaxed' | 'simd';

/** Byte offset where tensors start: below it live AssemblyScript's statics and the pool's mailboxes. */
export const ARENA_BASE = 1 << 20;
const PAGE = 65536;
const INITIAL_PAGES = 64; // must match scripts/build-wasm.mjs
const MAX_PAGES = 32768; // 2 GiB
/** The most wasm memory the engine can have (bytes): every tensor lives in it. */
export const MAX_MEMORY_BYTES = MAX_PAGES * PAGE;

export class Engine {
  readonly arena: Arena;
  private view: Float32Array;

  constructor(
    readonly module: WebAssembly.Module,
    readonly memory: WebAssembly.Memory,
    readonly variant: Variant,
    readonly k: Record<string, Kernel>,
    readonly pool: ThreadPool,
  ) {
    this.view = new Float32Array(memory.buffer);
    this.arena = new Arena(ARENA_BASE, (bytes) => this.ensure(bytes));
  }

  /** A Float32Array over all of memory; re-made when memory has grown. */
  f32(): Float32Array {
    if (this.view.buffer !== this.memory.buffer || this.view.byteLength !== this.memory.buffer.byteLength) {
      this.view = new Float32Array(this.memory.buffer);
    }
    return this.view;
  }

  /** A float32 view of `n` floats at byte offset `ptr` (valid until memory grows). */
  floats(ptr: number, n: number): Float32Array {
    return this.f32().subarray(ptr >>> 2, (ptr >>> 2) + n);
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) throw new Error(`engine: out of memory (${bytes} bytes wanted)`);
    this.memory.grow(pages);
  }
}

export function newMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
}

/**
 * An AssemblyScript abort() inside a kernel (its source line and column): always a bug, never bad
 * input, so callers that turn errors into user messages (preflight) recognise it by class.
 */
export class WasmAbort extends Error {
  override name = 'WasmAbort';
  constructor(line: number, col: number) {
    super(`wasm abort at ${line}:${col}`);
  }
}

export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Record<string, Kernel> {
  const imports = {
    env: {
      memory,
      abort: (_m: number, _f: number, line: number, col: number) => {
        throw new WasmAbort(line, col);
      },
      seed: () => 0,
    },
  };
  const inst = new WebAssembly.Instance(module, imports);
  return inst.exports as unknown as Record<string, Kernel>;
}

export function createEngine(bytes: Uint8Array<ArrayBuffer>, variant: Variant, threads: number, backend?: PoolBackend): Engine {
  const module = new WebAssembly.Module(bytes);
  const memory = newMemory();
  const k = instantiate(module, memory);
  const pool = new ThreadPool(module, memory, k, threads, backend);
  return new Engine(module, memory, variant, k, pool);
}

let current: Engine | null = null;

/** The engine the ops run on; set by `initEngine` (Node) or `setEngine` (browser). */
export function engine(): Engine {
  if (!current) throw new Error('tiny-mnist: engine not initialised (call initEngine() first)');
  return current;
}

export function setEngine(e: Engine | null): void {
  if (current && current !== e) current.pool.close();
  current = e;
}

export function hasEngine(): boolean {
  return current !== null;
}
