// Browser side of engine start-up: the twin of node.ts. Fetches build/kernels-*.wasm, picks relaxed
// SIMD when WebAssembly.validate accepts it (no V8 flag to set here), starts pool workers as Web
// Workers and waits until they serve. Call it inside a dedicated worker, never on the page's main
// thread: the pool waits with Atomics.wait, which browsers forbid there.
import { createEngine, hasEngine, setEngine, type Engine, type Variant } from './wasm.js';
import { webBackend } from './web-backend.js';

export interface WebEngineOptions {
  /** Folder URL holding kernels-relaxed.wasm and kernels-simd.wasm. */
  wasmBase: string | URL;
  /** URL of the bundled pool worker (web-worker.ts). */
  poolWorker: string | URL;
  threads?: number;
}

/** hardwareConcurrency capped at 4 (a page should leave cores to the rest); 1 without isolation. */
export function defaultWebThreads(): number {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  if (g.crossOriginIsolated !== true) return 1;
  const cores = g.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(4, Math.floor(cores)));
}

async function fetchBytes(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The best build this browser compiles; the plain SIMD128 one is fetched only when needed. */
export async function pickWebBuild(base: string | URL): Promise<{ bytes: Uint8Array<ArrayBuffer>; variant: Variant }> {
  const relaxed = await fetchBytes(new URL('kernels-relaxed.wasm', base));
  if (WebAssembly.validate(relaxed)) return { bytes: relaxed, variant: 'relaxed' };
  const simd = await fetchBytes(new URL('kernels-simd.wasm', base));
  if (!WebAssembly.validate(simd)) throw new Error('this browser lacks WebAssembly SIMD128, which the engine needs');
  return { bytes: simd, variant: 'simd' };
}

/** Starts the worker-wide engine (the one `engine()` returns) and resolves once every thread runs. */
export async function initWebEngine(o: WebEngineOptions): Promise<Engine> {
  if (hasEngine()) setEngine(null);
  const threads = o.threads ?? defaultWebThreads();
  const { bytes, variant } = await pickWebBuild(o.wasmBase);
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new Error('shared WebAssembly memory is unavailable: the page must be served cross-origin isolated (COOP same-origin + COEP require-corp)');
  }
  const backend = webBackend(o.poolWorker);
  const e = createEngine(bytes, variant, threads, backend);
  try {
    await backend.ready();
  } catch (err) {
    e.pool.close();
    throw err;
  }
  setEngine(e);
  return e;
}
