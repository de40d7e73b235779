// The bits every committed record depends on. A short run of the documented quick check
// (`train --limit-train 2560 --limit-test 500 --epochs 2`) must write the model file these hashes
// name, byte for byte: any change of numerics on the training path (a kernel's order of additions,
// a fused pass, the augmentation, the optimiser) shows here in seconds, where the 19-epoch records
// would need an hour. The hashes were written by the code that wrote results/ and
// models/seed16k.safetensors (whose full default run is byte-identical), on an AMD EPYC with and
// one without AVX-512. If a change of numerics is deliberate: re-run and re-commit every record,
// then update these hashes. Needs the relaxed-SIMD build (its fused multiply-add); the plain SIMD
// build computes other, equally valid bits.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { ROOT } from '../helpers.js';
import { cli } from './cli-helpers.js';

const QUICK = ['--limit-train', '2560', '--limit-test', '500', '--epochs', '2'];
const CASES: Array<[string, string[], string]> = [
  ['reference net, 2 threads', ['--threads', '2'], '583be8c42599b216a6c01256b03a1d338c51c2a7374f857d4e722a0954ddc3a2'],
  ['reference net, 1 thread', ['--threads', '1'], '048c68c2b937cd381c7f8c691987e77a698c6dab2eb60be652c8188010159b3a'],
  ['strided.json (stride 2, 1×1, average pool), 2 threads', ['--threads', '2', '--arch', `${ROOT}test/fixtures/arch/strided.json`],
    '4c123660f07012059297a75274c5dcc63816dff00c64fd9b60c2da57a5f98870'],
  // tiny's recipe computes its unpadded convs by im2col (results/tiny); hash from the code of
  // ddadcf5, before the im2col passes were changed (in place for padding 0, implicit backward data).
  ['tiny zoo entry (unpadded convs by im2col), 2 threads', ['--threads', '2', '--arch', 'tiny'],
    'e6fb97b85d931d6a23d5b64e2003bdf5ff37b0bca84e8b6a905dd83f10b8f6dd'],
  // fast: unpadded Winograd F(4×4) passes at batch 256 (its recipe); hash from the code that wrote
  // results/fast, whose seed-1 run was re-run to the same model file.
  ['fast zoo entry (unpadded convs by Winograd, batch 256), 2 threads', ['--threads', '2', '--arch', 'fast'],
    'd70ba355829b752b4492ffe512dc3f1bef112d731c3c8026c1733eeaeabe0308'],
  // accurate: six unpadded 3×3 convs, the four with outputs 24×24 to 6×6 by Winograd F(4×4), the first
  // (one input channel) and the last (4×4 out) by im2col; default recipe; hash from the code that
  // wrote results/accurate.
  ['accurate zoo entry (unpadded convs, Winograd and im2col), 2 threads', ['--threads', '2', '--arch', 'accurate'],
    '373c9e9a4955e0a411e031658311a0e7561e5f85c88b0db85af4e9484344dab2'],
];

describe('bits of the quick check', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-bits-'));
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
    closeEngine();
  });
  const relaxed = initEngine({ threads: 1 }).variant === 'relaxed';

  for (const [name, args, want] of CASES) {
    it(name, { skip: relaxed ? false : 'this runtime has no relaxed SIMD' }, () => {
      const out = path.join(tmp, String(CASES.findIndex((c) => c[0] === name)));
      const r = cli(['train', ...QUICK, ...args, '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      const got = createHash('sha256').update(readFileSync(path.join(out, 'model.safetensors'))).digest('hex');
      assert.equal(got, want, `${name}: the model file's bits changed; if on purpose, re-run every record (see this file's header)`);
    });
  }
});
