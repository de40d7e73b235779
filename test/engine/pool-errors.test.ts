// A kernel that fails on a worker thread must say why, as a bug: the worker's own message (here a
// wasm trap from reading past the end of memory) reaches the caller in a KernelError, the pool keeps
// working afterwards, and preflight does not pass such a failure off as images the network cannot take.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closeEngine, initEngine } from '../../src/engine/node.js';
import { KernelError } from '../../src/engine/pool.js';
import { instantiate, newMemory, WasmAbort } from '../../src/engine/wasm.js';
import { isKernelFailure } from '../../src/train/preflight.js';

describe('pool errors', () => {
  after(closeEngine);

  it('a trap on a worker reaches the caller with its message and the worker; the next call works', () => {
    const e = initEngine({ threads: 2 });
    const mark = e.arena.mark();
    const n = 1024, x = e.arena.alloc(n), y = e.arena.alloc(n);
    e.floats(x, n).fill(-1);
    const end = e.memory.buffer.byteLength; // relu_fwd(x, y, i0, i1) over y[i0..i1): past the end on the worker only
    let caught: unknown;
    try {
      e.pool.run('relu_fwd', [[x, y, 0, n / 2], [x, end, 0, n]]);
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof KernelError, `a KernelError, got ${String(caught)}`);
    assert.equal(caught.worker, 1);
    assert.equal(caught.kernel, 'relu_fwd');
    assert.match(caught.message, /^ThreadPool: kernel relu_fwd failed in worker 1: .*memory access out of bounds/);
    assert.match(caught.message, new RegExp(`memory as this worker sees it: ${end} bytes`));
    assert.ok(isKernelFailure(caught), 'preflight must treat it as a bug');

    e.floats(x, n).fill(-2);
    e.floats(y, n).fill(7);
    e.pool.run('relu_fwd', [[x, y, 0, n / 2], [x, y, n / 2, n]]);
    assert.deepEqual([...new Set(e.floats(y, n))], [0], 'both halves computed after the failure');
    e.arena.release(mark);
  });

  it('preflight tells a bug from an op\'s shape check', () => {
    assert.equal(isKernelFailure(new Error('conv2d: kernel 3x3 larger than padded input 2x2 (pad 0)')), false);
    assert.equal(isKernelFailure(new WebAssembly.RuntimeError('unreachable')), true);
    assert.equal(isKernelFailure(new WasmAbort(12, 3)), true);
    // By class, not by message: an op's message that happens to start alike is still the data's.
    assert.equal(isKernelFailure(new Error('wasm abort at 12:3')), false);
  });

  it('an abort() in wasm throws a WasmAbort with its line and column', () => {
    // A hand-assembled module: imports env.abort (i32 ×4) and exports f() { abort(0, 0, 12, 3) }.
    const bytes = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x0b, 0x02, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x00, 0x60, 0x00, 0x00, // types
      0x02, 0x0d, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x61, 0x62, 0x6f, 0x72, 0x74, 0x00, 0x00, // import env.abort
      0x03, 0x02, 0x01, 0x01, // f: type 1
      0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x01, // export "f"
      0x0a, 0x0e, 0x01, 0x0c, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x0c, 0x41, 0x03, 0x10, 0x00, 0x0b, // f's body
    ]);
    const k = instantiate(new WebAssembly.Module(bytes), newMemory());
    assert.throws(() => k.f!(), (err: unknown) => err instanceof WasmAbort && err.message === 'wasm abort at 12:3' && isKernelFailure(err));
  });
});
