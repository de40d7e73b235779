// Lints the package as the registry would receive it: the tarball of `npm pack` (made here from the
// built tree, no rebuild: run `npm run build` first; or the .tgz given as argument) checked by
// publint (package.json fields against the packed files) and arethetypeswrong (the types behind
// `import ... from 'tiny-mnist'`). Exits non-zero when either reports a problem.
// attw runs with its esm-only profile: tiny-mnist is an ES module package on purpose (import.meta.url
// finds the wasm and the page), so `require` from CommonJS resolving to ESM is the design, not a
// mistake (and Node >= 20.19 can require() it). No DefinitelyTyped look-up: the package has its own types.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = process.argv[2] === undefined ? mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-lint-')) : null;
try {
  let tarball = process.argv[2];
  if (tmp !== null) {
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: root, encoding: 'utf8' });
    tarball = path.join(tmp, JSON.parse(out)[0].filename);
  }
  let failed = false;
  for (const [tool, args] of [['publint', ['run', '--strict', tarball]], ['attw', ['--profile', 'esm-only', '--no-definitely-typed', '--format', 'table', tarball]]]) {
    console.log(`lint:package: ${tool} ${args.join(' ')}`);
    const r = spawnSync(path.join(root, 'node_modules', '.bin', tool), args, { stdio: 'inherit' });
    if (r.status !== 0) failed = true;
  }
  process.exitCode = failed ? 1 : 0;
} finally {
  if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
}
