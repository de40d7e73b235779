// Times the training augmentation alone: augmentBatchWasm on 128 MNIST images (the default
// recipe's rotation, brightness and contrast), 15 timings of 20 batches each; prints the fastest
// and the median ms per batch. Give another checkout's root to compare builds side by side:
//   node bench/augment-bench.mjs [ROOT] [THREADS]      (run `npm run build` there first)
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(process.argv[2] ?? new URL('..', import.meta.url).pathname);
const threads = Number(process.argv[3] ?? 1);
const lib = (p) => import(pathToFileURL(path.join(root, 'dist/src', p)).href);
const { initEngine } = await lib('engine/node.js');
const { augmentBatchWasm } = await lib('data/augment-wasm.js');
const { loadIdxDataset } = await lib('data/datasets.js');
const { Rng } = await lib('util/rng.js');

const B = 128, data = loadIdxDataset().train;
const e = initEngine({ threads });
const out = e.arena.alloc(B * data.height * data.width);
const order = Uint32Array.from({ length: data.count }, (_, i) => i);
const aug = { rotateDeg: 7, brightness: 0.1, contrast: 0.1 };
const rng = new Rng(1);
const times = [];
for (let r = 0; r < 15; r++) {
  const t0 = performance.now();
  for (let s = 0; s < 20; s++) augmentBatchWasm(e, data, order, ((r * 20 + s) * B) % (data.count - B), B, out, rng, aug);
  times.push((performance.now() - t0) / 20);
}
times.sort((a, b) => a - b);
console.log(`${root}, ${threads} thread(s): ms per batch of ${B}: fastest ${times[0].toFixed(3)}, median ${times[7].toFixed(3)}`);
process.exit(0);
