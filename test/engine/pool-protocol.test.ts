// The mailbox protocol between the caller and a worker, driven by hand so that a rare interleaving
// happens every time: the caller preempted between storing a call's SEQ and notifying the worker
// (seen on busy 2-core hosts, session 15: one run in 100–150 of net.golden.test beside two CPU
// hogs, as a weight gradient with one thread's part counted twice). The worker here serves a
// JavaScript kernel that counts its calls, so the count says how often each call ran.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { DONE, mailboxAt, SEQ, STOP, storeCall } from '../../src/engine/pool.js';

const W = 1; // the worker's index, as ThreadPool numbers them
const base = mailboxAt(W) >> 2;
const COUNTER = 64; // int32 index of the call counter, below the mailboxes
const COUNT = 0; // `count`'s index among the kernel names

// The worker: serveMailbox with one kernel, `count(index)`, which adds 1 to int32 `index`.
const workerSource = `
const { workerData } = require('node:worker_threads');
import(workerData.pool).then(({ serveMailbox }) => {
  const { memory } = workerData;
  const count = (at) => { Atomics.add(new Int32Array(memory.buffer), at, 1); };
  serveMailbox(${W}, { count }, ['count'], memory);
});`;

function sleep(i32: Int32Array, ms: number): void {
  Atomics.wait(i32, 0, i32[0]!, ms); // int32 0 never changes: a plain blocking sleep
}

function waitDone(i32: Int32Array, seq: number): void {
  const t0 = Date.now();
  while (Atomics.load(i32, base + DONE) !== seq) {
    assert.ok(Date.now() - t0 < 10_000, `the worker never finished call ${seq}`);
    Atomics.wait(i32, base + DONE, Atomics.load(i32, base + DONE), 10);
  }
}

describe('pool mailbox protocol', () => {
  it('a notify that arrives after the worker ran the call and went back to sleep does not run it again', async () => {
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 16, shared: true });
    const i32 = new Int32Array(memory.buffer), f64 = new Float64Array(memory.buffer);
    const pool = new URL('../../src/engine/pool.js', import.meta.url).href;
    const worker = new Worker(workerSource, { eval: true, workerData: { memory, pool } });
    try {
      // Call 1 as the caller makes it when it is preempted after the store: the worker sees SEQ
      // while polling and runs the call with no notify at all.
      storeCall(memory, i32, f64, W, 1, COUNT, [COUNTER], false);
      waitDone(i32, 1);
      // The worker polls 2 ms (pool.ts, WORKER_SPIN_MS), then sleeps in Atomics.wait; the late notify finds it there.
      let woken = 0;
      for (let tries = 0; tries < 100 && woken === 0; tries++) {
        sleep(i32, 20);
        woken = Atomics.notify(i32, base + SEQ);
      }
      assert.equal(woken, 1, 'the worker was asleep on SEQ when the late notify came (else this test proves nothing)');
      sleep(i32, 50);
      assert.equal(Atomics.load(i32, COUNTER), 1, 'call 1 ran once');
      assert.equal(Atomics.load(i32, base + DONE), 1);

      // The worker still serves calls made the usual way.
      storeCall(memory, i32, f64, W, 2, COUNT, [COUNTER], false);
      Atomics.notify(i32, base + SEQ);
      waitDone(i32, 2);
      assert.equal(Atomics.load(i32, COUNTER), 2, 'call 2 ran once');
    } finally {
      storeCall(memory, i32, f64, W, 3, STOP, [], false);
      Atomics.notify(i32, base + SEQ);
      await worker.terminate();
    }
  });
});
