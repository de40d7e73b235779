// Folding BatchNorm into the convolution before it (export --fold-bn) multiplies weights by
// γ/√(var+ε) in float32: a product that overflows is refused, naming the layer, rather than
// written as ±Infinity into the ONNX file.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { exportOnnx } from '../../src/io/onnx.js';
import { buildModel, zooSpec } from '../../src/models/index.js';
import { Rng } from '../../src/util/rng.js';

after(closeEngine);

test('a folded weight beyond float32 is refused, naming the conv; unfolded, and with sane weights, export works', () => {
  initEngine({ threads: 1 });
  const model = buildModel(zooSpec('seed16k'), { initRng: new Rng(1), dropoutRng: new Rng(1) });
  const sd = new Map(model.stateDict());
  assert.ok(exportOnnx(model, { foldBatchNorm: true }).length > 1000);
  sd.get('conv1.weight')!.data()[0] = 3e38;
  sd.get('bn1.weight')!.data()[0] = 10; // 3e39 > float32 max 3.4e38
  assert.throws(() => exportOnnx(model, { foldBatchNorm: true }), (e: Error) => e.name === 'NumericalError' && /^conv1: folding the BatchNorm after it overflows float32/.test(e.message));
  assert.ok(exportOnnx(model, { foldBatchNorm: false }).length > 1000);
});
