// `tiny-mnist bench`: training and evaluation speed of the reference network, 1 and 2 threads,
// with a per-phase and per-kernel profile; `--vs-torch` runs PyTorch's side by side.
import os from 'node:os';
import { BENCH_TRAIN_IMAGES, benchStepsProblem, benchTraining, type BenchResult } from '../bench/bench.js';
import { benchBursts, type BurstsResult } from '../bench/bursts.js';
import { benchInChild, benchVsTorch, spreadWarning, withSpecFile, type VsTorchResult } from '../bench/vs-torch.js';
import { helpText, parseFlags, UsageError } from './args.js';
import { loadArch } from '../io/arch-file.js';
import { ARCH, JSON_FLAG, MAX_THREADS } from './common.js';
import type { Command } from './main.js';
import type { UnpaddedConv } from '../kernels/conv.js';

const SPECS = [
  { name: 'threads', type: 'int' as const, min: 1, max: MAX_THREADS, help: 'measure only this thread count (default: 1 and all cores; --vs-torch: all cores)' },
  { name: 'steps', type: 'int' as const, default: 30, min: 1, max: 10000, help: 'timed training steps per measurement' },
  { name: 'variant', type: 'string' as const, choices: ['relaxed', 'simd'], help: 'force a kernel build (default: best available)' },
  { name: 'vs-torch', type: 'bool' as const, help: 'alternate with bench/torch_reference.py (PyTorch) and print both, with ratios' },
  { name: 'rounds', type: 'int' as const, default: 3, min: 1, max: 50, help: 'with --vs-torch: A B rounds (figures are medians)' },
  { name: 'warmup', type: 'int' as const, default: 2, min: 0, max: 10000, help: 'untimed training steps before the timed ones, on both sides with --vs-torch (PyTorch slows as training goes on: see docs)' },
  { name: 'bursts', type: 'int' as const, default: 0, min: 0, max: 200, help: 'with --vs-torch: then N training bursts with both sides resident, taking turns (the tighter ratio on a busy machine)' },
  { name: 'burst-steps', type: 'int' as const, default: 10, min: 1, max: 1000, help: 'with --bursts: training steps per burst' },
  { name: 'no-profile', type: 'bool' as const, help: 'time only: skip the per-phase, per-kernel and per-layer profile (--vs-torch always skips it)' },
  ARCH,
  JSON_FLAG,
];

function line(r: BenchResult): string {
  const epoch = (BENCH_TRAIN_IMAGES / r.trainImagesPerSecond).toFixed(1);
  return `threads ${r.threads} (${r.variant}): ${r.msPerStep.toFixed(1)} ms/step, ${Math.round(r.trainImagesPerSecond)} train images/s (≈${epoch} s/epoch of 60,000), ${Math.round(r.evalImagesPerSecond)} eval images/s, arena peak ${r.arenaPeakMB.toFixed(0)} MB, peak RSS ${r.peakRssMB.toFixed(0)} MB${unpaddedNote(r.unpaddedConv)}`;
}

/** The recipe's choice of numerics, when it is not the default (a zoo entry's records made with im2col). */
function unpaddedNote(u: UnpaddedConv): string {
  return u === 'im2col' ? '; unpadded 3x3 convs by im2col, as the recipe asks' : '';
}

function vsTable(r: VsTorchResult): string {
  const f = (v: number | null, d = 0) => (v === null ? 'n/a' : v.toFixed(d));
  const rows = [
    ['', 'tiny-mnist', 'PyTorch', 'ratio'],
    ['ms per training step', f(r.ms_per_step, 1), f(r.torch_ms_per_step, 1), ''],
    ['training images/s', f(r.train_images_per_s), f(r.torch_train_images_per_s), f(r.ratio_train, 2)],
    ['evaluation images/s', f(r.eval_images_per_s), f(r.torch_eval_images_per_s), f(r.ratio_eval, 2)],
    ['peak RSS (MB)', f(r.peak_rss_mb), f(r.torch_peak_rss_mb), ''],
  ];
  const head = `${r.machine}; ${r.threads} thread(s), medians of ${r.rounds} alternating rounds (${r.warmup} untimed steps first); ratio: the median of each round's ours / PyTorch${unpaddedNote(r.unpadded_conv)}${r.torch_unavailable ? ` — PyTorch not measured: ${r.torch_unavailable}` : ''}`;
  const table = rows.map((c) => `${c[0]!.padEnd(22)}${c[1]!.padStart(12)}${c[2]!.padStart(12)}${c[3]!.padStart(8)}`);
  const warning = r.ratio_train_rounds && spreadWarning(r.ratio_train_rounds);
  const spread = r.ratio_train_rounds ? [`training ratio by round: ${r.ratio_train_rounds.map((x) => x.toFixed(2)).join(' ')}`, ...(warning ? [`note: ${warning}`] : [])] : [];
  return [head, ...table, ...spread].join('\n');
}

