// Two builds of the kernels timed against each other in one process, by turns: both wasm files are
// instantiated on the engine's memory and the kernel table is swapped between them call by call
// (conv passes) or block by block (training steps), so that a busy stretch of a shared host slows
// both sides of a pair alike. Separate processes run seconds apart, and there a single figure moves
// by up to 40% on this project's machines; paired in one process, a kernel change of 5% shows.
// One thread (the pool's workers keep their own instance). A development tool: not part of bench.
//   cp build/kernels-relaxed.wasm /tmp/a.wasm   # the old build; then change assembly/ and rebuild
//   node bench/ab-builds.mjs /tmp/a.wasm build/kernels-relaxed.wasm convs '[[6,26,10,0,1,3]]' [fwd,data,wt]
//   node bench/ab-builds.mjs /tmp/a.wasm build/kernels-relaxed.wasm steps tiny [rounds]
// Conv shapes: [C, H (= W), O, pad, stride, kernel size], batch 128, each conv's algorithm as a
// layer's (convAlgoFor; --unpadded im2col|winograd chooses for unpadded 3×3 convs, default Winograd;
// `steps` takes the architecture's recipe unless --unpadded is given).
// Prints min / median ms of each side and the median of the pairs' ratios (A / B: > 1, B faster).
import { readFileSync } from 'node:fs';

const dist = new URL('../dist/src/', import.meta.url);
const { initEngine } = await import(new URL('engine/node.js', dist));
const { instantiate } = await import(new URL('engine/wasm.js', dist));
const conv = await import(new URL('kernels/conv.js', dist));

const args = process.argv.slice(2);
const ui = args.indexOf('--unpadded');
const unpadded = ui >= 0 ? args.splice(ui, 2)[1] : undefined;
const [fileA, fileB, mode, what, extra] = args;
if (!fileA || !fileB || (mode !== 'convs' && mode !== 'steps') || !what) {
  console.error('usage: node bench/ab-builds.mjs A.wasm B.wasm convs SHAPES_JSON [fwd,data,wt] | steps ARCH [rounds]  [--unpadded im2col|winograd]');
  process.exit(2);
}
const e = initEngine({ threads: 1 });
const builds = [fileA, fileB].map((f) => instantiate(new WebAssembly.Module(readFileSync(f)), e.memory));
const use = (k) => {
  e.pool.k = k;
  e.k = k;
};
const median = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
const summary = (a, b) =>
  `A ${Math.min(...a).toFixed(3)} / ${median(a).toFixed(3)}  B ${Math.min(...b).toFixed(3)} / ${median(b).toFixed(3)} ms  A/B ${median(a.map((x, i) => x / b[i])).toFixed(3)}`;

/** Times fn under each build by turns, `pairs` times after one untimed pair: [A times, B times]. */
function paired(fn, pairs) {
  const t = [[], []];
  for (let r = -1; r < pairs; r++) {
    builds.forEach((k, side) => {
      use(k);
      const t0 = performance.now();
      fn(r);
      if (r >= 0) t[side].push(performance.now() - t0);
    });
  }
  return t;
}

if (mode === 'convs') {
  const buf = (n) => {
    const p = e.arena.alloc(n);
    e.floats(p, n).forEach((_, i, a) => (a[i] = Math.sin(i * 0.37)));
    return p;
  };
  for (const [C, H, O, pad, S, KK = 3] of JSON.parse(what)) {
    const s = { N: 128, C, H, W: H, O, KH: KK, KW: KK, pad, stride: S };
    const [OH, OW] = conv.convOutSize(s);
    const algo = conv.convAlgoFor(s, unpadded ?? 'winograd');
    const x = buf(128 * C * H * H), w = buf(O * C * KK * KK), b = buf(O), y = buf(128 * O * OH * OW);
    const dx = buf(128 * C * H * H), dw = buf(O * C * KK * KK), db = buf(O);
    const passes = {
      fwd: () => conv.conv2dForward(e, x, w, b, y, s, algo),
      data: () => conv.conv2dBackwardData(e, y, w, dx, s, algo),
      wt: () => conv.conv2dBackwardWeight(e, y, x, dw, db, s, algo),
    };
    for (const p of (extra ?? 'fwd,data,wt').split(',')) {
      const [a, bt] = paired(passes[p], 25);
      console.log(`${C}->${O} ${H}x${H} p${pad} s${S} k${KK} ${p.padEnd(4)} (${algo}): ${summary(a, bt)}`);
    }
  }
} else {
  const { loadIdxDataset } = await import(new URL('data/datasets.js', dist));
  const { loadArch } = await import(new URL('io/arch-file.js', dist));
  const { recipeOf } = await import(new URL('train/recipe.js', dist));
  const { makeTrainer, trainEpoch } = await import(new URL('train/trainer.js', dist));
  const spec = loadArch(what);
  const recipe = { ...recipeOf(spec), batchSize: 128, ...(unpadded ? { unpaddedConv: unpadded } : {}) };
  const steps = 8, pairs = Number(extra ?? 10), B = 128;
  const data = loadIdxDataset(undefined, { limitTrain: B * steps * 2 * (pairs + 1) });
  const t = makeTrainer(spec, recipe, 1, data.train.count);
  let block = 0; // each timed block trains on the next images (the same bits under either build)
  const next = () => {
    const i = block++;
    trainEpoch(t, { ...data.train, count: B * steps, images: data.train.images.subarray(B * steps * i * 784), labels: data.train.labels.subarray(B * steps * i) });
  };
  const [a, bt] = paired(next, pairs);
  console.log(`${spec.name} (unpadded convs: ${recipe.unpaddedConv ?? 'winograd'}), ms per step over blocks of ${steps}: ${summary(a.map((v) => v / steps), bt.map((v) => v / steps))}`);
}
process.exit(0);
