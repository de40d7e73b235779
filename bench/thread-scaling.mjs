// The 2-thread training step against the 1-thread step in one process, by turns: one 2-thread engine
// whose pool splits each kernel into two parts or runs it whole on the caller, block by block (10
// steps), so that a busy stretch of a shared host slows both sides of a pair alike. Untimed blocks
// come first: V8 compiles the hot JavaScript for the first few hundred steps, and on 2 cores its
// compiler threads take time slices (~4 ms) from one of the two compute threads, so a 2-thread step
// measured early is up to 20% slower than later (docs/results-and-speed.md, session 14).
// A development tool: not part of bench. Prints the median of the pairs' ratios (1-thread ms /
// 2-thread ms) with the middle half.
//   node bench/thread-scaling.mjs [ARCH] [warm-up blocks, default 40] [pairs, default 20]
import { benchTrainer, initEngine, trainEpoch } from './dist-trainer.mjs';

const [arch = 'seed16k', warm = '40', pairs = '20'] = process.argv.slice(2);
const e = initEngine({ threads: 2 });
if (e.pool.size !== 2) {
  console.error('thread-scaling: needs 2 threads');
  process.exit(2);
}
const B = 128, STEPS = 10;
const { data, t } = benchTrainer(arch, B, STEPS);
// Kernels split by pool.size (kernels/conv.ts, kernels/split.ts): 1 runs every kernel whole on the caller.
const block = (threads) => {
  e.pool.size = threads;
  const t0 = performance.now();
  trainEpoch(t, data.train);
  return (performance.now() - t0) / STEPS;
};
for (let i = 0; i < Number(warm); i++) { block(1); block(2); }
const one = [], two = [], ratio = [];
for (let i = 0; i < Number(pairs); i++) {
  const first = i % 2 === 0 ? 1 : 2; // alternate which side goes first
  const a = block(first), b = block(3 - first);
  const [t1, t2] = first === 1 ? [a, b] : [b, a];
  one.push(t1); two.push(t2); ratio.push(t1 / t2);
}
e.pool.size = 2;
const q = (v, p) => [...v].sort((x, y) => x - y)[Math.floor(p * (v.length - 1))];
console.log(`${arch}: after ${Number(warm) * 2 * STEPS} untimed steps, 1 thread ${q(one, 0.5).toFixed(1)} ms, 2 threads ${q(two, 0.5).toFixed(1)} ms a step;`
  + ` 2-thread speed-up ${q(ratio, 0.5).toFixed(2)} (middle half ${q(ratio, 0.25).toFixed(2)}–${q(ratio, 0.75).toFixed(2)}, ${pairs} pairs)`);
e.pool.close();
process.exit(0);
