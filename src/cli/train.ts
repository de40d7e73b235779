// `tiny-mnist train`: flags → RunOptions → runTraining → one line per epoch (or JSON lines); Ctrl-C
// and a run that stops early end with the line that says how to resume.
import path from 'node:path';
import { loadArch } from '../io/arch-file.js';
import type { ArchSpec } from '../models/index.js';
import { DEFAULT_RECIPE, recipeOf, type Recipe } from '../train/recipe.js';
import { RECIPE_OPTIONS } from '../train/recipe-options.js';
import { formatEpoch } from '../train/metrics.js';
import { RunStopped, runTraining } from '../train/run.js';
import { helpText, parseFlags, UsageError, type FlagSpec, type FlagValues } from './args.js';
import { ARCH, DATA, JSON_FLAG, LIMIT_TEST, THREADS, timestamp } from './common.js';
import type { Command } from './main.js';
import { progressPrinter } from './progress.js';
import { trainSeeds } from './train-seeds.js';

const R = DEFAULT_RECIPE;
/** train's recipe flags, from the table an architecture's "recipe" block also uses; defaults are DEFAULT_RECIPE's. */
const RECIPE_FLAGS: FlagSpec[] = RECIPE_OPTIONS.flatMap((o): FlagSpec[] => {
  const { flag: name, type, min, max, minExclusive, choices } = o;
  if (name === 'nesterov') {
    return [
      { name, type: 'bool', help: `Nesterov momentum (SGD; default ${R.nesterov ? 'on' : 'off'})` },
      { name: 'no-nesterov', type: 'bool', help: 'plain momentum (SGD)' },
    ];
  }
  const def = name === 'dropout' ? undefined : R[o.fields[0]!] as number | string;
  const help = name === 'dropout' ? `${o.help} (default: as the architecture says)` : o.help;
  return [{ name, type, min, max, minExclusive, choices, help, default: def }];
});
const SPECS: FlagSpec[] = [
  ...RECIPE_FLAGS,
  { name: 'seed', type: 'int', default: 1, min: 0, max: 2 ** 32 - 1, help: 'random seed (weights, shuffling, augmentation, dropout)' },
  { name: 'seeds', type: 'string', metavar: 'LIST', help: 'train one run per seed, e.g. 1-5 or 1,4,9: folders DIR/seed-N under --out DIR, then a summary over seeds' },
  { name: 'jobs', type: 'int', default: 1, min: 1, max: 64, help: 'with --seeds: seeds trained at once, each in its own child process, with --threads 1 unless --threads is given (1: one after another, all threads)' },
  { name: 'val', type: 'int', min: 1, help: 'hold out N training images (a fixed choice from the seed) and report validation loss and accuracy each epoch' },
  THREADS,
  ARCH,
  DATA,
  { name: 'out', type: 'string', metavar: 'DIR', help: 'run folder; one that holds a run is refused (default: a new runs/<date_time-ms>)' },
  { name: 'overwrite', type: 'bool', help: 'with --out: delete the run already in DIR first (nothing of it is kept)' },
  { name: 'resume', type: 'string', metavar: 'DIR', help: 'continue the run in DIR from its last finished epoch (takes only --epochs, --threads, --json)' },
  { name: 'limit-train', type: 'int', min: 1, help: 'use only the first N training images' },
  LIMIT_TEST,
  { name: 'dry-run', type: 'bool', help: 'one quick epoch on 256 training and 1000 test images, to check the set-up (writes nothing unless --out)' },
  JSON_FLAG,
];

/**
 * The run's recipe: DEFAULT_RECIPE, then the architecture's own "recipe" block (a zoo entry's tuned
 * defaults), then the flags given on the command line.
 */
function recipeFrom(f: FlagValues, given: Set<string>, spec: ArchSpec): Recipe {
  const fromFlags: Record<string, unknown> = {};
  for (const o of RECIPE_OPTIONS) if (given.has(o.flag) && o.flag !== 'nesterov') for (const k of o.fields) fromFlags[k] = f[o.flag];
  if (given.has('nesterov')) fromFlags.nesterov = true;
  if (given.has('no-nesterov')) fromFlags.nesterov = false;
  const recipe: Recipe = { ...recipeOf(spec), ...fromFlags };
  if (f['dry-run']) recipe.epochs = 1;
  return recipe;
}

/** The only flags --resume accepts: the rest are fixed by the run's config.json. */
const RESUMABLE = new Set(['resume', 'epochs', 'threads', 'json']);

