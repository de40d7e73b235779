// Interleaved bursts against PyTorch (`bench --vs-torch --bursts N`): both sides stay resident, ours
// in this process and bench/torch_reference.py --serve in a child, and take turns training the same
// few batches, so each pair of timings is a second or two apart and a busy stretch of the shared
// host slows both sides of a pair. The first side alternates from pair to pair, and the figure is
// the median of the pairs' ratios with its middle half (the spread a single ratio hides).
// Both sides are then well past their warm-up, unlike the rounds' fresh processes: a steady-state
// figure. On the 2-vCPU AMD EPYC of session 13 our 2-thread step ran 43–45 ms here against 51 ms
// in the rounds, and PyTorch's 57–78 ms against about 60, so on 2 threads bursts came out higher
// than rounds (fast: 1.36–1.74× against 1.0–1.3×); why PyTorch's bursts vary so is not known. The
// rounds stay the reference figure.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ArchSpec } from '../models/index.js';
import { trainingStepper } from './bench.js';
import { pairedRatios, quantile, TORCH_PYTHON } from './vs-torch.js';

const SCRIPT = fileURLToPath(new URL('../../../bench/torch_reference.py', import.meta.url));

export interface BurstsResult {
  bursts: number;
  /** Training steps per burst (each side). */
  steps: number;
  /** Each pair's PyTorch ms / ours ms, in order. */
  ratios: number[];
  median: number;
  /** The middle half of the ratios: their first and third quartiles. */
  q1: number;
  q3: number;
  /** Medians of each side's ms per step over the bursts. */
  ours_ms_per_step: number;
  torch_ms_per_step: number;
}

/** PyTorch's ms and ours per burst (paired by index) → the ratios and their summary. */
export function summarizeBursts(torchMs: readonly number[], oursMs: readonly number[], steps: number): BurstsResult {
  if (torchMs.length !== oursMs.length || torchMs.length === 0) throw new Error(`summarizeBursts: ${torchMs.length} and ${oursMs.length} bursts`);
  const ratios = pairedRatios(torchMs, oursMs).rounds; // PyTorch's ms over ours: our speed over theirs
  return {
    bursts: ratios.length, steps, ratios, median: quantile(ratios, 0.5), q1: quantile(ratios, 0.25), q3: quantile(ratios, 0.75),
    ours_ms_per_step: quantile(oursMs, 0.5), torch_ms_per_step: quantile(torchMs, 0.5),
  };
}

/** The bursts, or why PyTorch's side could not run. */
export async function benchBursts(threads: number, steps: number, bursts: number, spec: ArchSpec, archFile: string, warmup = 2): Promise<BurstsResult | string> {
  const args = [SCRIPT, '--threads', String(threads), '--steps', String(steps), '--warmup', String(warmup), '--arch', archFile, '--serve'];
  const py = spawn(TORCH_PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  py.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const failed = new Promise<string>((resolve) => {
    py.on('error', () => resolve(`${TORCH_PYTHON} not found`));
    py.on('exit', () => resolve(`torch_reference.py --serve stopped: ${stderr.trim().split('\n').pop() ?? ''}`));
  });
  const lines = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, number> | string> => {
    const r = await Promise.race([lines.next(), failed]);
    return typeof r === 'string' ? r : r.done ? await failed : (JSON.parse(r.value) as Record<string, number>);
  };
  try {
    const ready = await next();
    if (typeof ready === 'string') return ready;
    const ours = trainingStepper({ threads, steps, spec, warmup });
    const torchBurst = async (): Promise<number | string> => {
      py.stdin.write('train\n');
      const r = await next();
      return typeof r === 'string' ? r : r.ms_per_step!;
    };
    const oursMs: number[] = [], torchMs: number[] = [];
    for (let b = 0; b < bursts; b++) {
      if (b % 2 === 0) oursMs.push(ours());
      const t = await torchBurst();
      if (typeof t === 'string') return t;
      torchMs.push(t);
      if (b % 2 === 1) oursMs.push(ours());
    }
    return summarizeBursts(torchMs, oursMs, steps);
  } finally {
    py.stdin.end();
    py.kill();
  }
}
