// Test helpers: golden fixtures (PyTorch, see test/fixtures/README.md), closeness checks with a
// useful failure message, and a finite-difference gradient check.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors, type SafetensorsFile } from '../src/io/safetensors.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const cache = new Map<string, SafetensorsFile>();

/** A golden file from test/fixtures/goldens; `get(name)` throws on a missing tensor. */
export function golden(file: string): { get: (name: string) => Float32Array; shape: (name: string) => number[]; meta: Record<string, string> } {
  let f = cache.get(file);
  if (!f) {
    const path = `${ROOT}test/fixtures/goldens/${file}.safetensors`;
    f = decodeSafetensors(readFileSync(path), path);
    cache.set(file, f);
  }
  const g = f;
  const find = (name: string) => {
    const t = g.tensors.get(name);
    if (!t) throw new Error(`golden ${file}: no tensor ${name}`);
    return t;
  };
  return { get: (n) => find(n).data, shape: (n) => find(n).shape, meta: g.metadata };
}

/** |a - e| ≤ atol + rtol·|e| element-wise; reports the worst element. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-4, atol = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (worst >= 0) assert.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
}

/** Largest |value| — to scale an absolute tolerance to a tensor's magnitude. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Bit-for-bit equality (NaN equals NaN, +0 differs from -0); reports the first differing element. */
export function expectSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (bit-identical)`);
  }
}

/** Bytes the engine's arena takes for a buffer of `floats`: whole 64-byte cache lines, at least one. */
export function arenaBytes(floats: number): number {
  return Math.max(64, Math.ceil((floats * 4) / 64) * 64);
}
