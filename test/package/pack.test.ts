// The package as a user of the npm registry gets it (issue 17): the tarball of `npm pack` carries the
// run-time files and nothing else, installs into an empty folder from the npm cache with no install
// script, and there the CLI (through its bin link, from folders other than the package's) and the
// library (a TypeScript file importing 'tiny-mnist', type-checked against the shipped .d.ts) work.
// Packs and installs once for the whole file.
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { loadIdxDataset } from '../../src/data/datasets.js';
import { ROOT } from '../helpers.js';
import { installTarball, npx, pack, run, start, type Run } from './install.js';

/** What may be in the tarball: run-time files only (no sources, tests, maps, records or CI). */
const ALLOWED = [
  /^package\.json$/, /^README\.md$/, /^LICEN[CS]E(\.md)?$/,
  /^bin\/[\w-]+\.js$/,
  /^build\/kernels-[\w-]+\.wasm$/,
  /^dist\/src\/.+\.(js|d\.ts|json)$/,
  /^dist\/web\/[\w-]+\.(html|css|js|svg|wasm)$/,
  /^models\/[\w-]+\.(safetensors|json)$/,
];
const REQUIRED = [
  'package.json', 'README.md', 'bin/tiny-mnist.js', 'build/kernels-relaxed.wasm', 'build/kernels-simd.wasm',
  'dist/src/index.js', 'dist/src/index.d.ts', 'dist/web/index.html', 'dist/web/app.js', 'dist/web/engine-worker.js',
  'dist/web/pool-worker.js', 'dist/web/kernels-relaxed.wasm', 'dist/web/kernels-simd.wasm', 'models/seed16k.safetensors', 'models/tiny.safetensors',
  'models/fast.safetensors', 'models/accurate.safetensors',
];

/** Every file under src/ with one of `exts`, relative to src/. */
function sources(exts: string[], dir = `${ROOT}src`, rel = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory()
    ? sources(exts, path.join(dir, e.name), `${rel}${e.name}/`)
    : exts.some((x) => e.name.endsWith(x)) && !e.name.endsWith('.d.ts') ? [`${rel}${e.name}`] : []);
}

/** MNIST test images 0..n-1 as PNG files (white digit on black, as in the data) and their labels. */
function writeDigits(dir: string, n: number): { files: string[]; labels: number[] } {
  const test = loadIdxDataset(undefined, { limitTrain: 1, limitTest: n }).test;
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const png = new PNG({ width: test.width, height: test.height });
    for (let p = 0; p < test.width * test.height; p++) {
      const v = test.images[i * test.width * test.height + p]!;
      png.data.set([v, v, v, 255], 4 * p);
    }
    files.push(path.join(dir, `digit${i}.png`));
    writeFileSync(files[i]!, PNG.sync.write(png));
  }
  return { files, labels: [...test.labels] };
}

const USER_TS = `import { closeEngine, evaluateFile, predictFiles } from 'tiny-mnist';

const [model, ...pngs] = process.argv.slice(2);
if (model === undefined) throw new Error('usage: user.js MODEL PNG...');
const stats = evaluateFile({ model, limitTest: 500 });
const digits: Array<number | null> = predictFiles(model, pngs).map((p) => p.digit);
closeEngine();
console.log(JSON.stringify({ accuracy: stats.accuracy, total: stats.total, digits }));

export function typesAreReal(): void {
  // @ts-expect-error evaluateFile needs a model path: an error here only if the types are the real ones
  evaluateFile({ limitTest: 1 });
}
`;

