// The page's engine thread (a dedicated Web Worker): starts the wasm engine with its pool of Web
// Workers, holds models by name, classifies digits and runs training jobs. The page never runs kernels
// itself: the pool's Atomics.wait is forbidden on a page's main thread. One worker, one engine.
import { initWebEngine } from '../src/engine/web.js';
import { formatSummary, summarize } from '../src/models/summary.js';
import type { Module } from '../src/nn/module.js';
import { classify, modelFromBytes } from '../src/infer/classify.js';
import { fetchSplit } from './data.js';
import type { CallName, Calls, Reply, Request, TrainEvent } from './protocol.js';
import { trainJob } from './train-job.js';

const scope = globalThis as unknown as {
  location: { href: string };
  crossOriginIsolated: boolean;
  onmessage: ((ev: MessageEvent<Request>) => void) | null;
  postMessage(message: Reply, transfer?: Transferable[]): void;
};
const base = new URL('./', scope.location.href);
const models = new Map<string, Module>();

type Handler<K extends CallName> = (args: Calls[K][0], emit: (e: TrainEvent) => void) => Promise<Calls[K][1]> | Calls[K][1];

const handlers: { [K in CallName]: Handler<K> } = {
  async init({ threads }) {
    const e = await initWebEngine({ wasmBase: base, poolWorker: new URL('pool-worker.js', base), threads });
    return { variant: e.variant, threads: e.pool.size, isolated: scope.crossOriginIsolated };
  },
  load({ bytes, name }) {
    const model = modelFromBytes(new Uint8Array(bytes), name);
    models.set(name, model);
    const s = summarize(model);
    return { summary: formatSummary(s), params: s.totalParams };
  },
  classify({ model: name, pixels, count }) {
    const model = models.get(name);
    if (model === undefined) throw new Error(`classify: no model "${name}" loaded`);
    if (pixels.length !== count * 784) throw new RangeError(`classify: ${pixels.length} values for ${count} digits of 784`);
    const digits = Array.from({ length: count }, (_, n) => pixels.subarray(n * 784, (n + 1) * 784));
    return classify(model, digits);
  },
  async train(o, emit) {
    const [train, test] = await Promise.all([fetchSplit(base, 'train', o.count), fetchSplit(base, 't10k')]);
    return trainJob(o, train, test, emit);
  },
};

// One request at a time, in arrival order: kernels are synchronous and share one arena.
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (ev) => {
  const { id, type, args } = ev.data;
  queue = queue.then(async () => {
    try {
      const handler = handlers[type] as Handler<CallName>;
      const result = await handler(args, (event) => scope.postMessage({ id, event }));
      const transfer = type === 'train' ? [(result as Calls['train'][1]).bytes] : [];
      scope.postMessage({ id, ok: true, result }, transfer);
    } catch (err) {
      scope.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  });
};
