// `tiny-mnist export`: a model file as an ONNX graph (evaluation mode, dynamic batch dimension).
// Flags → load → io/onnx.ts exportOnnx → atomic write; the graph itself is built in the library.
import path from 'node:path';
import { initEngine } from '../engine/node.js';
import { loadArch } from '../io/arch-file.js';
import { writeFileAtomic } from '../io/atomic.js';
import { exportOnnx, ONNX_OPSETS } from '../io/onnx.js';
import { loadModel } from '../infer/inference.js';
import { classify } from '../infer/classify.js';
import { NumericalError, UserError } from '../util/errors.js';
import { helpText, parseFlags, UsageError } from './args.js';
import { MODEL_ARCH, modelPathFrom } from './common.js';
import type { Command } from './main.js';

const SPECS = [
  { name: 'model', type: 'string' as const, metavar: 'FILE', help: 'model.safetensors to export (default: the shipped models/seed16k.safetensors)' },
  { name: 'onnx', type: 'string' as const, metavar: 'OUT.onnx', help: 'where to write the ONNX file (required)' },
  { name: 'opset', type: 'int' as const, default: ONNX_OPSETS.default, min: ONNX_OPSETS.min, max: ONNX_OPSETS.max, help: 'ONNX operator set version' },
  { name: 'fold-bn', type: 'bool' as const, help: 'fold each BatchNorm into the convolution before it (fewer nodes, same outputs up to rounding)' },
  MODEL_ARCH,
];

function write(file: string, bytes: Uint8Array): void {
  try {
    writeFileAtomic(file, bytes);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') throw err;
    throw new UserError(`${file}: cannot write (${code === 'ENOENT' ? 'no such directory' : code})`);
  }
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a model to ONNX',
  run(argv) {
    if (argv.includes('--help')) {
      const about = 'Writes the evaluation-mode network as ONNX: input "input" (batch,1,28,28) normalised like training, output "output" (batch,10) log-probabilities.';
      console.log(helpText('export', '--onnx OUT.onnx [options]', about, SPECS));
      return 0;
    }
    const { flags: f, positionals } = parseFlags('export', argv, SPECS);
    if (positionals.length > 0) throw new UsageError(`export: unexpected argument "${positionals[0]}" (see tiny-mnist export --help)`);
    const out = f.onnx as string | undefined;
    if (out === undefined) throw new UsageError('export: --onnx OUT.onnx is required');
    const modelFile = modelPathFrom(f);
    initEngine({ threads: 1 });
    const model = loadModel(modelFile, f.arch === undefined ? undefined : loadArch(f.arch as string));
    // Finite but absurd weights (3e38) would export and give NaN in every runtime: refused as eval and predict refuse them.
    try {
      classify(model, [new Float32Array(784), new Float32Array(784).fill(1)]);
    } catch (e) {
      if (e instanceof NumericalError) throw new NumericalError(`${modelFile}: ${e.message.replace('so it cannot classify', 'so it is not exported')}`);
      throw e;
    }
    const opset = f.opset as number, fold = f['fold-bn'] === true;
    const bytes = exportOnnx(model, { opset, foldBatchNorm: fold, metadata: { source: path.basename(modelFile) } });
    write(out, bytes);
    console.log(`wrote ${out} (${bytes.length} bytes, opset ${opset}, BatchNorm ${fold ? 'folded into Conv' : 'as BatchNormalization'}) from ${modelFile}`);
    return 0;
  },
};
