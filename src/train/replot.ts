// The curves of a run, drawn the same way during training (run.ts) and afterwards from a run folder
// (`tiny-mnist plot DIR`, which redraws curves.svg from metrics.csv and config.json).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { UserError } from '../util/errors.js';
import { parseMetricsCsv, type EpochRecord } from './metrics.js';
import { curvesSvg } from './plot.js';
import { DEFAULT_RECIPE, type Recipe } from './recipe.js';
import { learningRateCurve, stepsPerEpoch } from './trainer.js';

/** curves.svg of a run: the recipe and the steps per epoch give the per-step learning rate. */
export function runCurvesSvg(records: EpochRecord[], recipe: Recipe, seed: number, stepsPerEpoch: number): string {
  const last = records[records.length - 1];
  // A run between scorings (--test-every) has no final figure yet.
  const title = `${recipe.arch}, seed ${seed}${last && Number.isFinite(last.testAcc) ? `: final test accuracy ${last.testAcc.toFixed(2)}%` : ''}`;
  const lrCurve = learningRateCurve(recipe, stepsPerEpoch);
  return curvesSvg(records, title, { labelSmoothing: recipe.labelSmoothing, lrCurve });
}

/**
 * Redraws DIR/curves.svg from DIR/metrics.csv; with DIR/config.json (recipe, seed, training-set
 * size) the plot names the label smoothing and draws the schedule per step, else the per-epoch lr.
 */
export function redrawCurves(dir: string): { file: string; epochs: number } {
  const csv = path.join(dir, 'metrics.csv');
  if (!existsSync(csv)) throw new UserError(`${csv}: no such file (expected a run folder written by tiny-mnist train)`);
  const records = parseMetricsCsv(readFileSync(csv, 'utf8'), csv);
  const cfgFile = path.join(dir, 'config.json');
  let svg: string;
  if (existsSync(cfgFile)) {
    let cfg: { recipe?: Partial<Recipe>; seed?: number; data?: { train?: number } };
    try {
      cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as typeof cfg;
    } catch (err) {
      throw new UserError(`${cfgFile}: not valid JSON (${(err as Error).message})`);
    }
    const recipe: Recipe = { ...DEFAULT_RECIPE, ...cfg.recipe };
    const train = cfg.data?.train;
    svg = train && train > 0 ? runCurvesSvg(records, recipe, cfg.seed ?? 0, stepsPerEpoch(train, recipe.batchSize))
      : curvesSvg(records, `${recipe.arch}, seed ${cfg.seed ?? '?'}`, { labelSmoothing: recipe.labelSmoothing });
  } else {
    svg = curvesSvg(records, path.basename(path.resolve(dir)));
  }
  const file = path.join(dir, 'curves.svg');
  writeFileAtomic(file, svg);
  return { file, epochs: records.length };
}
