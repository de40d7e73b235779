// Web Worker entry of the thread pool: the browser twin of worker.ts. Waits for one start message,
// instantiates the kernels on the shared memory, says it is ready, then serves the mailbox forever
// (Atomics.wait blocks this worker, which browsers allow off the main thread).
import { serveMailbox } from './pool.js';
import { instantiate } from './wasm.js';
import type { PoolWorkerReady, PoolWorkerStart } from './web-backend.js';

// Typed locally: the project compiles with the DOM library, where `self` is a Window.
const scope = globalThis as unknown as {
  onmessage: ((ev: MessageEvent<PoolWorkerStart>) => void) | null;
  postMessage(message: PoolWorkerReady): void;
};

scope.onmessage = (ev) => {
  scope.onmessage = null;
  const { index, module, memory, names } = ev.data;
  const k = instantiate(module, memory);
  scope.postMessage({ ready: index });
  serveMailbox(index, k, names, memory);
};
