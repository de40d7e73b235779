// Conv kernel throughput: GFLOP/s of forward, backward-data and backward-weight for the five conv
// layers of the reference network (src/models/seed16k.ts) at batch 128, with 1 and 2 threads.
// FLOPs per pass = 2·N·O·OH·OW·C·KH·KW; each figure is the best of a few runs after a warm-up.
// Run: node dist/bench/kernels.js [threads...] [simd]   (default: 1 2, relaxed SIMD if available).
// `tiny-mnist bench` reports the same per layer of the real model (src/train/bench-layers.ts);
// this script is for kernel work: any thread counts, the plain-SIMD build, more repetitions.
import { closeEngine, initEngine } from '../src/engine/node.js';
import type { Engine } from '../src/engine/wasm.js';
import { conv2dBackwardData, conv2dBackwardWeight, conv2dForward, convFlops, convOutSize, type ConvShape } from '../src/kernels/conv.js';

const BATCH = 128;
const REPS = 9;

// The conv layers of seed16k: [name, C, O, H (= W), pad], all 3×3.
const LAYERS: Array<[string, number, number, number, number]> = [
  ['conv1', 1, 8, 28, 1],
  ['conv2', 8, 16, 28, 1],
  ['conv3', 16, 32, 14, 1],
  ['conv4', 32, 24, 14, 1],
  ['conv5', 24, 16, 7, 0],
];

function fill(e: Engine, n: number): number {
  const p = e.arena.alloc(n);
  const v = e.floats(p, n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(i * 0.37);
  return p;
}

/** Best wall time of `fn` in ms over REPS runs, after one warm-up. */
function best(fn: () => void): number {
  fn();
  let t = Infinity;
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    fn();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}

function benchLayer(e: Engine, s: ConvShape): [number, number, number] {
  const [OH, OW] = convOutSize(s);
  const mark = e.arena.mark();
  const x = fill(e, s.N * s.C * s.H * s.W), w = fill(e, s.O * s.C * s.KH * s.KW), b = fill(e, s.O);
  const y = fill(e, s.N * s.O * OH * OW), dx = fill(e, s.N * s.C * s.H * s.W);
  const dw = fill(e, s.O * s.C * s.KH * s.KW), db = fill(e, s.O);
  const gflops = (ms: number) => convFlops(s) / (ms * 1e6);
  const r: [number, number, number] = [
    gflops(best(() => conv2dForward(e, x, w, b, y, s))),
    gflops(best(() => conv2dBackwardData(e, y, w, dx, s))),
    gflops(best(() => conv2dBackwardWeight(e, y, x, dw, db, s))),
  ];
  e.arena.release(mark);
  return r;
}

const args = process.argv.slice(2);
const threadCounts = args.map(Number).filter((t) => t > 0);
const variant = args.includes('simd') ? 'simd' : undefined;
const f = (v: number) => v.toFixed(1).padStart(7);
console.log(`conv kernels, batch ${BATCH}, GFLOP/s (best of ${REPS})`);
console.log('layer   shape                thr variant      fwd  bwd-data  bwd-wt');
for (const threads of threadCounts.length ? threadCounts : [1, 2]) {
  const e = initEngine({ threads, variant });
  for (const [name, C, O, H, pad] of LAYERS) {
    const s: ConvShape = { N: BATCH, C, H, W: H, O, KH: 3, KW: 3, pad };
    const [fwd, bd, bw] = benchLayer(e, s);
    const label = `${C}→${O} ${H}×${H} p${pad}`.padEnd(20);
    console.log(`${name.padEnd(7)} ${label} ${String(threads).padStart(3)} ${e.variant.padEnd(8)} ${f(fwd)} ${f(bd)}   ${f(bw)}`);
  }
}
closeEngine();
