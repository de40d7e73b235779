// Crash-safe file replacement (Node): write a temp file beside the target, fsync it, rename it over
// the target, fsync the directory. Readers see the old file or the new one, never half of one.
// It does not lock: two concurrent writers each win atomically, the last rename stays.

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

// Directory fsync is unsupported on some platforms (Windows: EISDIR/EPERM) and file systems (EINVAL).
const IGNORED_DIR_SYNC_ERRORS = new Set(['EISDIR', 'EPERM', 'EINVAL']);

// Test hook: TINY_MNIST_TEST_DISK_FREE=N makes this process's writes here fail with ENOSPC, after
// writing what still fits, once N bytes in all have been written: a full disk for the CLI tests
// (a small tmpfs needs root). Unset, nothing changes.
let diskFree = Number(process.env['TINY_MNIST_TEST_DISK_FREE'] ?? Infinity);

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  const fits = Math.min(bytes.length, diskFree);
  while (done < fits) done += writeSync(fd, bytes, done, fits - done);
  diskFree -= fits;
  if (fits < bytes.length) {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  }
}

function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    if (!IGNORED_DIR_SYNC_ERRORS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Replaces `path` with `data` (strings are written as UTF-8) atomically and durably. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let created = false;
  try {
    const fd = openSync(tmp, 'wx', 0o666);
    created = true;
    try {
      writeAll(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    created = false;
  } catch (e) {
    if (created) {
      try {
        unlinkSync(tmp);
      } catch {
        // The original error matters more than a leftover temp file.
      }
    }
    throw e;
  }
  fsyncDirectory(dirname(path));
}