describe('npm package: pack, install from the cache, use', () => {
  let tmp = '';
  let user = ''; // the user's project: node_modules/tiny-mnist installed from the tarball
  let elsewhere = ''; // a working directory with nothing of tiny-mnist in it
  let tarball = '';
  let entries: string[] = [];
  let install: Run;
  const bin = () => path.join(user, 'node_modules', '.bin', 'tiny-mnist');

  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-pack-'));
    user = path.join(tmp, 'user');
    elsewhere = path.join(tmp, 'elsewhere');
    mkdirSync(user);
    mkdirSync(elsewhere);
    tarball = pack(tmp);
    entries = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((e) => e.replace(/^package\//, ''));
    install = installTarball(tarball, user);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('the tarball carries the run-time files and nothing else', () => {
    const stray = entries.filter((e) => !ALLOWED.some((re) => re.test(e)));
    assert.deepEqual(stray, [], 'files a user does not need');
    for (const f of REQUIRED) assert.ok(entries.includes(f), `tarball lacks ${f}`);
    for (const ts of sources(['.ts'])) {
      const js = `dist/src/${ts.replace(/\.ts$/, '.js')}`;
      assert.ok(entries.includes(js) && entries.includes(js.replace(/\.js$/, '.d.ts')), `tarball lacks ${js} or its .d.ts`);
    }
    for (const json of sources(['.json'])) assert.ok(entries.includes(`dist/src/${json}`), `tarball lacks dist/src/${json}`);
  });

  it('installs with `npm ci --offline` and declares no install-time script', () => {
    assert.equal(install.code, 0, install.stderr);
    assert.doesNotMatch(install.stderr, /tiny-mnist@[^\s]* \(/, 'npm lists a script of tiny-mnist to approve');
    const pkg = JSON.parse(readFileSync(path.join(user, 'node_modules/tiny-mnist/package.json'), 'utf8')) as { scripts?: Record<string, string> };
    const installScripts = ['preinstall', 'install', 'postinstall', 'prepare'].filter((s) => pkg.scripts?.[s] !== undefined);
    assert.deepEqual(installScripts, []);
  });

  it('publint and arethetypeswrong find no problem in the tarball', () => {
    const r = run(process.execPath, [`${ROOT}scripts/lint-package.mjs`, tarball], ROOT);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  });

  it('npx tiny-mnist --version prints the version of package.json', () => {
    const r = npx(['--version'], user);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version);
  });

  it('summary prints the parameter count of the reference net', () => {
    const r = npx(['summary'], user);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Total params: 16,626/);
  });

  it('eval of the shipped model: 99.54% on the 10,000 test images, run from another folder', () => {
    const r = run(bin(), ['eval', '--json'], elsewhere);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { accuracy: number; total: number };
    assert.equal(j.total, 10000);
    assert.equal(j.accuracy.toFixed(2), '99.54');
  });

  it('predict names the digits of MNIST test images saved as PNG', () => {
    const { files, labels } = writeDigits(elsewhere, 3);
    const r = npx(['predict', '--json', ...files], user);
    assert.equal(r.code, 0, r.stderr);
    const digits = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { digit: number }).digit);
    assert.deepEqual(digits, labels);
  });

  it('train on a subset writes a model that eval reads', () => {
    const out = path.join(elsewhere, 'run');
    const r = run(bin(), ['train', '--limit-train', '512', '--limit-test', '200', '--epochs', '1', '--out', out], elsewhere);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['model.safetensors', 'metrics.csv']) assert.ok(existsSync(path.join(out, f)), `train wrote no ${f}`);
    const e = run(bin(), ['eval', '--json', '--model', path.join(out, 'model.safetensors'), '--limit-test', '200'], elsewhere);
    assert.equal(e.code, 0, e.stderr);
    assert.equal((JSON.parse(e.stdout) as { total: number }).total, 200);
  });

  it('serve answers with the page, the kernels and the shipped model', async () => {
    const child = start(bin(), ['serve', '--port', '0', '--train-images', '100', '--test-images', '100'], elsewhere);
    try {
      const url = await servingUrl(child);
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.equal(await page.text(), readFileSync(`${ROOT}web/index.html`, 'utf8'));
      for (const [route, file] of [['/kernels-simd.wasm', 'build/kernels-simd.wasm'], ['/model.safetensors', 'models/seed16k.safetensors']]) {
        const res = await fetch(`${url}${route}`);
        assert.equal(res.status, 200, route);
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(readFileSync(`${ROOT}${file}`)), `${route} differs from ${file}`);
      }
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await new Promise<[number | null]>((resolve) => child.once('exit', (c) => resolve([c])));
    assert.equal(code, 0, 'serve ends cleanly on SIGTERM');
  });

  it('a TypeScript file importing tiny-mnist type-checks (node16 and bundler resolution) and runs', () => {
    writeFileSync(path.join(user, 'user.ts'), USER_TS);
    // Node16: our .d.ts are checked too (skipLibCheck off; TypeScript's own lib files are trusted, to
    // save time). Bundler: resolution through the exports map only.
    const common = { strict: true, target: 'ES2022', types: ['node'] };
    writeFileSync(path.join(user, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...common, module: 'Node16', moduleResolution: 'Node16', skipLibCheck: false, skipDefaultLibCheck: true, outDir: 'out' }, files: ['user.ts'] }));
    writeFileSync(path.join(user, 'tsconfig.bundler.json'), JSON.stringify({ compilerOptions: { ...common, module: 'Preserve', moduleResolution: 'Bundler', skipLibCheck: true, noEmit: true }, files: ['user.ts'] }));
    const tsc = path.join(user, 'node_modules/typescript/bin/tsc');
    for (const project of ['tsconfig.json', 'tsconfig.bundler.json']) {
      const r = run(process.execPath, [tsc, '-p', project], user);
      assert.equal(r.code, 0, `tsc -p ${project}:\n${r.stdout}${r.stderr}`);
    }
    const { files, labels } = writeDigits(elsewhere, 3);
    const r = run(process.execPath, [path.join(user, 'out/user.js'), path.join(user, 'node_modules/tiny-mnist/models/seed16k.safetensors'), ...files], user);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { accuracy: number; total: number; digits: number[] };
    assert.equal(j.total, 500);
    assert.ok(j.accuracy > 95, `a trained model, not chance: ${j.accuracy}% on the first 500 test images`);
    assert.deepEqual(j.digits, labels);
  });
});

/** Resolves with the URL `serve` prints once it listens; rejects if it exits first or takes a minute. */
function servingUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '', err = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!.replace(/\/$/, ''));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${out}${err}`));
    });
  });
}
