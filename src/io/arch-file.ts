// --arch NAME|FILE: a zoo entry by name, or an architecture file (models/spec.ts) read from disk.
// Node only; the page passes spec objects or file contents to parseArchJson itself.
import { statSync } from 'node:fs';
import { parseArchJson, ZOO, zooSpec, type ArchSpec } from '../models/index.js';
import { UserError } from '../util/errors.js';
import { readUserFile } from './user-file.js';

/** The spec `arg` names: a zoo entry, or a JSON file (anything with a "/" or ending in .json). */
export function loadArch(arg: string): ArchSpec {
  if (arg in ZOO) return zooSpec(arg);
  if (!arg.includes('/') && !arg.endsWith('.json')) {
    throw new UserError(`unknown architecture "${arg}" (the zoo has ${Object.keys(ZOO).join(', ')}; or give a .json file)`);
  }
  // The size before reading, so a large file is refused without being read; readUserFile names
  // any other problem (missing, a folder, unreadable).
  let size = 0;
  try {
    size = statSync(arg).size;
  } catch {
    size = 0;
  }
  if (size > 1 << 20) throw new UserError(`${arg}: larger than 1 MB, not an architecture file`);
  return parseArchJson(new TextDecoder().decode(readUserFile(arg, 'an architecture .json file')), arg);
}
