// Compiles assembly/index.ts twice: with relaxed SIMD (f32x4.relaxed_madd) and with plain SIMD128.
// The engine picks one at load time by feature detection. Memory is imported and shared so that
// worker threads run the same kernels on the same tensors.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const asc = path.join(path.dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
mkdirSync('build', { recursive: true });
const common = [
  'assembly/index.ts', '-O3', '--runtime', 'stub', '--noAssert', '--importMemory', '--sharedMemory',
  '--initialMemory', '64', '--maximumMemory', '32768', '--memoryBase', '65536',
];
// --names (profiling only): keep the functions' names in the binaries, so that `node --cpu-prof`
// shows kernels by name (bench/cpuprof-summary.mjs) instead of as wasm-function[N].
if (process.argv.includes('--names')) common.push('--debug');
for (const [name, features] of [['kernels-relaxed', 'simd,relaxed-simd,threads'], ['kernels-simd', 'simd,threads']]) {
  execFileSync(process.execPath, [asc, ...common, '--enable', features, '-o', `build/${name}.wasm`], { stdio: 'inherit' });
}
