// Checkpoints: everything needed to continue a run bit-for-bit — weights and BatchNorm statistics,
// optimiser slots, the weight average (--ema), schedule position, RNG states and the metrics so far — in one safetensors file
// (tensors + JSON metadata), written atomically so a crash at any moment leaves the last one whole.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import { loadStateDict } from '../io/model-file.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../io/safetensors.js';
import { FileFormatError } from '../util/errors.js';
import type { EpochRecord } from './metrics.js';
import type { Recipe } from './recipe.js';
import type { Trainer } from './trainer.js';

export interface CheckpointMeta {
  epoch: number; // epochs completed
  seed: number;
  recipe: Recipe;
  records: EpochRecord[];
  /** The run this checkpoint belongs to; config.json records the same id (absent in older runs). */
  runId?: string;
  extra?: Record<string, unknown>;
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

export function saveCheckpoint(path: string, t: Trainer, meta: CheckpointMeta): void {
  const tensors: Array<[string, NamedTensor]> = t.model.stateDict().map(([n, x]) => [`model.${n}`, { shape: [...x.shape], data: x.toArray() }]);
  const opt = t.optimizer.state();
  for (const [slot, list] of Object.entries(opt.slots)) {
    list.forEach((a, i) => tensors.push([`optim.${slot}.${i}`, { shape: [a.length], data: a }]));
  }
  t.ema?.shadow.forEach((a, i) => tensors.push([`ema.${i}`, { shape: [a.length], data: a }]));
  const state = {
    ...meta,
    step: t.step,
    optimizer: { kind: opt.kind, step: opt.step, lr: opt.lr, momentum: opt.momentum },
    rngs: { data: t.rngs.data.getState(), augment: t.rngs.augment.getState(), dropout: t.rngs.dropout.getState() },
  };
  writeFileAtomic(path, encodeSafetensors(tensors, { tiny_mnist_checkpoint: JSON.stringify(state) }));
}

/** Restores `t` in place from a checkpoint file and returns its metadata. */
export function loadCheckpoint(path: string, t: Trainer): CheckpointMeta {
  const { tensors, metadata } = decodeSafetensors(readFileSync(path), path);
  const raw = metadata.tiny_mnist_checkpoint;
  if (!raw) throw new FileFormatError(path, 'not a tiny-mnist checkpoint (no tiny_mnist_checkpoint metadata)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new FileFormatError(path, `checkpoint metadata is not valid JSON: ${(e as Error).message}`);
  }
  const state = parsed as CheckpointMeta & {
    step: number;
    optimizer: { kind: string; step: number; lr: number; momentum: number };
    rngs: { data: number[]; augment: number[]; dropout: number[] };
  };
  if (typeof state !== 'object' || state === null || !Number.isSafeInteger(state.epoch) || !Array.isArray(state.records) || !state.rngs || !state.optimizer) {
    throw new FileFormatError(path, 'checkpoint metadata lacks the epoch, records, optimiser or RNG state');
  }
  const model = new Map<string, NamedTensor>();
  const slots: Record<string, Float32Array[]> = {};
  const ema: Float32Array[] = [];
  for (const [name, x] of tensors) {
    if (name.startsWith('model.')) model.set(name.slice(6), x);
    else if (name.startsWith('ema.')) ema[Number(name.slice(4))] = x.data;
    else if (name.startsWith('optim.')) {
      const [, slot, idx] = name.split('.');
      (slots[slot!] ??= [])[Number(idx)] = x.data;
    }
  }
  loadStateDict(t.model, model, path);
  t.optimizer.loadState({ ...state.optimizer, slots });
  if (t.ema) {
    const sh = t.ema.shadow;
    if (ema.length !== sh.length || sh.some((s, i) => ema[i]?.length !== s.length)) throw new FileFormatError(path, `the weight average (--ema) has ${ema.length} tensors in the checkpoint, the model ${sh.length}`);
    sh.forEach((s, i) => s.set(ema[i]!));
  }
  t.step = state.step;
  t.rngs.data.setState(nullToNaN(state.rngs.data));
  t.rngs.augment.setState(nullToNaN(state.rngs.augment));
  t.rngs.dropout.setState(nullToNaN(state.rngs.dropout));
  return { epoch: state.epoch, seed: state.seed, recipe: state.recipe, records: state.records, runId: state.runId, extra: state.extra };
}

// JSON turns NaN (no spare normal in the RNG) into null.
function nullToNaN(a: Array<number | null>): number[] {
  return a.map((v) => (v === null ? NaN : v));
}
