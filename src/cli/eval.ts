// `tiny-mnist eval`: test loss and accuracy of a model file.
import { evaluateFile } from '../infer/inference.js';
import { loadArch } from '../io/arch-file.js';
import { helpText, parseFlags } from './args.js';
import { MODEL_ARCH, DATA, JSON_FLAG, LIMIT_TEST, modelPathFrom, THREADS } from './common.js';
import type { Command } from './main.js';

const SPECS = [
  { name: 'model', type: 'string' as const, metavar: 'FILE', help: 'model.safetensors to evaluate (default: the shipped models/seed16k.safetensors)' },
  MODEL_ARCH, DATA, LIMIT_TEST, THREADS, JSON_FLAG,
];

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a model',
  run(argv) {
    if (argv.includes('--help')) {
      console.log(helpText('eval', '[options]', 'Prints the test loss and accuracy of a model (evaluation mode: running BatchNorm statistics), its accuracy per digit and its most frequent mistakes (--json: the whole confusion matrix, rows the true digit).', SPECS));
      return 0;
    }
    const { flags: f } = parseFlags('eval', argv, SPECS);
    const model = modelPathFrom(f);
    const r = evaluateFile({ model, arch: f.arch === undefined ? undefined : loadArch(f.arch as string), dataDir: f.data as string | undefined, limitTest: f['limit-test'] as number | undefined, threads: f.threads as number | undefined });
    if (f.json) console.log(JSON.stringify({ loss: r.loss, accuracy: r.accuracy, correct: r.correct, total: r.total, confusion: r.confusion }));
    else {
      console.log(`test loss: ${r.loss.toFixed(4)}, test acc: ${r.accuracy.toFixed(2)}% (${r.correct}/${r.total}), model ${model}`);
      for (const line of confusionLines(r.confusion)) console.log(line);
    }
    return 0;
  },
};

/** Per-digit accuracy and the most frequent mistakes of a confusion matrix (rows: true digit, columns: predicted). */
export function confusionLines(c: number[][], most = 5): string[] {
  const perDigit = c.map((row, d) => {
    const n = row.reduce((a, b) => a + b, 0);
    return `${d} ${n === 0 ? '-' : `${((100 * row[d]!) / n).toFixed(1)}%`}`;
  });
  const mistakes = c.flatMap((row, t) => row.map((n, p) => ({ t, p, n }))).filter((m) => m.t !== m.p && m.n > 0);
  mistakes.sort((a, b) => b.n - a.n || a.t - b.t || a.p - b.p);
  const top = mistakes.slice(0, most).map((m) => `${m.t} as ${m.p}: ${m.n}`);
  return [`per digit: ${perDigit.join(', ')}`, `most frequent mistakes (true as predicted: images): ${top.length ? top.join(', ') : 'none'}`];
}
