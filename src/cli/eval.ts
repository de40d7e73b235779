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
      console.log(helpText('eval', '[options]', 'Prints the test loss and accuracy of a model (evaluation mode: running BatchNorm statistics).', SPECS));
      return 0;
    }
    const { flags: f } = parseFlags('eval', argv, SPECS);
    const model = modelPathFrom(f);
    const r = evaluateFile({ model, arch: f.arch === undefined ? undefined : loadArch(f.arch as string), dataDir: f.data as string | undefined, limitTest: f['limit-test'] as number | undefined, threads: f.threads as number | undefined });
    if (f.json) console.log(JSON.stringify({ loss: r.loss, accuracy: r.accuracy, correct: r.correct, total: r.total }));
    else console.log(`test loss: ${r.loss.toFixed(4)}, test acc: ${r.accuracy.toFixed(2)}% (${r.correct}/${r.total}), model ${model}`);
    return 0;
  },
};
