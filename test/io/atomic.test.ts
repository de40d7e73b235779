// Tests for writeFileAtomic: creates and replaces files, writes strings as UTF-8, and leaves no
// temp file behind when it fails.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { spawnSync } from 'node:child_process';

const root = mkdtempSync(join(tmpdir(), 'tiny-mnist-atomic-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('creates a file, then replaces it', () => {
  const path = join(root, 'model.safetensors');
  writeFileAtomic(path, Uint8Array.of(1, 2, 3));
  assert.deepEqual([...readFileSync(path)], [1, 2, 3]);
  writeFileAtomic(path, new Uint8Array(100_000).fill(7));
  const back = readFileSync(path);
  assert.equal(back.length, 100_000);
  assert.ok(back.every((b) => b === 7));
  assert.deepEqual(readdirSync(root), ['model.safetensors']);
});

test('strings are written as UTF-8', () => {
  const path = join(root, 'notes.json');
  writeFileSync(path, 'old contents that are longer');
  writeFileAtomic(path, '{"name":"λ-net"}');
  assert.equal(readFileSync(path, 'utf8'), '{"name":"λ-net"}');
});

test('writes through a subarray view exactly', () => {
  const path = join(root, 'view.bin');
  const big = Uint8Array.from({ length: 10 }, (_, i) => i);
  writeFileAtomic(path, big.subarray(3, 6));
  assert.deepEqual([...readFileSync(path)], [3, 4, 5]);
});

test('a failed rename removes the temp file and rethrows', () => {
  const dir = join(root, 'fail');
  mkdirSync(dir);
  const target = join(dir, 'occupied');
  mkdirSync(target);
  writeFileSync(join(target, 'inside'), 'x'); // a non-empty directory cannot be replaced by a file
  assert.throws(() => writeFileAtomic(target, 'data'), (e: NodeJS.ErrnoException) => typeof e.code === 'string');
  assert.deepEqual(readdirSync(dir), ['occupied']);
  assert.deepEqual(readdirSync(target), ['inside']);
});

test('a missing directory is an ENOENT error', () => {
  assert.throws(() => writeFileAtomic(join(root, 'no', 'such', 'file'), 'x'), { code: 'ENOENT' });
});

// Every descriptor opened (the temp file's, the directory's for its fsync) is closed again: a
// training run writes four files per epoch, and leaked descriptors would run out (EMFILE).
test('leaves no file descriptor open', { skip: !existsSync('/proc/self/fd') && 'needs /proc/self/fd' }, () => {
  const open = () => readdirSync('/proc/self/fd').length;
  const dir = mkdtempSync(join(tmpdir(), 'tiny-mnist-fd-'));
  writeFileAtomic(join(dir, 'warm'), 'x'); // lazily opened handles (none expected) are not counted
  const before = open();
  for (let i = 0; i < 20; i++) writeFileAtomic(join(dir, `f${i % 3}`), `${i}`);
  assert.equal(open(), before);
  rmSync(dir, { recursive: true, force: true });
});

// The disk-full simulation the CLI tests use (TINY_MNIST_TEST_DISK_FREE bytes for the whole
// process): writes use it up, and the write that no longer fits fails with ENOSPC, leaving the old file.
test('a simulated full disk: the budget is used up across writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tiny-mnist-full-'));
  const atomic = new URL('../../src/io/atomic.js', import.meta.url).href;
  const script = `const { writeFileAtomic } = await import(${JSON.stringify(atomic)});
    const f = ${JSON.stringify(join(dir, 'f'))};
    writeFileAtomic(f, 'a'.repeat(60));
    try { writeFileAtomic(f, 'b'.repeat(60)); console.log('second write fitted'); } catch (e) { console.log(e.code); }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, TINY_MNIST_TEST_DISK_FREE: '100' } });
  assert.equal(r.stdout.trim(), 'ENOSPC', r.stderr);
  assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'a'.repeat(60));
  rmSync(dir, { recursive: true, force: true });
});
