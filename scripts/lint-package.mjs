// Lints the package as the registry would receive it: packs the built project once (no rebuild:
// run `npm run build` first), then checks the tarball with publint (package.json fields against the
// packed files) and arethetypeswrong (the types behind `import ... from 'tiny-mnist'`).
// Exits non-zero when either reports a problem.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-lint-'));
try {
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { encoding: 'utf8' });
  const tarball = path.join(dir, JSON.parse(out)[0].filename);
  let failed = false;
  for (const [tool, args] of [['publint', ['run', '--strict', tarball]], ['attw', [tarball]]]) {
    console.log(`lint:package: ${tool} ${args.join(' ')}`);
    const r = spawnSync('npx', ['--no-install', tool, ...args], { stdio: 'inherit' });
    if (r.status !== 0) failed = true;
  }
  process.exitCode = failed ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
