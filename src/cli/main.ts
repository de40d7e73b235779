// tiny-mnist command line: dispatch to one file per command. A command returns its exit code;
// user mistakes (UserError) print one line and exit 2, anything else is a bug: stack trace, exit 1.
import { readFileSync } from 'node:fs';
import { closeEngine } from '../engine/node.js';
import { UserError } from '../util/errors.js';

export interface Command {
  name: string;
  summary: string;
  run(argv: string[]): Promise<number> | number;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  train: async () => (await import('./train.js')).trainCommand,
  eval: async () => (await import('./eval.js')).evalCommand,
  predict: async () => (await import('./predict.js')).predictCommand,
  summary: async () => (await import('./summary.js')).summaryCommand,
  bench: async () => (await import('./bench.js')).benchCommand,
  export: async () => (await import('./export.js')).exportCommand,
  serve: async () => (await import('./serve.js')).serveCommand,
  plot: async () => (await import('./plot.js')).plotCommand,
  compare: async () => (await import('./compare.js')).compareCommand,
};

export const SUMMARIES: Record<string, string> = {
  train: 'train a network on MNIST (or any IDX dataset) and save the run',
  eval: 'test loss and accuracy of a saved model',
  predict: 'classify PNG images of digits',
  summary: 'print the torchsummary-style table of an architecture',
  bench: 'measure training and evaluation speed',
  export: 'write a model as an ONNX file',
  serve: 'serve the web page: draw digits, train in the browser',
  plot: 'redraw curves.svg of a run folder from its metrics.csv',
  compare: 'final accuracy of many runs (e.g. train --seeds): table, mean, min, max, std',
};

function usage(): string {
  const rows = Object.entries(SUMMARIES).map(([n, s]) => `  ${n.padEnd(10)} ${s}`);
  return ['Usage: tiny-mnist <command> [options]', '       tiny-mnist --version', '', 'Commands:', ...rows, '', 'Run `tiny-mnist <command> --help` for the options of a command.'].join('\n');
}

/** The version in package.json, found beside dist/ (in a clone or an installed package alike). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(usage());
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    console.log(packageVersion());
    return 0;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    console.error(`tiny-mnist: unknown command "${cmd}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await load()).run(rest);
  } catch (err) {
    if (err instanceof UserError) {
      // Messages from the flag parser start with the command's name already.
      console.error(`tiny-mnist ${cmd}: ${err.message.startsWith(`${cmd}: `) ? err.message.slice(cmd.length + 2) : err.message}`);
      return 2;
    }
    console.error(err);
    return 1;
  } finally {
    closeEngine();
  }
}
