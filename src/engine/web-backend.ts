// Starts pool workers as Web Workers: the browser twin of node-backend.ts. A new worker only starts
// once its creator returns to the event loop, so `ready()` resolves when every spawned worker has
// instantiated the kernels; the engine must not run a kernel on the pool before that.
// It does not pick the wasm build or create the engine (web.ts does).
import type { PoolBackend } from './pool.js';

/** What a pool worker is sent once, right after it starts (see web-worker.ts). */
export interface PoolWorkerStart {
  index: number;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  names: string[];
}

/** What a pool worker answers once it serves its mailbox. */
export interface PoolWorkerReady {
  ready: number;
}

export interface WebPoolBackend extends PoolBackend {
  /** Resolves when all workers spawned so far are serving; rejects if one failed to start. */
  ready(): Promise<void>;
}

/** `script` is the URL of the bundled web-worker.ts (a classic, not module, worker script). */
export function webBackend(script: string | URL): WebPoolBackend {
  const started: Array<Promise<void>> = [];
  return {
    spawn(index, module, memory, names) {
      const worker = new Worker(script, { name: `tiny-mnist pool ${index}` });
      started.push(
        new Promise<void>((resolve, reject) => {
          worker.onmessage = (ev: MessageEvent<PoolWorkerReady>) => {
            if (ev.data.ready === index) resolve();
          };
          worker.onerror = (ev: ErrorEvent) => {
            ev.preventDefault();
            reject(new Error(`pool worker ${index} failed to start: ${ev.message || 'could not load ' + String(script)}`));
          };
        }),
      );
      const start: PoolWorkerStart = { index, module, memory, names };
      worker.postMessage(start);
      return { terminate: () => worker.terminate() };
    },
    ready: async () => {
      await Promise.all(started);
    },
  };
}