const ABOUT = `Trains a network and writes model.safetensors, config.json, metrics.csv, curves.svg and a checkpoint to the run folder after every epoch.

Run folders: --out DIR refuses a folder that holds a run unless --overwrite (which first deletes that run's files); a lock (run.lock) keeps a second process out. Without --out a new folder runs/<date_time-ms> is made; --dry-run without --out writes nothing.
Resume: --resume DIR continues the run from its last finished epoch with the settings in DIR/config.json; only --epochs, --threads and --json may be given. --epochs N extends a run (also a finished one) to N epochs in all: the learning-rate schedule keeps its original length, so OneCycle's extra epochs run at its final learning rate (lr / 25 / 10^4), Step and Constant simply continue.
Many seeds: --seeds 1-5 (or 1,4,9) trains one run per seed into DIR/seed-1, DIR/seed-2, … under --out DIR (each folder follows the rules above), then prints a table of the final-epoch test (and --val) accuracy with mean, min, max and sample standard deviation (n-1), and writes DIR/summary.json, summary.csv and summary.svg. --jobs N trains N seeds at once as child processes.
Recipe: the defaults below are the general ones; an architecture may carry its own in a "recipe" block (train's flag names, e.g. {"lr": 0.2, "translate": 2}; the zoo entries do), and flags given here override both. config.json records the recipe used.
Validation: --val N holds out N of the training images (chosen from the seed; the rest train, in their order, and give the BatchNorm recalibration images) and scores them every epoch: metrics.csv gains val_loss,val_acc columns.
Ctrl-C stops after the current batch (exit 130) and a full disk stops the run (exit 2), each with every finished epoch saved and the line "resume with: tiny-mnist train --resume DIR".`;

function shellWord(s: string): string {
  return /^[\w./:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** SIGINT sets a flag the run polls after each batch; a second Ctrl-C exits at once (files are written atomically). */
function catchInterrupt(): { stopped: () => boolean; restore: () => void } {
  let stopped = false;
  const onSigint = () => {
    if (stopped) process.exit(130);
    stopped = true;
  };
  process.on('SIGINT', onSigint);
  return { stopped: () => stopped, restore: () => process.off('SIGINT', onSigint) };
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a network',
  async run(argv) {
    if (argv.includes('--help')) {
      console.log(helpText('train', '[options]', ABOUT, SPECS));
      return 0;
    }
    const { flags: f, given } = parseFlags('train', argv, SPECS);
    if (given.has('seeds')) return trainSeeds(f, given, SPECS, recipeFrom(f, given, loadArch(f.arch as string)));
    if (given.has('jobs')) throw new UsageError('train: --jobs goes with --seeds');
    const resume = f.resume as string | undefined;
    if (resume !== undefined) {
      const fixed = [...given].filter((n) => !RESUMABLE.has(n));
      if (fixed.length > 0) {
        throw new UsageError(`--resume: ${fixed.map((n) => `--${n}`).join(', ')} cannot be given: a resumed run keeps the settings in ${path.join(resume, 'config.json')} (only --epochs, --threads and --json may change); start a new run with --out to change them`);
      }
    }
    const dry = f['dry-run'] === true;
    const json = f.json === true;
    const explicitOut = f.out as string | undefined;
    const progress = json ? undefined : progressPrinter();
    const spec = loadArch(f.arch as string);
    const interrupt = catchInterrupt();
    try {
      const result = await runTraining({
        spec,
        recipe: recipeFrom(f, given, spec),
        seed: f.seed as number,
        threads: f.threads as number | undefined,
        dataDir: f.data as string | undefined,
        limitTrain: dry ? Math.min((f['limit-train'] as number | undefined) ?? 256, 256) : (f['limit-train'] as number | undefined),
        limitTest: dry ? Math.min((f['limit-test'] as number | undefined) ?? 1000, 1000) : (f['limit-test'] as number | undefined),
        val: f.val as number | undefined,
        out: explicitOut ?? (dry ? null : path.join('runs', timestamp())),
        uniqueOut: explicitOut === undefined,
        overwrite: f.overwrite === true,
        resume,
        resumeEpochs: given.has('epochs') ? (f.epochs as number) : undefined,
        shouldStop: interrupt.stopped,
        onStart: (s) => {
          if (json) return;
          const params = s.trainer.model.parameters().reduce((n, p) => n + p.size, 0);
          const r = s.trainer.recipe;
          console.log(`tiny-mnist: ${r.arch} (${params.toLocaleString('en-US')} parameters) on ${s.dataset.name}: ${s.dataset.train.count} train${s.val ? ` / ${s.val.count} validation` : ''} / ${s.dataset.test.count} test images, ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} from epoch ${s.startEpoch}, seed ${s.seed}; run directory ${s.outDir ?? '(none: --dry-run writes nothing)'}`);
          if (s.resumed) console.log(`  resuming run ${s.runId || '(no id)'} with its recorded settings: batch size ${r.batchSize}, ${r.optimizer} lr ${r.lr}, ${r.schedule} schedule over ${r.epochs} epochs, weight decay ${r.weightDecay}, dropout ${r.dropout ?? 'as in the architecture'}, label smoothing ${r.labelSmoothing}`);
        },
        onProgress: progress?.update,
        onEpoch: (r) => {
          progress?.clear();
          console.log(json ? JSON.stringify(r) : formatEpoch(r));
        },
      });
      if (!json) {
        const last = result.records[result.records.length - 1];
        if (last) console.log(`Final test accuracy ${last.testAcc.toFixed(2)}%${result.outDir ? `; saved to ${path.join(result.outDir, 'model.safetensors')}` : ' (nothing saved: --dry-run)'}`);
      }
      return 0;
    } catch (err) {
      if (!(err instanceof RunStopped)) throw err;
      progress?.clear();
      console.error(`tiny-mnist train: ${err.message}${err.dir ? `; resume with: tiny-mnist train --resume ${shellWord(err.dir)}` : ''}`);
      return err.interrupted ? 130 : 2;
    } finally {
      interrupt.restore();
    }
  },
};
