// One check of a number against a flag's or a recipe setting's type and range, so that the CLI's
// flags (cli/args.ts) and an architecture file's "recipe" block (train/recipe-options.ts), which take
// the same settings, say the same thing about the same value.

export interface NumberRange {
  type: 'int' | 'number';
  min?: number;
  max?: number;
  /** min is exclusive (a learning rate must be > 0). */
  minExclusive?: boolean;
}

/** What is wrong with finite v for r ("must be a whole number", "must be ≥ 1", …), or null. */
export function rangeProblem(r: NumberRange, v: number): string | null {
  if (r.type === 'int' && !Number.isInteger(v)) return 'must be a whole number';
  if (r.min !== undefined && (r.minExclusive ? v <= r.min : v < r.min)) return `must be ${r.minExclusive ? '>' : '≥'} ${r.min}`;
  if (r.max !== undefined && v > r.max) return `must be ≤ ${r.max}`;
  return null;
}
