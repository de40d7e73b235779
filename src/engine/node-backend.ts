// Starts pool workers as Node worker_threads. unref() lets the process exit while they sleep.
import { Worker } from 'node:worker_threads';
import type { PoolBackend } from './pool.js';

export const nodeBackend: PoolBackend = {
  spawn(index, module, memory, names) {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { index, module, memory, names } });
    worker.unref();
    return { terminate: () => void worker.terminate() };
  },
};
