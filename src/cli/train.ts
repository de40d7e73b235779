// `tiny-mnist train`: flags → RunOptions → runTraining → one line per epoch (or JSON lines).
import path from 'node:path';
import { DEFAULT_RECIPE, type Recipe } from '../train/recipe.js';
import { formatEpoch } from '../train/metrics.js';
import { runTraining } from '../train/run.js';
import { helpText, parseFlags, type FlagSpec } from './args.js';
import { ARCH, DATA, JSON_FLAG, LIMIT_TEST, THREADS, timestamp } from './common.js';
import type { Command } from './main.js';
import { progressPrinter } from './progress.js';

const R = DEFAULT_RECIPE;
const SPECS: FlagSpec[] = [
  { name: 'epochs', type: 'int', default: R.epochs, min: 1, max: 10000, help: 'number of epochs' },
  { name: 'batch-size', type: 'int', default: R.batchSize, min: 1, max: 65536, help: 'training batch size' },
  { name: 'lr', type: 'number', default: R.lr, min: 0, minExclusive: true, help: 'peak learning rate (OneCycle max_lr)' },
  { name: 'optimizer', type: 'string', default: R.optimizer, choices: ['sgd', 'adam', 'adamw'], help: 'optimiser' },
  { name: 'schedule', type: 'string', default: R.schedule, choices: ['onecycle', 'step', 'constant'], help: 'learning-rate schedule' },
  { name: 'step-size', type: 'int', default: R.stepSize, min: 1, help: '--schedule step: multiply the learning rate by --gamma every N epochs' },
  { name: 'gamma', type: 'number', default: R.gamma, min: 0, minExclusive: true, max: 1, help: '--schedule step: the factor applied every --step-size epochs' },
  { name: 'momentum', type: 'number', default: R.momentum, min: 0, max: 0.999, help: 'SGD momentum (OneCycle cycles it 0.95→0.85→0.95)' },
  { name: 'nesterov', type: 'bool', help: `Nesterov momentum (SGD; default ${R.nesterov ? 'on' : 'off'})` },
  { name: 'no-nesterov', type: 'bool', help: 'plain momentum (SGD)' },
  { name: 'weight-decay', type: 'number', default: R.weightDecay, min: 0, max: 1, help: 'weight decay' },
  { name: 'dropout', type: 'number', default: R.dropout, min: 0, max: 0.95, help: 'dropout probability' },
  { name: 'label-smoothing', type: 'number', default: R.labelSmoothing, min: 0, max: 0.5, help: 'label smoothing' },
  { name: 'bn-recalibrate', type: 'number', default: R.bnRecalibrate, min: 0, help: 'training images that re-estimate BatchNorm statistics before each evaluation (0: momentum averages)' },
  { name: 'rotate', type: 'number', default: R.rotateDeg, min: 0, max: 180, help: 'random rotation ± degrees' },
  { name: 'jitter', type: 'number', default: R.brightness, min: 0, max: 1, help: 'brightness and contrast jitter ±' },
  { name: 'seed', type: 'int', default: 1, min: 0, max: 2 ** 32 - 1, help: 'random seed (weights, shuffling, augmentation, dropout)' },
  THREADS,
  ARCH,
  DATA,
  { name: 'out', type: 'string', metavar: 'DIR', help: 'run directory (default: runs/<timestamp>)' },
  { name: 'resume', type: 'string', metavar: 'DIR', help: 'continue the run in DIR from its last checkpoint' },
  { name: 'limit-train', type: 'int', min: 1, help: 'use only the first N training images' },
  LIMIT_TEST,
  { name: 'dry-run', type: 'bool', help: 'one quick epoch on 256 training and 1000 test images, to check the set-up' },
  JSON_FLAG,
];

function recipeFrom(f: Record<string, unknown>): Recipe {
  return {
    ...DEFAULT_RECIPE,
    arch: f.arch as string,
    epochs: f['dry-run'] ? 1 : (f.epochs as number),
    batchSize: f['batch-size'] as number,
    lr: f.lr as number,
    optimizer: f.optimizer as Recipe['optimizer'],
    schedule: f.schedule as Recipe['schedule'],
    stepSize: f['step-size'] as number,
    gamma: f.gamma as number,
    momentum: f.momentum as number,
    nesterov: f.nesterov === true ? true : f['no-nesterov'] === true ? false : DEFAULT_RECIPE.nesterov,
    weightDecay: f['weight-decay'] as number,
    dropout: f.dropout as number,
    labelSmoothing: f['label-smoothing'] as number,
    rotateDeg: f.rotate as number,
    brightness: f.jitter as number,
    contrast: f.jitter as number,
    bnRecalibrate: f['bn-recalibrate'] as number,
  };
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a network',
  run(argv) {
    if (argv.includes('--help')) {
      console.log(helpText('train', '[options]', 'Trains a network and writes model.safetensors, config.json, metrics.csv, curves.svg and a checkpoint to the run directory after every epoch.', SPECS));
      return 0;
    }
    const { flags: f } = parseFlags('train', argv, SPECS);
    const dry = f['dry-run'] === true;
    const json = f.json === true;
    const out = (f.out as string | undefined) ?? path.join('runs', timestamp());
    const progress = json ? undefined : progressPrinter();
    const result = runTraining({
      recipe: recipeFrom(f),
      seed: f.seed as number,
      threads: f.threads as number | undefined,
      dataDir: f.data as string | undefined,
      limitTrain: dry ? Math.min((f['limit-train'] as number | undefined) ?? 256, 256) : (f['limit-train'] as number | undefined),
      limitTest: dry ? Math.min((f['limit-test'] as number | undefined) ?? 1000, 1000) : (f['limit-test'] as number | undefined),
      out: (f.resume as string | undefined) ?? out,
      resume: f.resume as string | undefined,
      onStart: ({ dataset, trainer, startEpoch, outDir }) => {
        if (json) return;
        const params = trainer.model.parameters().reduce((s, p) => s + p.size, 0);
        console.log(`tiny-mnist: ${trainer.recipe.arch} (${params.toLocaleString('en-US')} parameters) on ${dataset.name}: ${dataset.train.count} train / ${dataset.test.count} test images, ${trainer.recipe.epochs} epoch${trainer.recipe.epochs === 1 ? '' : 's'} from epoch ${startEpoch}, seed ${f.seed}; run directory ${outDir}`);
      },
      onProgress: progress?.update,
      onEpoch: (r) => {
        progress?.clear();
        console.log(json ? JSON.stringify(r) : formatEpoch(r));
      },
    });
    if (!json) {
      const last = result.records[result.records.length - 1];
      if (last) console.log(`Final test accuracy ${last.testAcc.toFixed(2)}%; saved to ${path.join(result.outDir ?? '', 'model.safetensors')}`);
    }
    return 0;
  },
};
