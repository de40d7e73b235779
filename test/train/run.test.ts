// runTraining in-process on a small subset (fast, unlike e2e/resume, which train 10,000 images or spawn
// the CLI): a new run writes what a run folder holds; a run stopped after epoch 2 (in a folder not yet
// made) and resumed ends with the weights and metrics of the same run trained straight (bit for bit:
// the checkpoint carries every RNG and slot); resuming with more epochs records the new target.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { closeEngine } from '../../src/engine/node.js';
import { loadModel } from '../../src/infer/inference.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import type { FusedSequential } from '../../src/nn/fuse.js';
import { Conv2d } from '../../src/nn/layers.js';
import { DEFAULT_RECIPE, type Recipe } from '../../src/train/recipe.js';
import { runTraining, type StartInfo } from '../../src/train/run.js';

const recipe = (epochs: number): Recipe => ({ ...DEFAULT_RECIPE, epochs, batchSize: 64 });
const SMALL = { seed: 5, threads: 1, limitTrain: 192, limitTest: 40 };
const weights = (dir: string) => loadModel(path.join(dir, 'model.safetensors')).parameters().map((p) => Array.from(p.data()));

describe('runTraining', () => {
  after(closeEngine);
  const root = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-run-'));
  const straight = path.join(root, 'straight');
  const stopped = path.join(root, 'not', 'yet', 'made');

  it('a new run in a folder: config, metrics, model; callbacks with the true settings', async () => {
    const starts: StartInfo[] = [];
    const epochs: number[] = [];
    const r = await runTraining({ ...SMALL, recipe: recipe(3), out: straight, onStart: (s) => starts.push(s), onEpoch: (e) => epochs.push(e.epoch) });
    assert.deepEqual(epochs, [1, 2, 3]);
    assert.equal(starts.length, 1);
    assert.deepEqual([starts[0]!.startEpoch, starts[0]!.epochs, starts[0]!.seed, starts[0]!.resumed, starts[0]!.outDir], [1, 3, 5, false, straight]);
    assert.equal(starts[0]!.dataset.train.count, 192);
    assert.equal(r.records.length, 3);
    assert.equal(readFileSync(path.join(straight, 'metrics.csv'), 'utf8').trim().split('\n').length, 4);
    // The model file holds the trainer's weights.
    assert.deepEqual(weights(straight), r.trainer.model.parameters().map((p) => Array.from(p.data())));
    const cfg = JSON.parse(readFileSync(path.join(straight, 'config.json'), 'utf8'));
    assert.deepEqual([cfg.seed, cfg.recipe.epochs], [5, 3]);
    // The machine, named as /proc/cpuinfo tells (Linux x86: family and model; os.cpus() only gives a model name).
    assert.equal(cfg.machine.cores, os.availableParallelism());
    assert.equal(cfg.machine.cpu, os.cpus()[0]!.model.trim());
    if (process.platform === 'linux' && process.arch === 'x64') assert.ok(Number.isInteger(cfg.machine.family) && Number.isInteger(cfg.machine.model), JSON.stringify(cfg.machine));
  });

  it('a recipe\'s im2col numerics go into the model file when the spec does not name them, and load back', async () => {
    const dir = path.join(root, 'im2col');
    await runTraining({ ...SMALL, recipe: { ...recipe(1), unpaddedConv: 'im2col' }, out: dir });
    const meta = (d: string) => decodeSafetensors(readFileSync(path.join(d, 'model.safetensors')), 'model.safetensors').metadata;
    assert.equal(meta(dir).unpadded_conv, 'im2col');
    assert.equal(meta(straight).unpadded_conv, undefined); // Winograd, the default: no key, the bytes files always had
    const convs = (loadModel(path.join(dir, 'model.safetensors')) as FusedSequential).source.modules().filter(([, m]) => m instanceof Conv2d);
    assert.equal(convs.length, 5);
    for (const [name, c] of convs) assert.equal((c as Conv2d).unpadded, 'im2col', name);
  });

  it('stopped after epoch 2 in a folder not yet made, then resumed: equals 3 epochs straight', async () => {
    let done = 0;
    await assert.rejects(
      runTraining({ ...SMALL, recipe: recipe(3), out: stopped, onEpoch: (e) => { done = e.epoch; }, shouldStop: () => done === 2 }),
      /interrupted after epoch 2; epochs 1–2 are saved in/,
    );
    assert.ok(existsSync(path.join(stopped, 'config.json')), 'config.json written in the new folder');
    const config = readFileSync(path.join(stopped, 'config.json'), 'utf8');
    const starts: StartInfo[] = [];
    const r = await runTraining({ ...SMALL, recipe: recipe(1), out: null, resume: stopped, onStart: (s) => starts.push(s) });
    // Same target: config.json untouched but for the record of the command that finished the run.
    const { finished, ...after } = JSON.parse(readFileSync(path.join(stopped, 'config.json'), 'utf8')) as { finished: { resumed: boolean } };
    assert.deepEqual(after, JSON.parse(config), 'same target: config.json untouched');
    assert.equal(finished.resumed, true);
    assert.deepEqual([starts[0]!.startEpoch, starts[0]!.epochs, starts[0]!.resumed], [3, 3, true]);
    assert.deepEqual(r.records.map((x) => x.epoch), [1, 2, 3]);
    assert.deepEqual(weights(stopped), weights(straight));
    const strip = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => l.split(',').slice(0, 6).join(','));
    assert.deepEqual(strip(path.join(stopped, 'metrics.csv')), strip(path.join(straight, 'metrics.csv')), 'metrics without the seconds column');
    await assert.rejects(runTraining({ ...SMALL, recipe: recipe(3), out: null, resume: stopped }), /has finished all 3 epochs/);
  });

  it('resume with more epochs: config.json records the new target', async () => {
    const r = await runTraining({ ...SMALL, recipe: recipe(3), out: null, resume: straight, resumeEpochs: 4 });
    assert.deepEqual(r.records.map((x) => x.epoch), [1, 2, 3, 4]);
    assert.equal(JSON.parse(readFileSync(path.join(straight, 'config.json'), 'utf8')).epochs, 4);
    assert.equal(readFileSync(path.join(straight, 'metrics.csv'), 'utf8').trim().split('\n').length, 5);
  });
});
