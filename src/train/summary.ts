// Many runs side by side (`train --seeds`, `tiny-mnist compare`): each run folder's final epoch read
// back from its metrics.csv and config.json, the spread over runs (mean, min, max, sample standard
// deviation), and the same as a terminal table, summary.json, summary.csv and summary.svg.
// Reads finished folders only; it never trains and never prints.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { UserError } from '../util/errors.js';
import { parseMetricsCsv, type EpochRecord } from './metrics.js';
import { errorCurvesSvg } from './plot.js';

export interface RunRow {
  dir: string;
  arch: string;
  seed: number | null;
  /** The last epoch metrics.csv records (the final epoch of a finished run). */
  epochs: number;
  testAcc: number;
  /** Only when the run had a validation split. */
  valAcc: number | null;
  records: EpochRecord[];
}

/** Spread over runs; std is the sample standard deviation (n−1), null for a single run. */
export interface Stats {
  n: number;
  mean: number;
  min: number;
  max: number;
  std: number | null;
}

export interface RunsSummary {
  runs: RunRow[];
  test: Stats;
  /** Over the runs' final val accuracy, when every run had a validation split. */
  val: Stats | null;
}

export function stats(values: number[]): Stats {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { n, mean, min: Math.min(...values), max: Math.max(...values), std: n > 1 ? Math.sqrt(ss / (n - 1)) : null };
}

/** One run folder: its metrics.csv (required) and config.json (for arch and seed, if present). */
export function readRun(dir: string): RunRow {
  const csv = path.join(dir, 'metrics.csv');
  if (!existsSync(csv)) throw new UserError(`${csv}: no such file (expected a run folder written by tiny-mnist train, or a --seeds folder of them)`);
  const records = parseMetricsCsv(readFileSync(csv, 'utf8'), csv);
  let cfg: { arch?: unknown; seed?: unknown } = {};
  const cfgFile = path.join(dir, 'config.json');
  if (existsSync(cfgFile)) {
    try {
      cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as typeof cfg;
    } catch (e) {
      throw new UserError(`${cfgFile}: not valid JSON (${(e as Error).message})`);
    }
  }
  const last = records[records.length - 1]!;
  if (!Number.isFinite(last.testAcc)) {
    throw new UserError(`${csv}: its last epoch (${last.epoch}) was not scored (--test-every): the run did not finish; train --resume ${dir} finishes and scores it`);
  }
  return {
    dir, arch: typeof cfg.arch === 'string' ? cfg.arch : '?', seed: typeof cfg.seed === 'number' ? cfg.seed : null,
    epochs: last.epoch, testAcc: last.testAcc, valAcc: last.valAcc ?? null, records,
  };
}

/** A run folder stands for itself; a folder without metrics.csv for the run folders directly in it (a --seeds parent). */
export function expandRunDirs(dirs: string[]): string[] {
  const out: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: no such folder`);
    if (existsSync(path.join(dir, 'metrics.csv'))) { out.push(dir); continue; }
    const kids = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'metrics.csv')))
      .map((e) => e.name)
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (kids.length === 0) throw new UserError(`${dir}: neither a run folder (no metrics.csv) nor a folder of runs`);
    out.push(...kids.map((k) => path.join(dir, k)));
  }
  return out;
}

export function summarizeRuns(runs: RunRow[]): RunsSummary {
  if (runs.length === 0) throw new UserError('no runs to summarise');
  const vals = runs.map((r) => r.valAcc);
  const val = vals.every((v): v is number => v !== null) ? stats(vals) : null;
  return { runs, test: stats(runs.map((r) => r.testAcc)), val };
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '' : `${v.toFixed(2)}%`);

/** The terminal table: one row per run, then mean, min, max and the sample standard deviation. */
export function summaryTable(s: RunsSummary): string {
  const rows: string[][] = [['run', 'arch', 'seed', 'epochs', 'test acc', ...(s.val ? ['val acc'] : [])]];
  for (const r of s.runs) rows.push([r.dir, r.arch, r.seed === null ? '?' : String(r.seed), String(r.epochs), pct(r.testAcc), ...(s.val ? [pct(r.valAcc)] : [])]);
  const line = (name: string, f: (x: Stats) => number | null) => [name, '', '', '', pct(f(s.test)), ...(s.val ? [pct(f(s.val))] : [])];
  rows.push(line(`mean of ${s.test.n}`, (x) => x.mean), line('min', (x) => x.min), line('max', (x) => x.max));
  rows.push(line('std (sample, n-1)', (x) => x.std));
  const width = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const fmt = (r: string[]) => r.map((v, c) => (c >= 4 ? v.padStart(width[c]!) : v.padEnd(width[c]!))).join('  ').trimEnd();
  const body = rows.map(fmt);
  body.splice(1, 0, width.map((w) => '-'.repeat(w)).join('  '));
  body.splice(2 + s.runs.length, 0, width.map((w) => '-'.repeat(w)).join('  '));
  return body.join('\n');
}

export function summaryJson(s: RunsSummary): object {
  return {
    std: 'sample standard deviation (n-1); null for one run',
    test: s.test, val: s.val,
    runs: s.runs.map((r) => ({ dir: r.dir, arch: r.arch, seed: r.seed, epochs: r.epochs, testAcc: r.testAcc, valAcc: r.valAcc })),
  };
}

export function summaryCsv(s: RunsSummary): string {
  const num = (v: number | null) => (v === null ? '' : v.toFixed(4));
  const rows = ['run,arch,seed,epochs,test_acc,val_acc'];
  for (const r of s.runs) rows.push([JSON.stringify(r.dir), r.arch, r.seed ?? '', r.epochs, num(r.testAcc), num(r.valAcc)].join(','));
  for (const [name, f] of [['mean', (x: Stats) => x.mean], ['min', (x: Stats) => x.min], ['max', (x: Stats) => x.max], ['std_sample', (x: Stats) => x.std]] as const) {
    rows.push([name, '', '', '', num(f(s.test)), num(s.val ? f(s.val) : null)].join(','));
  }
  return rows.join('\n') + '\n';
}

/** Every run's test-error curve on one log-scale plot. */
export function summarySvg(s: RunsSummary, title: string): string {
  return errorCurvesSvg(s.runs.map((r) => ({ name: `${r.seed === null ? path.basename(r.dir) : `seed ${r.seed}`}: ${pct(r.testAcc)}`, records: r.records })), title);
}

/** Writes summary.json, summary.csv and summary.svg into `dir` (runs named relative to it); returns the files. */
export function writeSummary(dir: string, summary: RunsSummary, title: string): string[] {
  const s = { ...summary, runs: summary.runs.map((r) => ({ ...r, dir: path.relative(dir, r.dir) || '.' })) };
  const files: Array<[string, string]> = [
    ['summary.json', JSON.stringify(summaryJson(s), null, 2) + '\n'],
    ['summary.csv', summaryCsv(s)],
    ['summary.svg', summarySvg(s, title)],
  ];
  for (const [name, text] of files) writeFileAtomic(path.join(dir, name), text);
  return files.map(([name]) => path.join(dir, name));
}
