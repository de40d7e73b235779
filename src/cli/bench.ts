// `tiny-mnist bench`: training and evaluation speed of the reference network, 1 and 2 threads.
import os from 'node:os';
import { benchTraining, type BenchResult } from '../train/bench.js';
import { helpText, parseFlags } from './args.js';
import { JSON_FLAG, MAX_THREADS } from './common.js';
import type { Command } from './main.js';

const SPECS = [
  { name: 'threads', type: 'int' as const, min: 1, max: MAX_THREADS, help: 'measure only this thread count (default: 1 and all cores)' },
  { name: 'steps', type: 'int' as const, default: 30, min: 1, max: 10000, help: 'timed training steps per measurement' },
  { name: 'variant', type: 'string' as const, choices: ['relaxed', 'simd'], help: 'force a kernel build (default: best available)' },
  JSON_FLAG,
];

function line(r: BenchResult): string {
  const epoch = (60000 / r.trainImagesPerSecond).toFixed(1);
  return `threads ${r.threads} (${r.variant}): ${r.msPerStep.toFixed(1)} ms/step, ${Math.round(r.trainImagesPerSecond)} train images/s (≈${epoch} s/epoch of 60,000), ${Math.round(r.evalImagesPerSecond)} eval images/s, arena peak ${r.arenaPeakMB.toFixed(0)} MB`;
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure speed',
  run(argv) {
    if (argv.includes('--help')) {
      console.log(helpText('bench', '[options]', 'Times training steps (batch 128, augmentation on) and a full test-set evaluation of the reference network.', SPECS));
      return 0;
    }
    const { flags: f } = parseFlags('bench', argv, SPECS);
    const counts = f.threads ? [f.threads as number] : [...new Set([1, os.availableParallelism()])];
    const results = counts.map((threads) => benchTraining({ threads, steps: f.steps as number, variant: f.variant as 'relaxed' | 'simd' | undefined }));
    if (f.json) console.log(JSON.stringify(results));
    else {
      for (const r of results) {
        console.log(line(r));
        console.log(`  per step, ms: ${Object.entries(r.phases).map(([k, v]) => `${k} ${v}`).join(', ')}`);
        console.log(`  wasm kernels, ms per step: ${Object.entries(r.kernels).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      }
    }
    if (results.length === 2 && !f.json) console.log(`speed-up 1 → ${results[1]!.threads} threads: ${(results[0]!.msPerStep / results[1]!.msPerStep).toFixed(2)}x`);
    return 0;
  },
};
