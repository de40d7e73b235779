// Shared by the development tools in bench/ (thread-scaling.mjs, thread-stress.mjs): a trainer for
// a zoo name or a spec file, on the built library in dist/ (run `npm run build` first).
import { readFileSync } from 'node:fs';

const dist = new URL('../dist/src/', import.meta.url);
export const { initEngine } = await import(new URL('engine/node.js', dist));
const { loadIdxDataset } = await import(new URL('data/datasets.js', dist));
const { zooSpec } = await import(new URL('models/index.js', dist));
const { parseArchJson } = await import(new URL('models/spec.js', dist));
const { recipeOf } = await import(new URL('train/recipe.js', dist));
const trainer = await import(new URL('train/trainer.js', dist));
const { makeTrainer } = trainer;
export const { trainEpoch } = trainer;

/** The architecture `arch` names (a zoo entry, or a .json spec file) with its recipe at batch B, on the first B·steps training images. */
export function benchTrainer(arch, B, steps) {
  const spec = arch.endsWith('.json') ? parseArchJson(readFileSync(arch, 'utf8'), arch) : zooSpec(arch);
  const data = loadIdxDataset(undefined, { limitTrain: B * steps });
  return { data, t: makeTrainer(spec, { ...recipeOf(spec), batchSize: B }, 1, data.train.count) };
}
