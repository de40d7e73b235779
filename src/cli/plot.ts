// `tiny-mnist plot DIR`: redraw a run folder's curves.svg from its metrics.csv (and config.json).
import { redrawCurves } from '../train/replot.js';
import { helpText, parseFlags, UsageError } from './args.js';
import type { Command } from './main.js';

export const plotCommand: Command = {
  name: 'plot',
  summary: 'redraw curves.svg of a run folder',
  run(argv) {
    if (argv.includes('--help')) {
      console.log(helpText('plot', 'DIR…', 'Redraws DIR/curves.svg from DIR/metrics.csv (and DIR/config.json, for the learning-rate schedule and the label smoothing).', []));
      return 0;
    }
    const { positionals } = parseFlags('plot', argv, []);
    if (positionals.length === 0) throw new UsageError('plot: give at least one run folder (one with a metrics.csv)');
    for (const dir of positionals) {
      const r = redrawCurves(dir);
      console.log(`${r.file}: ${r.epochs} epoch${r.epochs === 1 ? '' : 's'}`);
    }
    return 0;
  },
};
