// `tiny-mnist compare DIR…`: the table of train --seeds for any run folders (or --seeds parents):
// final-epoch test (and val) accuracy per run, mean, min, max, sample standard deviation; --svg
// draws every run's test-error curve on one log-scale plot.
import { writeFileAtomic } from '../io/atomic.js';
import { expandRunDirs, readRun, summarizeRuns, summaryJson, summarySvg, summaryTable } from '../train/summary.js';
import { helpText, parseFlags, UsageError, type FlagSpec } from './args.js';
import { JSON_FLAG } from './common.js';
import type { Command } from './main.js';

const SPECS: FlagSpec[] = [
  { name: 'svg', type: 'string', metavar: 'FILE', help: 'also write the runs\' test-error curves to FILE' },
  JSON_FLAG,
];

const ABOUT = 'Prints the final-epoch test accuracy (and validation accuracy, for runs trained with --val) of each run folder, then mean, min, max and the sample standard deviation (n-1). A folder without metrics.csv stands for the run folders in it (e.g. the --out DIR of train --seeds).';

export const compareCommand: Command = {
  name: 'compare',
  summary: 'compare run folders: final accuracy per run, mean, min, max, std',
  run(argv) {
    if (argv.includes('--help')) {
      console.log(helpText('compare', 'DIR…', ABOUT, SPECS));
      return 0;
    }
    const { flags: f, positionals } = parseFlags('compare', argv, SPECS);
    if (positionals.length === 0) throw new UsageError('compare: give at least one run folder (or a folder of runs)');
    const summary = summarizeRuns(expandRunDirs(positionals).map(readRun));
    const svg = f.svg as string | undefined;
    if (svg !== undefined) writeFileAtomic(svg, summarySvg(summary, `${summary.runs.length} runs: test error per epoch`));
    if (f.json === true) console.log(JSON.stringify(summaryJson(summary), null, 2));
    else console.log(summaryTable(summary) + (svg !== undefined ? `\n\nwrote ${svg}` : ''));
    return 0;
  },
};
