// `tiny-mnist summary`: the torchsummary-style table of an architecture.
import { initEngine } from '../engine/node.js';
import { loadArch } from '../io/arch-file.js';
import { buildModel } from '../models/index.js';
import { formatLayerTable, formatSummary, summarize } from '../models/summary.js';
import { recipeOf } from '../train/recipe.js';
import { Rng } from '../util/rng.js';
import { helpText, parseFlags } from './args.js';
import { ARCH, JSON_FLAG } from './common.js';
import type { Command } from './main.js';

const SPECS = [ARCH, JSON_FLAG];

export const summaryCommand: Command = {
  name: 'summary',
  summary: 'print the layer table',
  run(argv) {
    if (argv.includes('--help')) {
      console.log(helpText('summary', '[--arch NAME|FILE]', 'Prints the layers, output shapes and parameter counts, as torchsummary does for PyTorch, then every layer\'s receptive field and multiply-adds.', SPECS));
      return 0;
    }
    const { flags } = parseFlags('summary', argv, SPECS);
    initEngine({ threads: 1 });
    const spec = loadArch(flags.arch as string);
    const model = buildModel(spec, { initRng: new Rng(0), dropoutRng: new Rng(0) });
    const s = summarize(model, spec);
    recipeOf(spec); // a bad "recipe" block is reported here too, naming the file
    const block = spec.recipe ? Object.entries(spec.recipe).map(([k, v]) => (typeof v === 'boolean' ? `--${v ? '' : 'no-'}${k}` : `--${k} ${String(v)}`)).join(' ') : '';
    const recipeLine = block ? `\n\nTrains by default with its own recipe: ${block} (tiny-mnist train --help has the rest)` : '';
    console.log(flags.json ? JSON.stringify({ ...s, ...(spec.recipe ? { recipe: spec.recipe } : {}) }) : `${formatSummary(s)}\n\n${formatLayerTable(s)}${recipeLine}`);
    return 0;
  },
};