function burstsLine(b: BurstsResult): string {
  return `training ratio in ${b.bursts} bursts of ${b.steps} steps, both sides resident and taking turns: median ${b.median.toFixed(2)}, middle half ${b.q1.toFixed(2)}–${b.q3.toFixed(2)} (ms per step, medians: ${b.ours_ms_per_step.toFixed(1)} / ${b.torch_ms_per_step.toFixed(1)})`;
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure speed',
  async run(argv) {
    if (argv.includes('--help')) {
      console.log(helpText('bench', '[options]', 'Times training steps (batch 128, augmentation on) and a full test-set evaluation of a network (default: the reference net).', SPECS));
      return 0;
    }
    const { flags: f } = parseFlags('bench', argv, SPECS);
    // Both sides take distinct batches in order: past the training set's end, PyTorch's side failed on an empty batch.
    const tooMany = benchStepsProblem(f.steps as number, f.warmup as number);
    if (tooMany) throw new UsageError(`bench: ${tooMany}`);
    const spec = loadArch(f.arch as string);
    if (f['vs-torch']) {
      const threads = (f.threads as number | undefined) ?? os.availableParallelism();
      const n = f.bursts as number;
      // One file of the spec serves the rounds and the bursts.
      const { r, bursts } = await withSpecFile(spec, async (file) => {
        const r = benchVsTorch(threads, f.steps as number, f.rounds as number, file, f.warmup as number);
        return { r, bursts: n > 0 && !r.torch_unavailable ? await benchBursts(threads, f['burst-steps'] as number, n, spec, file, f.warmup as number) : null };
      });
      const extra = typeof bursts === 'string' ? { bursts_unavailable: bursts } : bursts ? { bursts } : {};
      const lines = typeof bursts === 'string' ? [`bursts not measured: ${bursts}`] : bursts ? [burstsLine(bursts)] : [];
      console.log(f.json ? JSON.stringify({ ...r, ...extra }) : [vsTable(r), ...lines].join('\n'));
      return 0;
    }
    // One thread count: measured here. Several: each in its own process, so peak RSS is its own.
    const variant = f.variant as 'relaxed' | 'simd' | undefined;
    const results = f.threads
      ? [benchTraining({ threads: f.threads as number, steps: f.steps as number, warmup: f.warmup as number, variant, profile: !f['no-profile'], spec })]
      : [...new Set([1, os.availableParallelism()])].map((threads) => benchInChild(threads, f.steps as number, variant, !f['no-profile'], f.arch as string, f.warmup as number));
    if (f.json) {
      console.log(JSON.stringify(results));
      return 0;
    }
    console.log(`machine: ${results[0]!.machine}`);
    for (const r of results) {
      console.log(line(r));
      if (r.layers.length === 0) continue; // --no-profile
      console.log(`  per step, ms: ${Object.entries(r.phases).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      console.log(`  wasm kernels, ms per step: ${Object.entries(r.kernels).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      if (r.pool) {
        const p = r.pool;
        console.log(`  threads, ms per step: caller's JavaScript between kernels ${p.serial}, caller's share of kernels ${p.mainKernels} (unsplit kernels ${p.unsplit}), caller waiting for workers ${p.waiting}; workers running kernels ${p.workerKernels}`);
      }
      console.log(`  conv GFLOP/s (batch 128, best of 7; direct-conv FLOPs)   forward  bwd-data  bwd-weight  bwd-both`);
      for (const l of r.layers) console.log(`    ${l.layer.padEnd(6)} ${l.shape.padEnd(20)} ${l.algo.padEnd(20)} ${l.forward.toFixed(1).padStart(8)} ${l.backwardData.toFixed(1).padStart(9)} ${l.backwardWeight.toFixed(1).padStart(11)} ${l.backward.toFixed(1).padStart(9)}`);
    }
    if (results.length === 2) console.log(`speed-up 1 → ${results[1]!.threads} threads: ${(results[0]!.msPerStep / results[1]!.msPerStep).toFixed(2)}x`);
    return 0;
  },
};
