// Node worker_threads entry: runs kernels for the ThreadPool (see pool.ts).
import { workerData } from 'node:worker_threads';
import { serveMailbox } from './pool.js';
import { instantiate } from './wasm.js';

const { index, module, memory, names } = workerData as {
  index: number;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  names: string[];
};
serveMailbox(index, instantiate(module, memory), names, memory);
