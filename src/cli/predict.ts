// `tiny-mnist predict IMAGE…`: classify PNG digits (any size, either polarity). A blank image
// prints "no digit found"; a file that cannot be read is reported, the others still classified,
// and the exit code is 2 at the end.
import { predictFiles } from '../infer/inference.js';
import { loadArch } from '../io/arch-file.js';
import { helpText, parseFlags, UsageError } from './args.js';
import { JSON_FLAG, MODEL_ARCH, modelPathFrom, THREADS } from './common.js';
import type { Command } from './main.js';

const SPECS = [
  { name: 'model', type: 'string' as const, metavar: 'FILE', help: 'model.safetensors (default: the shipped models/seed16k.safetensors)' },
  MODEL_ARCH, THREADS, JSON_FLAG,
];

export const predictCommand: Command = {
  name: 'predict',
  summary: 'classify PNG images',
  run(argv) {
    if (argv.includes('--help')) {
      console.log(helpText('predict', '[options] IMAGE.png…', 'Classifies PNG images of single digits: cropped, scaled into 20×20 and centred by mass in 28×28 like MNIST. A blank image gives "no digit found"; files that cannot be read are reported on stderr, the others still classified, and the exit code is then 2.', SPECS));
      return 0;
    }
    const { flags: f, positionals } = parseFlags('predict', argv, SPECS);
    if (positionals.length === 0) throw new UsageError('predict: give at least one PNG file');
    const preds = predictFiles(modelPathFrom(f), positionals, f.threads as number | undefined,
      f.arch === undefined ? undefined : loadArch(f.arch as string));
    let failed = 0;
    for (const p of preds) {
      if (p.error !== undefined) {
        failed++;
        console.error(`tiny-mnist predict: ${p.error}`);
        if (f.json) console.log(JSON.stringify({ file: p.file, digit: null, error: p.error }));
      } else if (p.digit === null) {
        console.log(f.json ? JSON.stringify({ file: p.file, digit: null, probabilities: null }) : `${p.file}: no digit found`);
      } else if (f.json) {
        console.log(JSON.stringify({ file: p.file, digit: p.digit, probabilities: p.probabilities.map((v) => Number(v.toFixed(6))) }));
      } else {
        console.log(`${p.file}: ${p.digit} (${(100 * p.probabilities[p.digit]!).toFixed(1)}%)  ${p.probabilities.map((v, i) => `${i}:${(100 * v).toFixed(1)}`).join(' ')}`);
      }
    }
    // Every readable file was classified; one that was not makes the whole command fail.
    return failed > 0 ? 2 : 0;
  },
};
