// Checks made before a run writes anything: that the images fit the network, and that one training
// step at the recipe's batch size fits the engine's wasm memory (2 GiB). Both come from probing a
// throwaway copy of the network with blank images at two batch sizes (64 and 128): the memory of a
// step grows linearly with the batch from there on, so two points give the slope. The copy and
// everything it allocated are released afterwards; the real trainer, its RNGs and weights are never
// touched, so a run's numbers do not change.
import { KernelError } from '../engine/pool.js';
import { engine, MAX_MEMORY_BYTES, WasmAbort } from '../engine/wasm.js';
import { buildModel, type ArchSpec } from '../models/index.js';
import { fuse } from '../nn/fuse.js';
import { nllLoss } from '../ops/loss.js';
import { Tensor } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { Recipe } from './recipe.js';

/** Room kept for evaluation (batch 250, no gradients) and the trainer's own parameters and slots. */
const HEADROOM = 64 * 1024 * 1024;

export interface MemoryPlan {
  /** Bytes one training step needs above what is in use now, at the recipe's batch size. */
  stepBytes: number;
  perImageBytes: number;
  /** The largest batch that fits. */
  maxBatch: number;
}

/** One training step (forward, loss, backward) of `model` on B blank images; returns the peak offset. */
function probeStep(spec: ArchSpec, recipe: Recipe, B: number, height: number, width: number): number {
  const e = engine();
  return e.arena.peakDuring(() => {
    const model = fuse(buildModel(spec, { initRng: new Rng(0), dropoutRng: new Rng(0), dropout: recipe.dropout ?? undefined, input: [1, height, width] }));
    model.train();
    const logp = model.forward(Tensor.zeros([B, 1, height, width]));
    nllLoss(logp, new Int32Array(B), recipe.labelSmoothing).backward();
  });
}

/**
 * Throws UserError naming the cause and what to do when the images do not fit `recipe.arch` or a
 * batch of `recipe.batchSize` does not fit in memory. `what` names the data in messages.
 */
export function preflight(spec: ArchSpec, recipe: Recipe, height: number, width: number, what: string): MemoryPlan {
  const e = engine();
  const mark = e.arena.mark();
  const B = recipe.batchSize;
  // Up to 128 the probe is the step itself. Above, the memory grows linearly from 128 on
  // (measured for seed16k: 419 KiB per image from 128 to 4096; below 128 some kernels pick other
  // tilings, so the slope is taken between 64 and 128, never lower).
  const b1 = B <= 128 ? B : 64, b2 = B <= 128 ? B : 128;
  let p1: number, p2: number;
  try {
    p1 = probeStep(spec, recipe, b1, height, width);
    e.arena.release(mark);
    p2 = b2 === b1 ? p1 : probeStep(spec, recipe, b2, height, width);
  } catch (err) {
    // An op's shape check is the images' fault; a kernel that traps or fails on a worker is a bug, never the data's.
    if (err instanceof UserError || !(err instanceof Error) || /out of memory/.test(err.message) || isKernelFailure(err)) throw err;
    throw new UserError(`${what}: images are ${height}x${width}, which the network ${recipe.arch} cannot take (${err.message})`);
  } finally {
    e.arena.release(mark);
  }
  const perImage = b2 === b1 ? (p1 - mark) / b1 : (p2 - p1) / (b2 - b1);
  const stepBytes = p2 - mark + (B - b2) * perImage;
  const room = MAX_MEMORY_BYTES - mark - HEADROOM;
  const maxBatch = Math.max(0, b2 + Math.floor((room - (p2 - mark)) / perImage));
  if (stepBytes > room) {
    const gb = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
    const hint = maxBatch >= 1 ? `use --batch-size ${maxBatch} or less` : 'use smaller images or a smaller network';
    throw new UserError(`--batch-size ${B} needs about ${gb(stepBytes)} of engine memory for one training step (${Math.round(perImage / 1024)} KiB per ${height}x${width} image), and the engine has ${MAX_MEMORY_BYTES / 2 ** 30} GiB in all; ${hint}`);
  }
  return { stepBytes, perImageBytes: perImage, maxBatch };
}

/** A failure inside wasm (a trap or abort on the calling thread, or any failure on a worker). */
export function isKernelFailure(err: Error): boolean {
  return err instanceof KernelError || err instanceof WebAssembly.RuntimeError || err instanceof WasmAbort;
}
