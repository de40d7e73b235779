// Self time per function of a V8 CPU profile (`node --cpu-prof`), largest first: where a run's
// time goes, wasm kernels included (by name after `node scripts/build-wasm.mjs --names`).
//   node scripts/build-wasm.mjs --names
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bin/tiny-mnist.js bench --threads 1 --no-profile
//   node bench/cpuprof-summary.mjs /tmp/prof/*.cpuprofile [top N, default 25]
//   npm run build:wasm   # the plain binaries again
import { readFileSync } from 'node:fs';

const [file, top = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/cpuprof-summary.mjs FILE.cpuprofile [N]');
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map(); // function name → µs
prof.samples.forEach((id, i) => {
  const f = nodes.get(id).callFrame;
  const name = f.functionName || `(anonymous) ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber}`;
  self.set(name, (self.get(name) ?? 0) + (prof.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
}
console.log(`${(total / 1000).toFixed(0).padStart(8)} ms in all`);
