// A small strict flag parser: every flag has a type, a default and a help line; unknown flags,
// missing values and out-of-range numbers are usage errors (exit 2), never silently ignored.
import { UserError } from '../util/errors.js';
import { rangeProblem } from '../util/range.js';

export class UsageError extends UserError {
  override name = 'UsageError';
}

export interface FlagSpec {
  name: string;
  type: 'int' | 'number' | 'string' | 'bool';
  help: string;
  default?: number | string | boolean;
  min?: number;
  max?: number;
  /** min is exclusive (e.g. a learning rate must be > 0). */
  minExclusive?: boolean;
  choices?: readonly string[];
  metavar?: string;
}

export type FlagValues = Record<string, number | string | boolean | undefined>;

/** `given` names the flags that appear on the command line (as opposed to defaults). */
export function parseFlags(cmd: string, argv: readonly string[], specs: readonly FlagSpec[]): { flags: FlagValues; positionals: string[]; given: Set<string> } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: FlagValues = {};
  for (const s of specs) flags[s.name] = s.default;
  const positionals: string[] = [];
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      if (arg === '--') positionals.push(...argv.slice(i + 1));
      else if (arg.startsWith('-') && arg.length > 1) throw new UsageError(`${cmd}: unknown option ${arg} (see tiny-mnist ${cmd} --help)`);
      else positionals.push(arg);
      if (arg === '--') break;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`${cmd}: unknown option --${name} (see tiny-mnist ${cmd} --help)`);
    given.add(name);
    if (spec.type === 'bool') {
      if (eq >= 0) throw new UsageError(`${cmd}: --${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      raw = argv[++i];
      if (raw === undefined || (raw.startsWith('--') && raw.length > 2)) throw new UsageError(`${cmd}: --${name} needs a value`);
    }
    flags[name] = convert(cmd, spec, raw);
  }
  return { flags, positionals, given };
}

function convert(cmd: string, s: FlagSpec, raw: string): number | string {
  if (s.type === 'string') {
    if (raw === '') throw new UsageError(`${cmd}: --${s.name} must not be empty`);
    if (s.choices && !s.choices.includes(raw)) throw new UsageError(`${cmd}: --${s.name} must be one of ${s.choices.join(', ')}, got "${raw}"`);
    return raw;
  }
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v)) throw new UsageError(`${cmd}: --${s.name} must be a number, got "${raw}"`);
  const problem = rangeProblem({ ...s, type: s.type === 'int' ? 'int' : 'number' }, v);
  if (problem) throw new UsageError(`${cmd}: --${s.name} ${problem}, got ${raw}`);
  return v;
}

export function helpText(cmd: string, usage: string, description: string, specs: readonly FlagSpec[]): string {
  const left = (s: FlagSpec) => `  --${s.name}${s.type === 'bool' ? '' : ` ${s.metavar ?? (s.choices ? s.choices.join('|') : s.type === 'string' ? 'VALUE' : 'N')}`}`;
  const width = Math.max(28, ...specs.map((s) => left(s).length)) + 2; // one column for every help line
  const rows = specs.map((s) => {
    const def = s.default === undefined || s.type === 'bool' ? '' : ` (default: ${s.default})`;
    return `${left(s).padEnd(width)} ${s.help}${def}`;
  });
  return [`Usage: tiny-mnist ${cmd} ${usage}`, '', description, '', 'Options:', ...rows, `${'  --help'.padEnd(width)} show this help`].join('\n');
}
