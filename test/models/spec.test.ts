// The architecture format: parsing and checking (one message naming the file, the layer and the
// problem), the naming rule, and shapes and parameter counts held to PyTorch building the same spec
// (test/fixtures/make_arch_fixtures.py → arch/expected.json); receptive fields and multiply-adds of
// the reference net worked out by hand below.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { analyseSpec, buildModel, countParams, parseArchJson, parseArchSpec, zooSpec } from '../../src/models/index.js';
import { Rng } from '../../src/util/rng.js';
import { ROOT } from '../helpers.js';

const expected = JSON.parse(readFileSync(`${ROOT}test/fixtures/arch/expected.json`, 'utf8')) as
  Record<string, { params: number; state_dict: Record<string, number[]>; shapes: number[][] }>;
const fixture = (name: string) => parseArchJson(readFileSync(`${ROOT}test/fixtures/arch/${name}.json`, 'utf8'), `${name}.json`);
const specs = { seed16k: zooSpec('seed16k'), strided: fixture('strided'), wide5x5: fixture('wide5x5') };

describe('architecture specs', () => {
  after(() => closeEngine());

  for (const [name, spec] of Object.entries(specs)) {
    it(`${name}: shapes and parameter count equal PyTorch's for the same spec`, () => {
      const infos = analyseSpec(spec, [1, 28, 28], 10, name);
      const want = expected[name]!;
      assert.deepEqual(infos.map((i) => i.shape), want.shapes);
      assert.equal(countParams(infos), want.params);
    });
    it(`${name}: the built model's state dict has PyTorch's names and shapes`, () => {
      initEngine({ threads: 1 });
      const model = buildModel(spec, { initRng: new Rng(1), dropoutRng: new Rng(2) });
      const got = Object.fromEntries(model.stateDict().map(([n, t]) => [n, [...t.shape]]));
      assert.deepEqual(got, expected[name]!.state_dict);
      assert.equal(model.parameters().reduce((s, p) => s + p.size, 0), expected[name]!.params);
    });
  }

  it('seed16k: receptive fields and multiply-adds, worked out by hand', () => {
    const infos = analyseSpec(specs.seed16k, [1, 28, 28], 10, 'seed16k');
    const at = (n: string) => infos.find((i) => i.layer.name === n)!;
    // RF grows by (k-1)·jump: conv1 3, conv2 5, pool1 6 (jump 2), conv3 10, conv4 14, pool2 16 (jump 4), conv5 24,
    // and the GAP reads the whole 5×5 map: 24 + 4·4 = 40.
    assert.deepEqual(['conv1', 'conv2', 'pool1', 'conv3', 'conv4', 'pool2', 'conv5', 'gap1'].map((n) => at(n).rf), [3, 5, 6, 10, 14, 16, 24, 40]);
    // Multiply-adds per image: OH·OW·O·C·9 per conv, 16·10 for the linear layer.
    const convs = [28 * 28 * 8 * 1 * 9, 28 * 28 * 16 * 8 * 9, 14 * 14 * 32 * 16 * 9, 14 * 14 * 24 * 32 * 9, 5 * 5 * 16 * 24 * 9];
    assert.deepEqual(['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc'].map((n) => at(n).macs), [...convs, 160]);
  });

  it('names layers without a "name" by type and count, PyTorch-style', () => {
    const s = parseArchSpec({ layers: [
      { type: 'conv2d', out_channels: 4, kernel_size: 3 }, { type: 'batchnorm2d' }, { type: 'relu' },
      { type: 'conv2d', out_channels: 4, kernel_size: 3, name: 'stem' }, { type: 'conv2d', out_channels: 4, kernel_size: 1 },
      { type: 'gap' }, { type: 'flatten' }, { type: 'linear', out_features: 10 }, { type: 'logsoftmax' },
    ] }, 'x.json');
    assert.deepEqual(s.layers.map((l) => l.name), ['conv1', 'bn1', 'relu1', 'stem', 'conv3', 'gap1', 'flatten1', 'fc1', 'logsoftmax1']);
    assert.equal(s.name, 'custom');
    const c = s.layers[0]!;
    assert.deepEqual(c, { type: 'conv2d', name: 'conv1', out_channels: 4, kernel_size: 3, stride: 1, padding: 0, bias: true });
  });

  const L = (...layers: object[]) => ({ layers: [...layers, { type: 'logsoftmax' }] });
  const conv = (o: object = {}) => ({ type: 'conv2d', out_channels: 10, kernel_size: 3, ...o });
  const tail = [{ type: 'gap' }, { type: 'flatten' }];
  const bad: Array<[string, unknown, RegExp]> = [
    ['not an object', [1, 2], /^bad\.json: an architecture must be a JSON object/],
    ['no layers', { name: 'x' }, /"layers" must be a non-empty array/],
    ['unknown top-level key', { layers: [], lr: 1 }, /unknown key "lr"/],
    ['unknown type', L({ type: 'conv3d' }), /^bad\.json: layer 0 \(conv3d\): unknown type "conv3d"/],
    ['unknown option', L(conv({ dilation: 2 }), ...tail), /layer 0 \(conv2d\): unknown option "dilation" \(takes out_channels, kernel_size, stride, padding, bias\)/],
    ['missing out_channels', L({ type: 'conv2d', kernel_size: 3 }, ...tail), /layer 0 \(conv2d\): "out_channels" is required/],
    ['kernel too large', L(conv({ kernel_size: 9 }), ...tail), /"kernel_size" must be from 1 to 7, got 9/],
    ['stride 3', L(conv({ stride: 3 }), ...tail), /"stride" must be 1 or 2, got 3/],
    ['fractional channels', L(conv({ out_channels: 2.5 }), ...tail), /"out_channels" must be a whole number, got 2.5/],
    ['bias as a string', L(conv({ bias: 'no' }), ...tail), /"bias" must be true or false/],
    ['dropout p = 1', L(conv(), { type: 'dropout', p: 1 }, ...tail), /layer 1 \(dropout\): "p" must be in \[0, 1\), got 1/],
    ['duplicate names', L(conv({ name: 'a' }), conv({ name: 'a' }), ...tail), /layer 1 \(conv2d\): name "a" is used twice/],
    ['bad name', L(conv({ name: 'conv 1' }), ...tail), /"name" must be an identifier/],
    ['not ending in logsoftmax', { layers: [conv(), ...tail] }, /layer 2 \(flatten\): the last layer must be logsoftmax/],
  ];
  for (const [what, json, re] of bad) {
    it(`refuses a spec: ${what}`, () => assert.throws(() => parseArchSpec(json, 'bad.json'), (e: Error) => /^bad\.json: /.test(e.message) && re.test(e.message)));
  }

  const badShapes: Array<[string, object, RegExp]> = [
    ['spatial size reaches 0', L(conv({ kernel_size: 7, stride: 2 }), conv({ kernel_size: 7, stride: 2 }), conv({ kernel_size: 7 }), ...tail),
      /layer 2 \(conv2d "conv3"\): a 7x7 kernel \(stride 1, padding 0\) on a 3x3 input leaves no output/],
    ['linear after a 4-D output', L(conv(), { type: 'linear', out_features: 10 }), /layer 1 \(linear "fc1"\): needs a 2-D input \(N,F\), but the previous layer gives \(N,10,26,26\): put a flatten/],
    ['conv after flatten', L({ type: 'flatten' }, conv(), ...tail), /layer 1 \(conv2d "conv1"\): needs a 4-D input/],
    ['pool window too large', L({ type: 'maxpool2d', kernel_size: 7, stride: 7 }, { type: 'maxpool2d', kernel_size: 7 }, conv(), ...tail), /layer 1 \(maxpool2d "maxpool2"\): a 7x7 window on a 4x4 input leaves no output/],
    ['wrong number of classes', L(conv({ out_channels: 7 }), ...tail), /layer 3 \(logsoftmax "logsoftmax1"\): the network ends with 7 outputs, the data has 10 classes/],
    ['log-softmax of a 4-D map', L(conv()), /layer 1 \(logsoftmax "logsoftmax1"\): needs a 2-D input/],
  ];
  for (const [what, json, re] of badShapes) {
    it(`refuses a spec whose shapes do not work out: ${what}`, () => {
      assert.throws(() => analyseSpec(parseArchSpec(json, 'bad.json'), [1, 28, 28], 10, 'bad.json'), (e: Error) => /^bad\.json: /.test(e.message) && re.test(e.message));
    });
  }

  it('refuses text that is not JSON, naming the file', () => {
    assert.throws(() => parseArchJson('{"layers": [', 'net.json'), (e: Error) => /^net\.json: not valid JSON/.test(e.message));
  });
});
