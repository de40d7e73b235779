// Reading a file the user named: a missing file, a folder or an unreadable file is one line naming
// it (UserError), never a stack trace. Shared by model, image and architecture files.
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.js';

/** The file's bytes; `expected` says what a folder given instead should have been (default "a file"). */
export function readUserFile(file: string, expected = 'a file'): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? `is a directory, expected ${expected}` : `cannot read (${code})`}`);
  }
}
