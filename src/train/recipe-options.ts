// The recipe's settings by the names `tiny-mnist train` gives them as flags (--lr, --label-smoothing…):
// one table for the CLI's flags and for the "recipe" block of an architecture file, which takes the
// same names and the same ranges, so a zoo entry's default recipe is written as the flags a user would
// type. Pure data and checks: no CLI, no files.
import { rangeProblem } from '../util/range.js';
import type { Recipe } from './recipe.js';

export interface RecipeOption {
  /** The flag's name without "--", and the key in an architecture's "recipe" block. */
  flag: string;
  type: 'int' | 'number' | 'string' | 'bool';
  min?: number;
  max?: number;
  /** min is exclusive (a learning rate must be > 0). */
  minExclusive?: boolean;
  choices?: readonly string[];
  help: string;
  /** The recipe fields it sets (jitter sets brightness and contrast). */
  fields: readonly (keyof Recipe)[];
}

export const RECIPE_OPTIONS: readonly RecipeOption[] = [
  { flag: 'epochs', type: 'int', min: 1, max: 10000, help: 'number of epochs', fields: ['epochs'] },
  { flag: 'batch-size', type: 'int', min: 1, max: 65536, help: 'training batch size', fields: ['batchSize'] },
  { flag: 'lr', type: 'number', min: 0, minExclusive: true, help: 'peak learning rate (OneCycle max_lr)', fields: ['lr'] },
  { flag: 'optimizer', type: 'string', choices: ['sgd', 'adam', 'adamw'], help: 'optimiser', fields: ['optimizer'] },
  { flag: 'schedule', type: 'string', choices: ['onecycle', 'step', 'constant'], help: 'learning-rate schedule', fields: ['schedule'] },
  { flag: 'step-size', type: 'int', min: 1, help: '--schedule step: multiply the learning rate by --gamma every N epochs', fields: ['stepSize'] },
  { flag: 'gamma', type: 'number', min: 0, minExclusive: true, max: 1, help: '--schedule step: the factor applied every --step-size epochs', fields: ['gamma'] },
  { flag: 'momentum', type: 'number', min: 0, max: 0.999, help: 'SGD momentum (OneCycle cycles it 0.95→0.85→0.95)', fields: ['momentum'] },
  { flag: 'nesterov', type: 'bool', help: 'Nesterov momentum (SGD)', fields: ['nesterov'] },
  { flag: 'weight-decay', type: 'number', min: 0, max: 1, help: 'weight decay', fields: ['weightDecay'] },
  { flag: 'dropout', type: 'number', min: 0, max: 0.95, help: 'dropout probability of every dropout layer', fields: ['dropout'] },
  { flag: 'label-smoothing', type: 'number', min: 0, max: 0.5, help: 'label smoothing', fields: ['labelSmoothing'] },
  { flag: 'bn-recalibrate', type: 'number', min: 0, help: 'training images that re-estimate BatchNorm statistics before each evaluation (0: momentum averages)', fields: ['bnRecalibrate'] },
  { flag: 'rotate', type: 'number', min: 0, max: 180, help: 'random rotation ± degrees', fields: ['rotateDeg'] },
  { flag: 'translate', type: 'int', min: 0, max: 14, help: 'random shift ± whole pixels in x and y (torchvision RandomAffine translate)', fields: ['translate'] },
  { flag: 'scale', type: 'number', min: 0, max: 0.5, help: 'random scale 1 ± N about the centre', fields: ['scale'] },
  { flag: 'elastic', type: 'number', min: 0, max: 4, help: 'random elastic distortion: the displacement field is smooth between a 5x5 grid of control points, each moved ± N pixels (0: off; the default)', fields: ['elastic'] },
  { flag: 'ema', type: 'number', min: 0, max: 0.99999, help: 'average the weights over steps with this decay (e.g. 0.999; needs --bn-recalibrate > 0); evaluations and model.safetensors use the average (0: off)', fields: ['ema'] },
  { flag: 'unpadded-conv', type: 'string', choices: ['winograd', 'im2col'], help: 'how unpadded 3x3 convs compute: winograd (faster; the default) or im2col (the numerics of runs made before 2026-11-28, e.g. the tiny entry\'s records)', fields: ['unpaddedConv'] },
  { flag: 'test-every', type: 'int', min: 1, max: 10000, help: 'score the test set (and --val) only after every N-th epoch and the last; the other epochs leave their test columns empty (the run and its weights are the same for any N)', fields: ['testEvery'] },
  { flag: 'jitter', type: 'number', min: 0, max: 1, help: 'brightness and contrast jitter ±', fields: ['brightness', 'contrast'] },
];

const BY_FLAG = new Map(RECIPE_OPTIONS.map((o) => [o.flag, o]));

/** The problem with value v for option o, or null when it is valid. */
export function recipeValueProblem(o: RecipeOption, v: unknown): string | null {
  if (o.type === 'bool') return typeof v === 'boolean' ? null : 'must be true or false';
  if (o.type === 'string') {
    if (typeof v !== 'string') return 'must be a string';
    return o.choices && !o.choices.includes(v) ? `must be one of ${o.choices.join(', ')}, got "${v}"` : null;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) return `must be a number, got ${JSON.stringify(v)}`;
  const problem = rangeProblem({ ...o, type: o.type }, v);
  return problem ? `${problem}, got ${v}` : null;
}

/**
 * Checks a "recipe" block ({"lr": 0.2, "translate": 2, …}: train's flag names) and returns the
 * recipe fields it sets; `fail` gets the first problem (an unknown name or a value out of range).
 */
export function recipeSettings(block: Readonly<Record<string, unknown>>, fail: (msg: string) => never): Partial<Recipe> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(block)) {
    const o = BY_FLAG.get(k);
    if (!o) fail(`recipe: unknown setting "${k}" (takes ${RECIPE_OPTIONS.map((x) => x.flag).join(', ')})`);
    const problem = recipeValueProblem(o!, v);
    if (problem) fail(`recipe: "${k}" ${problem}`);
    for (const f of o!.fields) out[f] = v;
  }
  return out as Partial<Recipe>;
}
