// The messages between the page (client.ts) and an engine worker (engine-worker.ts), typed once.
// A request is {id, type, args}; the worker answers {id, ok, result | error}, and a training job
// also sends {id, event} updates before its answer. Plain data only: it crosses postMessage.
import type { EpochStats } from '../src/train/trainer.js';

export interface EngineInfo {
  variant: string;
  threads: number;
  isolated: boolean;
}

export interface ModelInfo {
  summary: string;
  params: number;
  /** The architecture's name (from the model file's spec). */
  arch: string;
  /** describe only: the batch size of the architecture's recipe (the training form's default). */
  batchSize?: number;
}

export interface TrainOptions {
  /** Use the first `count` of the served training images. */
  count: number;
  epochs: number;
  batchSize: number;
  seed: number;
  /** The architecture as a spec object (the JSON of a spec file); default: the reference net. */
  spec?: unknown;
}

export type TrainEvent =
  | { kind: 'data'; train: number; test: number }
  | {
      kind: 'progress';
      epoch: number;
      done: number;
      total: number;
      imagesPerSecond: number;
      /** Running mean loss and accuracy (%) of this epoch so far, when the trainer reports them. */
      loss?: number;
      accuracy?: number;
    }
    /** Epoch 0 is the untrained network: test statistics only. `model`: model.safetensors after this epoch (not for epoch 0), kept by the page so that Stop can offer it. */
  | { kind: 'epoch'; epoch: number; train: EpochStats | null; test: EpochStats; seconds: number; model?: ArrayBuffer };

export interface TrainResult {
  /** model.safetensors of the trained network. */
  bytes: ArrayBuffer;
  test: EpochStats;
  seconds: number;
}

/** Each call: its argument and its result. */
export interface Calls {
  init: [{ threads: number }, EngineInfo];
  /** Keeps the model under `name` (a later load with the same name replaces it). */
  load: [{ bytes: ArrayBuffer; name: string }, ModelInfo];
  /** Checks a spec (the JSON of an architecture file) and describes it; errors name the layer. */
  describe: [{ spec: unknown; source: string }, ModelInfo];
  /** pixels: (count,28,28) digits in [0,1], white on black. Returns (count,10) probabilities. */
  classify: [{ model: string; pixels: Float32Array; count: number }, number[][]];
  train: [TrainOptions, TrainResult];
}

export type CallName = keyof Calls;

export interface Request<K extends CallName = CallName> {
  id: number;
  type: K;
  args: Calls[K][0];
}

export type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }
  | { id: number; event: TrainEvent };
