// `tiny-mnist train --seeds LIST`: one child `tiny-mnist train --seed N --out DIR/seed-N --json` per
// seed, --jobs at a time, their epoch lines printed with the seed in front, then the summary over
// seeds (table here; summary.json, .csv and .svg in DIR). Children keep every other flag as given.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatEpoch, type EpochRecord } from '../train/metrics.js';
import type { Recipe } from '../train/recipe.js';
import { makeUniqueDir } from '../train/rundir.js';
import { checkSeedDirs, parseSeeds, runChildren, seedDir } from '../train/seeds.js';
import { expandRunDirs, readRun, summarizeRuns, summaryJson, summaryTable, writeSummary } from '../train/summary.js';
import { existsSync } from 'node:fs';
import { UsageError, type FlagSpec, type FlagValues } from './args.js';
import { timestamp } from './common.js';

/** Flags the parent decides for each child (or that make no sense for one seed). */
const PARENT_ONLY = new Set(['seeds', 'jobs', 'seed', 'out', 'json', 'threads', 'resume']);

function childFlags(f: FlagValues, given: Set<string>, specs: FlagSpec[]): string[] {
  const out: string[] = [];
  for (const s of specs) {
    if (!given.has(s.name) || PARENT_ONLY.has(s.name)) continue;
    out.push(`--${s.name}`);
    if (s.type !== 'bool') out.push(String(f[s.name]));
  }
  return out;
}

export async function trainSeeds(f: FlagValues, given: Set<string>, specs: FlagSpec[], recipe: Recipe): Promise<number> {
  if (given.has('resume')) throw new UsageError('train: --resume of a --seeds folder is not supported; resume each seed\'s folder on its own (tiny-mnist train --resume DIR/seed-N)');
  if (given.has('seed')) throw new UsageError('train: give either --seed or --seeds, not both');
  const seeds = parseSeeds(f.seeds as string);
  const jobs = f.jobs as number;
  const json = f.json === true;
  const threads = (f.threads as number | undefined) ?? (jobs > 1 ? 1 : undefined);
  const explicit = f.out as string | undefined;
  if (explicit !== undefined) checkSeedDirs(explicit, seeds, f.overwrite === true);
  const parent = explicit ?? makeUniqueDir(path.join('runs', `${timestamp()}-seeds`));
  const common = childFlags(f, given, specs);
  const bin = fileURLToPath(new URL('../../../bin/tiny-mnist.js', import.meta.url));
  const command = (seed: number) => [process.execPath, bin, 'train', ...common, '--seed', String(seed), '--out', seedDir(parent, seed),
    ...(threads !== undefined ? ['--threads', String(threads)] : []), '--json'];
  if (!json) console.log(`tiny-mnist: ${recipe.arch}, seeds ${seeds.join(', ')}, ${jobs === 1 ? 'one after another' : `${jobs} at a time`}${threads !== undefined ? ` with ${threads} thread${threads === 1 ? '' : 's'} each` : ''}; runs in ${parent}/seed-N`);

  // Ctrl-C reaches the children too (same process group): they save and stop; start no more seeds.
  let stopped = false;
  const onSigint = () => { stopped = true; };
  process.on('SIGINT', onSigint);
  let results;
  try {
    results = await runChildren(seeds, jobs, command, (seed, line) => {
      let rec: EpochRecord | null = null;
      try { rec = JSON.parse(line) as EpochRecord; } catch { /* not an epoch line */ }
      if (json) console.log(rec ? JSON.stringify({ seed, ...rec }) : line);
      else console.log(`seed ${seed}: ${rec ? formatEpoch(rec) : line}`);
    }, (seed, line) => console.error(`seed ${seed}: ${line}`), () => stopped);
  } finally {
    process.off('SIGINT', onSigint);
  }

  const failed = results.filter((r) => r.code !== 0);
  const ran = seeds.map((s) => seedDir(parent, s)).filter((d) => existsSync(path.join(d, 'metrics.csv')));
  if (ran.length > 0) {
    const summary = summarizeRuns(expandRunDirs(ran).map(readRun));
    const files = writeSummary(parent, summary, `${recipe.arch}, seeds ${f.seeds as string}: test error per epoch`);
    if (json) console.log(JSON.stringify({ summary: summaryJson(summary), files }));
    else console.log(`\n${summaryTable(summary)}\n\nwrote ${files.join(', ')}`);
  }
  if (failed.length > 0) {
    const notRun = seeds.length - results.length;
    console.error(`tiny-mnist train: ${failed.map((r) => `seed ${r.seed} failed (exit ${r.code})`).join(', ')}${notRun > 0 ? `; ${notRun} seed${notRun === 1 ? '' : 's'} not started` : ''}${ran.length > 0 ? '; the summary covers the runs with a finished epoch' : ''}`);
    return stopped || failed.some((r) => r.code === 130) ? 130 : 2;
  }
  if (results.length < seeds.length) return 130;
  return 0;
}
