// Builds the page into dist/web: type-checks web/ (tsc, browser libraries), bundles the page, the
// engine worker and the pool worker with esbuild (no CDN: everything is served from dist/web), and
// copies the HTML, CSS, icon and both wasm builds beside them. Run after build:wasm.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const out = 'dist/web';
const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', 'web/tsconfig.json'], { stdio: 'inherit' });

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const entries = {
  app: 'web/main.ts',
  'engine-worker': 'web/engine-worker.ts',
  'pool-worker': 'src/engine/web-worker.ts',
};
await build({
  entryPoints: entries,
  outdir: out,
  bundle: true,
  format: 'iife', // classic scripts: workers start with new Worker(url), no module workers needed
  platform: 'browser',
  target: ['chrome110', 'firefox115', 'safari16.4'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});

for (const file of ['web/index.html', 'web/style.css', 'web/favicon.svg', 'build/kernels-relaxed.wasm', 'build/kernels-simd.wasm']) {
  if (!existsSync(file)) throw new Error(`build-web: ${file} is missing (run npm run build:wasm first)`);
  copyFileSync(file, path.join(out, path.basename(file)));
}
console.log(`build-web: wrote ${out}`);
