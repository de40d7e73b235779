// Node side of engine start-up: read build/*.wasm, pick relaxed SIMD or plain SIMD128 by feature
// detection, start worker_threads. `initEngine` is idempotent for the same thread count.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import v8 from 'node:v8';
import { nodeBackend } from './node-backend.js';
import { createEngine, engine, hasEngine, setEngine, type Engine, type Variant } from './wasm.js';

let relaxedFlagSet = false;

/**
 * The kernels are compiled by V8's optimising tier (TurboFan) up front instead of starting in its
 * baseline tier (Liftoff) and being recompiled once hot. The whole module compiles in ~15 ms, while
 * a kernel left in Liftoff ran 2–4× slower for seconds: under load conv2d_bwd_data of a stride-2
 * conv took 8.6 ms per call against 4.0 ms, so short runs (bench, the first steps of train) were
 * slowed at random. Same arithmetic either way (the quick check's model hash does not change).
 */
v8.setFlagsFromString('--no-liftoff');

/** Reads both builds and returns the best one this runtime can compile. */
export function pickBuild(read: (name: string) => Uint8Array<ArrayBuffer>, allowRelaxed = true): { bytes: Uint8Array<ArrayBuffer>; variant: Variant } {
  const relaxed = read('kernels-relaxed.wasm');
  if (allowRelaxed && validatesRelaxed(relaxed)) return { bytes: relaxed, variant: 'relaxed' };
  return { bytes: read('kernels-simd.wasm'), variant: 'simd' };
}

/**
 * Node 20 has relaxed SIMD behind a V8 flag; Node 22 and later have it on and no longer know the
 * flag (V8 then prints "unrecognized flag" on stderr), so the flag is set only when needed.
 */
function validatesRelaxed(bytes: Uint8Array<ArrayBuffer>): boolean {
  if (WebAssembly.validate(bytes)) return true;
  if (relaxedFlagSet) return false;
  relaxedFlagSet = true;
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WebAssembly.validate(bytes);
}

export function buildDir(): string {
  return fileURLToPath(new URL('../../../build/', import.meta.url));
}

export interface EngineOptions {
  threads?: number;
  /** Force the plain SIMD128 build (for tests and benchmarks). */
  variant?: Variant;
}

/** Starts (or returns) the process-wide engine. A different thread count or variant restarts it. */
export function initEngine(opts: EngineOptions = {}): Engine {
  const threads = opts.threads ?? defaultThreads();
  if (hasEngine()) {
    const e = engine();
    if (e.pool.size === threads && (opts.variant === undefined || opts.variant === e.variant)) return e;
  }
  const dir = buildDir();
  const { bytes, variant } = pickBuild((name) => new Uint8Array(readFileSync(dir + name)), opts.variant !== 'simd');
  const e = createEngine(bytes, variant, threads, nodeBackend);
  setEngine(e);
  return e;
}

export function closeEngine(): void {
  setEngine(null);
}

export function defaultThreads(): number {
  const env = Number(process.env.TINY_MNIST_THREADS);
  if (Number.isInteger(env) && env > 0) return env;
  return Math.max(1, Math.min(os.availableParallelism(), 8));
}
