// Weight EMA (--ema): the average against one computed here in float64 from snapshots of the weights
// after every step; the swap that scores with it restores the raw weights bit for bit; through the
// run, the saved model holds the average (not the raw weights, which the checkpoint keeps) and a run
// resumed half-way ends with the same model file; --ema without BatchNorm recalibration is refused.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadIdxDataset } from '../../src/data/datasets.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { parseArchSpec } from '../../src/models/spec.js';
import { DEFAULT_RECIPE } from '../../src/train/recipe.js';
import { runTraining, RunStopped } from '../../src/train/run.js';
import { makeTrainer, trainEpochSteps } from '../../src/train/trainer.js';
import { cli } from '../cli/cli-helpers.js';

const SPEC = parseArchSpec({
  name: 'ema-net', layers: [
    { type: 'conv2d', out_channels: 4, kernel_size: 3, padding: 1 }, { type: 'batchnorm2d' }, { type: 'relu' },
    { type: 'maxpool2d', kernel_size: 2 }, { type: 'conv2d', out_channels: 10, kernel_size: 1 },
    { type: 'gap' }, { type: 'flatten' }, { type: 'logsoftmax' },
  ],
}, 'ema-net');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-ema-'));

describe('weight EMA', () => {
  after(() => {
    closeEngine();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('equals decay·average + (1 − decay)·weights after every step, from the initial weights (float64 here)', () => {
    initEngine({ threads: 2 });
    const data = loadIdxDataset(undefined, { limitTrain: 320, limitTest: 1 }).train;
    const decay = 0.8;
    const t = makeTrainer(SPEC, { ...DEFAULT_RECIPE, epochs: 1, batchSize: 32, ema: decay, lr: 0.5 }, 2, data.count);
    const params = t.model.parameters();
    let avg = params.map((p) => Float64Array.from(p.data()));
    const steps = trainEpochSteps(t, data);
    let n = 0;
    while (!steps.next().done) {
      avg = avg.map((a, i) => { const w = params[i]!.data(); return a.map((v, k) => decay * v + (1 - decay) * w[k]!); });
      n++;
    }
    assert.equal(n, 10);
    let moved = 0;
    params.forEach((p, i) => {
      const s = t.ema!.shadow[i]!, w = p.data();
      for (let k = 0; k < s.length; k++) {
        assert.ok(Math.abs(s[k]! - avg[i]![k]!) <= 1e-5 * (1 + Math.abs(avg[i]![k]!)), `param ${i}[${k}]: ${s[k]} vs ${avg[i]![k]}`);
        if (Math.abs(s[k]! - w[k]!) > 1e-4) moved++;
      }
    });
    assert.ok(moved > 10, 'the average differs from the last weights');

    // with(): the average inside, the raw weights back afterwards, bit for bit.
    const raw = params.map((p) => p.data().slice());
    const inside = t.ema!.with(() => params.map((p) => p.data().slice()));
    inside.forEach((a, i) => assert.deepEqual(a, t.ema!.shadow[i]));
    params.forEach((p, i) => assert.deepEqual(p.data(), raw[i]));
  });

  it('a run stopped after epoch 1 and resumed saves the uninterrupted run\'s model: the average, not the raw weights', async () => {
    const o = { recipe: { ...DEFAULT_RECIPE, epochs: 2, ema: 0.99, bnRecalibrate: 256 }, seed: 1, threads: 2, limitTrain: 1024, limitTest: 200 };
    const a = path.join(tmp, 'a'), b = path.join(tmp, 'b');
    await runTraining({ ...o, out: a });
    let epochs = 0;
    await assert.rejects(runTraining({ ...o, out: b, onEpoch: () => epochs++, shouldStop: () => epochs >= 1 }), RunStopped);
    await runTraining({ ...o, out: null, resume: b });
    assert.deepEqual(readFileSync(path.join(b, 'model.safetensors')), readFileSync(path.join(a, 'model.safetensors')));
    const model = new Map(decodeSafetensors(readFileSync(path.join(a, 'model.safetensors')), 'model').tensors);
    const ckpt = new Map(decodeSafetensors(readFileSync(path.join(a, 'checkpoint.safetensors')), 'ckpt').tensors);
    const w = model.get('conv1.weight')!.data;
    assert.notDeepEqual(w, ckpt.get('model.conv1.weight')!.data, 'the saved model is not the raw weights');
    assert.deepEqual(w, ckpt.get('ema.0')!.data, 'the saved model is the average');
  });

  it('CLI: --ema without BatchNorm recalibration is refused in one line, exit 2', () => {
    const r = cli(['train', '--ema', '0.99', '--bn-recalibrate', '0', '--dry-run']);
    assert.equal(r.code, 2);
    assert.match(r.stderr.trim(), /^tiny-mnist train: --ema needs --bn-recalibrate > 0/);
  });
});
