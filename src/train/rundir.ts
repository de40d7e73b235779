// Run folders on disk: making one (never inside a file, never over another run unless asked), the
// lock that keeps a second process out, the temp files a kill leaves (io/atomic.ts names them
// <file>.tmp-<pid>-<12 hex>), and file-system errors turned into one line. Library code: it throws
// UserError and never prints. What goes into the folder is run.ts's business.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, mkdirSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { CHECKPOINT_FILE } from './checkpoint.js';

export const CONFIG_FILE = 'config.json';
export const LOCK_FILE = 'run.lock';
/** Every file a run writes; --overwrite removes exactly these (and stale temp files). */
export const RUN_FILES = [CONFIG_FILE, 'model.safetensors', 'metrics.csv', 'curves.svg', CHECKPOINT_FILE] as const;
const TEMP_FILE = /\.tmp-\d+-[0-9a-f]{12}$/;

/** One line for a file-system error while doing `what` (e.g. "cannot create the run folder runs/x"). */
export function fsUserError(err: unknown, what: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code !== 'string') return err;
  const why: Record<string, string> = {
    ENOENT: 'no such folder', ENOTDIR: 'a part of the path is a file, not a folder', EEXIST: 'a file of that name exists',
    EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device', EDQUOT: 'disk quota exceeded', EISDIR: 'is a folder',
  };
  return new UserError(`${what}: ${why[code] ?? 'failed'} (${code})`);
}

/**
 * mkdir -p, one level at a time from the nearest existing ancestor (Node's recursive mkdir spins
 * forever under /proc). Returns true if `dir` itself was created by this call.
 */
export function makeDirs(dir: string): boolean {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw new UserError(`${dir}: a part of the path is a file, not a folder`);
      if (code !== 'ENOENT') throw fsUserError(e, `${dir}: cannot create the folder`);
      missing.push(at);
      const up = path.dirname(at);
      if (up === at) throw new UserError(`${dir}: cannot create the folder (no existing parent)`);
      at = up;
      continue;
    }
    if (!st.isDirectory()) throw new UserError(at === path.resolve(dir) ? `${dir}: is a file, not a folder` : `${dir}: ${at} is a file, not a folder`);
    break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsUserError(e, `${dir}: cannot create the folder`);
    }
  }
  return missing.length > 0;
}

/** A new folder `${base}`, `${base}-2`, … that no one else has: mkdir is atomic, so two runs never share one. */
export function makeUniqueDir(base: string): string {
  makeDirs(path.dirname(base));
  for (let i = 1; ; i++) {
    const dir = i === 1 ? base : `${base}-${i}`;
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || i >= 1000) throw fsUserError(e, `${dir}: cannot create the run folder`);
    }
  }
}

export function holdsRun(dir: string): boolean {
  return RUN_FILES.some((f) => existsSync(path.join(dir, f)));
}

/** Removes the files of an earlier run (for --overwrite); other files in the folder are left alone. */
export function removeRunFiles(dir: string): void {
  for (const f of RUN_FILES) {
    try {
      rmSync(path.join(dir, f), { force: true });
    } catch (e) {
      throw fsUserError(e, `${path.join(dir, f)}: cannot remove the earlier run's file`);
    }
  }
}

/** Deletes temp files left by a killed writer; call only while holding the folder's lock. */
export function cleanTempFiles(dir: string): string[] {
  const gone = readdirSync(dir).filter((f) => TEMP_FILE.test(f));
  for (const f of gone) rmSync(path.join(dir, f), { force: true });
  return gone;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Takes `dir`/run.lock (created exclusively, holding our pid); a lock whose process is gone is taken
 * over. Returns the release function. Throws UserError when another live process holds it.
 */
export function lockRunDir(dir: string): () => void {
  const lock = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o644);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return () => {
        if (readPid(lock) === process.pid) rmSync(lock, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsUserError(e, `${dir}: cannot write in the run folder`);
    }
    const pid = readPid(lock);
    if (pid !== null && alive(pid)) {
      throw new UserError(`${dir}: in use by process ${pid} (${lock}); wait for it to finish, or delete the lock file if that process is not tiny-mnist`);
    }
    // Stale: move it aside (atomic), and put it back if what we moved was a fresh lock someone just took.
    const aside = `${lock}.stale-${process.pid}`;
    try {
      renameSync(lock, aside);
    } catch {
      continue; // someone else moved it first; try again
    }
    const moved = readPid(aside);
    if (moved !== pid && moved !== null && alive(moved)) {
      renameSync(aside, lock);
      throw new UserError(`${dir}: in use by process ${moved} (${lock})`);
    }
    unlinkSync(aside);
  }
  throw new UserError(`${dir}: could not take the lock ${lock}`);
}
