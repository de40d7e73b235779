// --arch NAME|FILE: a zoo entry by name, or an architecture file (models/spec.ts) read from disk.
// Node only; the page passes spec objects or file contents to parseArchJson itself.
import { readFileSync, statSync } from 'node:fs';
import { parseArchJson, ZOO, zooSpec, type ArchSpec } from '../models/index.js';
import { UserError } from '../util/errors.js';

/** The spec `arg` names: a zoo entry, or a JSON file (anything with a "/" or ending in .json). */
export function loadArch(arg: string): ArchSpec {
  if (arg in ZOO) return zooSpec(arg);
  if (!arg.includes('/') && !arg.endsWith('.json')) {
    throw new UserError(`unknown architecture "${arg}" (the zoo has ${Object.keys(ZOO).join(', ')}; or give a .json file)`);
  }
  let text: string;
  try {
    if (statSync(arg).size > 1 << 20) throw new UserError(`${arg}: larger than 1 MB, not an architecture file`);
    text = readFileSync(arg, 'utf8');
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${arg}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected an architecture .json file' : `cannot read (${code})`}`);
  }
  return parseArchJson(text, arg);
}
