// An architecture's own recipe ("recipe" block, in train's flag names): what it sets, what it refuses
// (one line naming the file), and through the CLI that a flag given on the command line wins over it
// and that config.json records the result and the command's wall time.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parseArchSpec } from '../../src/models/spec.js';
import { DEFAULT_RECIPE, recipeOf } from '../../src/train/recipe.js';
import { RECIPE_OPTIONS, recipeValueProblem } from '../../src/train/recipe-options.js';
import { cli } from '../cli/cli-helpers.js';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { Conv2d } from '../../src/nn/layers.js';
import { makeTrainer } from '../../src/train/trainer.js';

const LAYERS = [
  { type: 'conv2d', out_channels: 4, kernel_size: 3 }, { type: 'relu' }, { type: 'maxpool2d', kernel_size: 2 },
  { type: 'conv2d', out_channels: 10, kernel_size: 1 }, { type: 'gap' }, { type: 'flatten' }, { type: 'logsoftmax' },
];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-recipe-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a recipe block sets exactly the settings it names, under the spec\'s name', () => {
  const spec = parseArchSpec({ name: 'r1', layers: LAYERS, recipe: { lr: 0.3, jitter: 0.3, nesterov: false, translate: 2, 'label-smoothing': 0 } }, 'r1.json');
  const r = recipeOf(spec);
  assert.deepEqual(r, {
    ...DEFAULT_RECIPE, arch: 'r1', lr: 0.3, brightness: 0.3, contrast: 0.3, nesterov: false, translate: 2, labelSmoothing: 0,
  });
  // Without a block: the defaults (the literal values of the shipped recipe).
  const plain = recipeOf(parseArchSpec({ name: 'r0', layers: LAYERS }, 'r0.json'));
  assert.equal(plain.lr, 0.2);
  assert.equal(plain.translate, 0);
  assert.equal(plain.epochs, 19);
});

test('the recipe decides how unpadded 3x3 convs compute: makeTrainer sets the model\'s convs', () => {
  initEngine({ threads: 1 });
  const spec = parseArchSpec({ name: 'u', layers: LAYERS }, 'u.json');
  for (const [block, want] of [[{ 'unpadded-conv': 'im2col' }, 'im2col'], [{}, 'winograd'], [{ 'unpadded-conv': 'winograd' }, 'winograd']] as const) {
    const t = makeTrainer(spec, recipeOf(parseArchSpec({ name: 'u', layers: LAYERS, recipe: block }, 'u.json')), 1, 256);
    const convs = t.model.modules().map(([, m]) => m).filter((m): m is Conv2d => m instanceof Conv2d);
    assert.equal(convs.length, 2);
    for (const c of convs) assert.equal(c.unpadded, want, JSON.stringify(block));
  }
  assert.throws(() => recipeOf(parseArchSpec({ name: 'u', layers: LAYERS, recipe: { 'unpadded-conv': 'fft' } }, 'u.json')), /"unpadded-conv" must be one of winograd, im2col/);
  closeEngine();
});

test('a bad recipe block is one line naming the file and the setting', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ lr: 0 }, /^bad\.json: recipe: "lr" must be > 0, got 0$/],
    [{ epochs: 2.5 }, /^bad\.json: recipe: "epochs" must be a whole number/],
    [{ optimizer: 'rmsprop' }, /"optimizer" must be one of sgd, adam, adamw/],
    [{ nesterov: 'yes' }, /"nesterov" must be true or false/],
    [{ rotate: 181 }, /"rotate" must be ≤ 180/],
    [{ 'learning-rate': 0.1 }, /unknown setting "learning-rate"/],
    [{ out: 'x' }, /unknown setting "out"/],
  ];
  for (const [recipe, re] of bad) {
    const spec = parseArchSpec({ name: 'bad', layers: LAYERS, recipe }, 'bad.json');
    assert.throws(() => recipeOf(spec), (e: Error) => re.test(e.message) && e.name === 'FileFormatError', JSON.stringify(recipe));
  }
  assert.throws(() => parseArchSpec({ layers: LAYERS, recipe: [1] }, 'arr.json'), /arr\.json: "recipe" must be an object/);
  assert.throws(() => parseArchSpec({ layers: LAYERS, recipe: { lr: null } }, 'nul.json'), /"recipe" must be an object/);
});

test('every default recipe value is inside its own option\'s range', () => {
  for (const o of RECIPE_OPTIONS) {
    for (const f of o.fields) {
      const v = DEFAULT_RECIPE[f];
      if (v === null || v === undefined) continue; // dropout: the architecture's own p; unpaddedConv: absent
      assert.equal(recipeValueProblem(o, v), null, `${o.flag} = ${String(v)}`);
    }
  }
});

test('train: flags given override the architecture\'s recipe, which overrides the defaults; config.json records it', () => {
  const file = path.join(tmp, 'net.json');
  writeFileSync(file, JSON.stringify({ name: 'net', layers: LAYERS, recipe: { lr: 0.3, translate: 1, scale: 0.1, 'weight-decay': 0 } }));
  const out = path.join(tmp, 'run');
  const t0 = performance.now();
  const r = cli(['train', '--arch', file, '--lr', '0.05', '--limit-train', '256', '--limit-test', '100', '--epochs', '1', '--out', out]);
  const elapsed = (performance.now() - t0) / 1000;
  assert.equal(r.code, 0, r.stderr);
  const cfg = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as { recipe: Record<string, unknown>; finished: { wallSeconds: number; resumed: boolean } };
  // The whole command's wall time, recorded by the run: within what this test measured around it.
  assert.ok(cfg.finished.wallSeconds > 0 && cfg.finished.wallSeconds <= elapsed, `${cfg.finished.wallSeconds} s recorded, ${elapsed} s measured`);
  assert.equal(cfg.finished.resumed, false);
  assert.equal(cfg.recipe.lr, 0.05); // the flag
  assert.equal(cfg.recipe.translate, 1); // the file
  assert.equal(cfg.recipe.scale, 0.1);
  assert.equal(cfg.recipe.weightDecay, 0);
  assert.equal(cfg.recipe.epochs, 1);
  assert.equal(cfg.recipe.labelSmoothing, 0.1); // the default
  const badFile = path.join(tmp, 'bad.json');
  writeFileSync(badFile, JSON.stringify({ name: 'bad', layers: LAYERS, recipe: { lr: -1 } }));
  const b = cli(['train', '--arch', badFile, '--dry-run']);
  assert.equal(b.code, 2);
  assert.match(b.stderr.trim(), new RegExp(`^tiny-mnist train: ${badFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: recipe: "lr" must be > 0, got -1$`));
});
