// `train --seeds`: the seed list, where each seed's run folder goes (DIR/seed-N, each a run folder
// with the usual rules), the up-front check that none of them holds a run, and a small pool that
// runs one child process per seed, at most `jobs` at a time (the caller gives the command line of
// each child; this file does not know the CLI). Never prints: children's lines go to callbacks.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { holdsRun } from './rundir.js';

const MAX_SEED = 2 ** 32 - 1;
const MAX_SEEDS = 1000;

/** "1-5", "1,4,9" or both ("1-3,7"): distinct seeds in the order given. */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  const bad = (why: string) => new UserError(`--seeds ${text}: ${why} (give e.g. 1-5 or 1,4,9)`);
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw bad(`"${part}" is not a seed or a range`);
    const lo = Number(m[1]), hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > MAX_SEED || hi > MAX_SEED) throw bad(`seeds go up to ${MAX_SEED}`);
    if (hi < lo) throw bad(`the range ${part} is empty`);
    if (out.length + hi - lo + 1 > MAX_SEEDS) throw bad(`more than ${MAX_SEEDS} seeds`);
    for (let s = lo; s <= hi; s++) {
      if (out.includes(s)) throw bad(`seed ${s} is given twice`);
      out.push(s);
    }
  }
  return out;
}

export function seedDir(parent: string, seed: number): string {
  return path.join(parent, `seed-${seed}`);
}

/** Before any seed trains: refuse if a seed's folder holds a run (unless overwrite), naming them all. */
export function checkSeedDirs(parent: string, seeds: number[], overwrite: boolean): void {
  if (overwrite) return;
  const taken = seeds.map((s) => seedDir(parent, s)).filter(holdsRun);
  if (taken.length > 0) {
    throw new UserError(`${taken.join(', ')}: ${taken.length === 1 ? 'holds a run' : 'hold runs'} already; choose another --out, or replace them with --overwrite (--resume of a --seeds folder is not supported: resume each seed's folder on its own)`);
  }
}

export interface ChildResult {
  seed: number;
  code: number | null;
  /** The child's last stderr line (its error), if it failed. */
  error: string;
}

/**
 * Runs `command(seed)` = [executable, ...args] for every seed, `jobs` at a time; each stdout line
 * goes to onLine(seed, line), stderr lines to onErrLine. Resolves when all started have ended, in
 * seed order; once shouldStop() is true no further seed starts.
 */
export function runChildren(seeds: number[], jobs: number, command: (seed: number) => string[],
  onLine: (seed: number, line: string) => void, onErrLine: (seed: number, line: string) => void,
  shouldStop: () => boolean = () => false): Promise<ChildResult[]> {
  const results: ChildResult[] = [];
  let next = 0;
  return new Promise((resolve) => {
    const start = (): void => {
      // Stopped (Ctrl-C): start no more seeds; the ones not started are left out of the results.
      if (next >= seeds.length || shouldStop()) {
        if (results.length === next) resolve(seeds.slice(0, next).map((s) => results.find((r) => r.seed === s)!));
        return;
      }
      const seed = seeds[next++]!;
      const [exe, ...args] = command(seed);
      const child = spawn(exe!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let lastErr = '';
      lines(child.stdout, (l) => onLine(seed, l));
      lines(child.stderr, (l) => { lastErr = l; onErrLine(seed, l); });
      child.on('close', (code) => {
        results.push({ seed, code, error: code === 0 ? '' : lastErr });
        start();
      });
    };
    for (let i = 0; i < Math.min(jobs, seeds.length); i++) start();
  });
}

function lines(stream: NodeJS.ReadableStream, each: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) each(l);
  });
  stream.on('end', () => { if (buf) each(buf); });
}
