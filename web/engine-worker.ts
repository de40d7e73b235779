// The page's engine thread (a dedicated Web Worker): starts the wasm engine with its pool of Web
// Workers, holds models by name, classifies digits and runs training jobs. The page never runs kernels
// itself: the pool's Atomics.wait is forbidden on a page's main thread. One worker, one engine.
import { initWebEngine } from '../src/engine/web.js';
import { formatSummary, summarize } from '../src/models/summary.js';
import type { Module } from '../src/nn/module.js';
import { classify, loadModelBytes } from '../src/infer/classify.js';
import { buildModel, parseArchSpec, type ArchSpec } from '../src/models/index.js';
import { formatLayerTable } from '../src/models/summary.js';
import { recipeOf } from '../src/train/recipe.js';
import { Rng } from '../src/util/rng.js';
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

/** The summary the page shows: torchsummary's table and the receptive fields and multiply-adds. */
function describe(model: Module, spec: ArchSpec): { summary: string; params: number; arch: string } {
  const s = summarize(model, spec);
  return { summary: `${formatSummary(s)}\n\n${formatLayerTable(s)}`, params: s.totalParams, arch: spec.name };
}

type Handler<K extends CallName> = (args: Calls[K][0], emit: (e: TrainEvent) => void) => Promise<Calls[K][1]> | Calls[K][1];

const handlers: { [K in CallName]: Handler<K> } = {
  async init({ threads }) {
    const e = await initWebEngine({ wasmBase: base, poolWorker: new URL('pool-worker.js', base), threads });
    return { variant: e.variant, threads: e.pool.size, isolated: scope.crossOriginIsolated };
  },
  load({ bytes, name }) {
    const { model, spec } = loadModelBytes(new Uint8Array(bytes), name);
    models.set(name, model);
    return describe(model, spec);
  },
  describe({ spec, source }) {
    const s = parseArchSpec(spec, source);
    return { ...describe(buildModel(s, { initRng: new Rng(0), dropoutRng: new Rng(0) }), s), batchSize: recipeOf(s).batchSize };
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
