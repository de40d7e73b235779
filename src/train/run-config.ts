// config.json of a run folder: what --resume needs to continue the same run (run id, recipe, seed,
// data, target epochs), read strictly: a missing or damaged file is one line naming it, never a crash.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArchSpec, zooSpec, type ArchSpec } from '../models/index.js';
import { UserError } from '../util/errors.js';
import type { Recipe } from './recipe.js';

export interface RunConfig {
  /** Also recorded in the checkpoint; absent in runs made before run ids existed. */
  runId?: string;
  /** The architecture; runs recorded before specs existed hold only recipe.arch, a zoo name. */
  spec: ArchSpec;
  recipe: Recipe;
  seed: number;
  /** Last epoch to train to; recipe.epochs (the schedule's length) when absent. */
  epochs?: number;
  /** Training images held out for validation (--val); absent: none. */
  val?: number;
  options: { dataDir?: string; limitTrain?: number; limitTest?: number };
}

/** Reads `dir`/config.json; returns the checked fields and the whole object (to rewrite it). */
export function readRunConfig(dir: string): RunConfig & { raw: Record<string, unknown> } {
  const file = path.join(dir, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !existsSync(dir)) throw new UserError(`${dir}: no such folder, so no run to resume`);
    if (code === 'ENOENT') throw new UserError(`${dir}: no config.json, so not a tiny-mnist run folder to resume`);
    throw new UserError(`${file}: cannot read (${code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message}); the run cannot be resumed`);
  }
  const c = raw as Partial<RunConfig> | null;
  const ok = typeof c === 'object' && c !== null && typeof c.recipe === 'object' && c.recipe !== null
    && typeof c.recipe.arch === 'string' && Number.isSafeInteger(c.recipe.epochs) && Number.isSafeInteger(c.seed)
    && typeof c.options === 'object' && c.options !== null
    && (c.runId === undefined || typeof c.runId === 'string') && (c.epochs === undefined || Number.isSafeInteger(c.epochs))
    && (c.val === undefined || (Number.isSafeInteger(c.val) && c.val > 0));
  if (!ok) throw new UserError(`${file}: not a tiny-mnist run configuration (needs recipe, seed and options); the run cannot be resumed`);
  // Runs recorded before bnRecalibrate existed evaluated with momentum statistics; before translate
  // and scale existed, augmentation was rotation and jitter only; before ema, the last weights scored.
  const recipe = { ...c.recipe!, bnRecalibrate: c.recipe!.bnRecalibrate ?? 0, translate: c.recipe!.translate ?? 0, scale: c.recipe!.scale ?? 0, ema: c.recipe!.ema ?? 0 };
  const spec = c.spec !== undefined ? parseArchSpec(c.spec, `${file} (spec)`) : zooSpec(recipe.arch);
  return { runId: c.runId, spec, recipe, seed: c.seed!, epochs: c.epochs, val: c.val, options: c.options!, raw: raw as Record<string, unknown> };
}
