// `tiny-mnist summary`: the torchsummary-style table of an architecture.
import { initEngine } from '../engine/node.js';
import { buildModel } from '../models/index.js';
import { formatSummary, summarize } from '../models/summary.js';
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
      console.log(helpText('summary', '[--arch NAME]', 'Prints the layers, output shapes and parameter counts, as torchsummary does for PyTorch.', SPECS));
      return 0;
    }
    const { flags } = parseFlags('summary', argv, SPECS);
    initEngine({ threads: 1 });
    const model = buildModel(flags.arch as string, { initRng: new Rng(0), dropoutRng: new Rng(0), dropout: 0.05 });
    const s = summarize(model);
    console.log(flags.json ? JSON.stringify(s) : formatSummary(s));
    return 0;
  },
};
