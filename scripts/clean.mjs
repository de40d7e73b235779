// Removes the build output (dist/, build/) so that `npm pack` (prepack) packs a fresh build and no
// file left over from a deleted source. Not part of `npm run build`: tests and the CLI keep working
// from an incremental build in a clone.
import { rmSync } from 'node:fs';

for (const dir of ['dist', 'build']) rmSync(dir, { recursive: true, force: true });
