// Side-by-side benchmark with PyTorch on the same CPU: ours (`tiny-mnist bench --json` in a child
// process, so its peak RSS is its own) and bench/torch_reference.py alternate A B A B … for a few
// rounds; each figure is the median over rounds. The ratios are paired: each round's ours / theirs
// (two runs seconds apart), then the median of those, so a busy stretch that slows both sides of a
// round cancels out instead of landing on one side of a ratio of medians. Without PyTorch, ours alone.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArchSpec } from '../models/index.js';
import type { BenchResult } from './bench.js';
import { describeMachine, machineInfo } from '../util/machine.js';
import type { UnpaddedConv } from '../kernels/conv.js';

export interface VsTorchResult {
  machine: string;
  threads: number;
  rounds: number;
  /** Untimed training steps on each side before the timed ones. */
  warmup: number;
  train_images_per_s: number;
  eval_images_per_s: number;
  ms_per_step: number;
  peak_rss_mb: number;
  torch_train_images_per_s: number | null;
  torch_eval_images_per_s: number | null;
  torch_ms_per_step: number | null;
  torch_peak_rss_mb: number | null;
  /** Median over rounds of that round's ours / PyTorch (images per second). */
  ratio_train: number | null;
  ratio_eval: number | null;
  /** Each round's training ratio, in round order (the spread behind ratio_train). */
  ratio_train_rounds: number[] | null;
  /** How our side computed unpadded 3×3 convs (the architecture's recipe; see BenchResult). */
  unpadded_conv: UnpaddedConv;
  torch_unavailable?: string;
}

interface TorchRun {
  ms_per_step: number;
  train_images_per_s: number;
  eval_images_per_s: number;
  peak_rss_mb: number;
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TORCH_PYTHON = process.env.TINY_MNIST_PYTHON ?? '/usr/bin/python3';

/** Quantile q (0–1) of xs by linear interpolation between order statistics (numpy's default). */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q, lo = Math.floor(at), hi = Math.ceil(at);
  return s[lo]! + (s[hi]! - s[lo]!) * (at - lo);
}

/** The middle value, or the mean of the middle two. */
const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** Per-round ratios ours[i] / theirs[i] of two series measured in alternation, and their median. */
export function pairedRatios(ours: readonly number[], theirs: readonly number[]): { rounds: number[]; median: number } {
  if (ours.length !== theirs.length || ours.length === 0) throw new Error(`pairedRatios: ${ours.length} and ${theirs.length} rounds`);
  const rounds = ours.map((o, i) => o / theirs[i]!);
  return { rounds, median: median(rounds) };
}

/**
 * A warning when the rounds' ratios disagree by more than 25% (largest / smallest): the machine was
 * busy for part of the measurement, so the median is less certain than it looks. null otherwise.
 */
export function spreadWarning(rounds: readonly number[]): string | null {
  if (rounds.length < 2) return null;
  const hi = Math.max(...rounds), lo = Math.min(...rounds);
  return hi / lo > 1.25 ? `the rounds' ratios disagree by ${Math.round((hi / lo - 1) * 100)}% (the machine was busy for part of the run): measure again in a quiet moment` : null;
}

/** `tiny-mnist bench --threads N --json` in a child process (its peak RSS is its own). */
export function benchInChild(threads: number, steps: number, variant?: string, profile = true, arch?: string, warmup = 2): BenchResult {
  const args = ['bench', '--threads', String(threads), '--steps', String(steps), '--warmup', String(warmup), '--json', ...(variant ? ['--variant', variant] : []), ...(profile ? [] : ['--no-profile']),
    ...(arch ? ['--arch', arch] : [])];
  const r = spawnSync(process.execPath, [`${ROOT}bin/tiny-mnist.js`, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tiny-mnist bench failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as BenchResult[])[0]!;
}

/** PyTorch's figures, or the reason it cannot run (not installed, script failed). */
function runTorch(threads: number, steps: number, archFile: string, warmup: number): TorchRun | string {
  const r = spawnSync(TORCH_PYTHON, [`${ROOT}bench/torch_reference.py`, '--threads', String(threads), '--steps', String(steps), '--warmup', String(warmup), '--arch', archFile],
    { encoding: 'utf8' });
  if (r.error) return `${TORCH_PYTHON} not found`;
  if (r.status !== 0) {
    return /No module named .?torch/.test(r.stderr) ? `PyTorch is not installed for ${TORCH_PYTHON} (apt-get install python3-torch)` : `torch_reference.py failed: ${r.stderr.trim().split('\n').pop()}`;
  }
  return JSON.parse(r.stdout) as TorchRun;
}

/** fn(file) with the normalised spec in a temporary file, removed afterwards: both sides build the same net from it. */
export async function withSpecFile<T>(spec: ArchSpec, fn: (file: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-bench-'));
  const archFile = path.join(dir, `${spec.name}.json`);
  writeFileSync(archFile, JSON.stringify(spec));
  try {
    return await fn(archFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The alternating rounds, both sides building the net from archFile (withSpecFile). */
export function benchVsTorch(threads: number, steps: number, rounds: number, archFile: string, warmup = 2): VsTorchResult {
  const ours: BenchResult[] = [];
  const theirs: TorchRun[] = [];
  let unavailable: string | undefined;
  for (let i = 0; i < rounds; i++) {
    ours.push(benchInChild(threads, steps, undefined, false, archFile, warmup)); // the comparison needs no profile
    if (unavailable === undefined) {
      const t = runTorch(threads, steps, archFile, warmup);
      if (typeof t === 'string') unavailable = t;
      else theirs.push(t);
    }
  }
  const o = { train: median(ours.map((r) => r.trainImagesPerSecond)), eval: median(ours.map((r) => r.evalImagesPerSecond)) };
  const t = theirs.length ? { train: median(theirs.map((r) => r.train_images_per_s)), eval: median(theirs.map((r) => r.eval_images_per_s)) } : null;
  const paired = (pick: (r: BenchResult) => number, pickTorch: (r: TorchRun) => number) =>
    theirs.length ? pairedRatios(ours.map(pick), theirs.map(pickTorch)) : null;
  const train = paired((r) => r.trainImagesPerSecond, (r) => r.train_images_per_s);
  const evalR = paired((r) => r.evalImagesPerSecond, (r) => r.eval_images_per_s);
  return {
    machine: describeMachine(machineInfo()),
    threads, rounds, warmup,
    train_images_per_s: o.train,
    eval_images_per_s: o.eval,
    ms_per_step: median(ours.map((r) => r.msPerStep)),
    peak_rss_mb: Math.max(...ours.map((r) => r.peakRssMB)),
    torch_train_images_per_s: t?.train ?? null,
    torch_eval_images_per_s: t?.eval ?? null,
    torch_ms_per_step: theirs.length ? median(theirs.map((r) => r.ms_per_step)) : null,
    torch_peak_rss_mb: theirs.length ? Math.max(...theirs.map((r) => r.peak_rss_mb)) : null,
    ratio_train: train?.median ?? null,
    ratio_eval: evalR?.median ?? null,
    ratio_train_rounds: train?.rounds ?? null,
    unpadded_conv: ours[0]!.unpaddedConv,
    ...(unavailable ? { torch_unavailable: unavailable } : {}),
  };
}
