// The thread pool's trace (bench's "threads" line): who ran what and who waited, checked against
// arrangements whose answer is known without the trace. One conv forward over 256 images (3×3,
// 8 → 16 channels, 28×28; ~10 ms) is split so that one thread gets 1 image and the other the rest: the trace must put nearly all kernel
// time on the side that got the work and, when that is the worker, count the caller as waiting
// for it. Between calls the caller spins in JavaScript for a time measured here with its own
// clock: that must show up as serial time. Only lopsided relations are asserted (factors of 4;
// the work is split 1 : 255, and posting to a worker, counted in the caller's share, took up to
// 1 ms a call on a busy machine), so they hold under load too.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { newPoolTrace } from '../../src/engine/pool.js';

// conv2d_fwd's arguments (assembly/conv.ts): 8 → 16 channels, 28×28, 3×3, padding 1, stride 1.
const N = 256, C = 8, H = 28, O = 16, K = 3;

function busyWait(ms: number): number {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) { /* JavaScript the pool cannot see */ }
  return performance.now() - t0;
}

describe('pool trace', () => {
  after(closeEngine);

  it('puts the work on the thread that did it, the caller waiting for a busy worker, and JavaScript between calls as serial', () => {
    const e = initEngine({ threads: 2 });
    const mark = e.arena.mark();
    const x = e.arena.alloc(N * C * H * H), w = e.arena.alloc(O * C * K * K), y = e.arena.alloc(N * O * H * H);
    e.floats(x, N * C * H * H).fill(0.5);
    e.floats(w, O * C * K * K).fill(0.1);
    const floats = e.k.conv2d_scratch_floats!(C, H, H, O, K, K, 1, 1);
    const scratch = [e.arena.alloc(floats), e.arena.alloc(floats)];
    const part = (t: number, n0: number, n1: number) => [x, w, 0, y, n0, n1, C, H, H, O, K, K, 1, 1, scratch[t]!, 0, 0];
    const run = (split: number) => e.pool.run('conv2d_fwd', split === N ? [part(0, 0, N)] : [part(0, 0, split), part(1, split, N)]);
    for (let i = 0; i < 3; i++) run(N / 2); // warm up both threads

    const workerHeavy = newPoolTrace();
    e.pool.trace = workerHeavy;
    let js = 0;
    for (let i = 0; i < 5; i++) {
      run(1);
      if (i < 4) js += busyWait(2);
    }
    const mainHeavy = newPoolTrace();
    e.pool.trace = mainHeavy;
    for (let i = 0; i < 5; i++) run(N - 1);
    const unsplit = newPoolTrace();
    e.pool.trace = unsplit;
    for (let i = 0; i < 3; i++) run(N);
    e.pool.trace = null;
    e.arena.release(mark);

    assert.deepEqual([workerHeavy.calls, workerHeavy.splitCalls, mainHeavy.calls, unsplit.calls, unsplit.splitCalls], [5, 5, 5, 3, 0]);
    // The worker did ~all the work: its kernel time dwarfs the caller's, and the caller waited for it.
    assert.ok(workerHeavy.workerKernelMs > 4 * workerHeavy.mainKernelMs, JSON.stringify(workerHeavy));
    assert.ok(workerHeavy.waitMs > workerHeavy.workerKernelMs / 2, JSON.stringify(workerHeavy));
    // The caller did ~all the work: the other way round, and it hardly waited.
    assert.ok(mainHeavy.mainKernelMs > 4 * mainHeavy.workerKernelMs, JSON.stringify(mainHeavy));
    assert.ok(mainHeavy.waitMs < mainHeavy.mainKernelMs / 4, JSON.stringify(mainHeavy));
    // Unsplit calls: all on the caller, counted as unsplit, no worker time.
    assert.equal(unsplit.workerKernelMs, 0);
    assert.ok(unsplit.unsplitKernelMs > 0 && unsplit.unsplitKernelMs === unsplit.mainKernelMs, JSON.stringify(unsplit));
    assert.equal(workerHeavy.unsplitKernelMs, 0);
    // The 4 gaps of busy JavaScript between the 5 calls are serial time, and the calls are not: a
    // trace that counted the calls too would add ~4 calls' kernel time. The slack, half of that,
    // scales with the machine's speed (a fixed 5 ms failed once on a busy CI host: 16.0 against 10.9).
    const slack = (workerHeavy.workerKernelMs * 4) / 5 / 2;
    assert.ok(workerHeavy.serialMs >= js && workerHeavy.serialMs < js + slack,
      `serial ${workerHeavy.serialMs} ms, JavaScript ${js} ms, slack ${slack} ms`);
  });
});
