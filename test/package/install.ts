// Packing the project and installing the tarball the way a user would, for test/package/pack.test.ts.
// The install reads the npm cache only: the empty folder gets a lockfile made from ours (the same
// versions `npm ci` put in the cache), so `npm ci --offline` needs no registry metadata at all;
// then `npm install --offline TARBALL` finds every dependency in place.
// Children get a user's environment: no npm_* variables of the `npm test` around us and no
// node_modules/.bin of this repository on PATH, so nothing is found through the clone by accident.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers.js';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** npm settings a user's shell has too: where the cache and the registry are. */
const KEEP = /^npm_config_(cache|userconfig|globalconfig|registry|cafile)$/i;

/** This process's environment without npm's script variables and without any node_modules/.bin. */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if ((!/^npm_/i.test(k) || KEEP.test(k)) && k !== 'INIT_CWD') env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '').split(path.delimiter)
    .filter((p) => !p.includes(`node_modules${path.sep}.bin`) && !p.includes('node-gyp-bin')).join(path.delimiter);
  env.TINY_MNIST_THREADS = '2';
  return env;
}

export function run(cmd: string, args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(cmd, args, { cwd, env: { ...userEnv(), ...extraEnv }, encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `npx tiny-mnist ARGS` as a user types it, but never fetching a package: npx would otherwise
 * download a registry package of that name when the local bin link is missing.
 */
export function npx(args: string[], cwd: string): Run {
  return run('npx', ['tiny-mnist', ...args], cwd, { npm_config_yes: 'false', npm_config_offline: 'true' });
}

export function start(cmd: string, args: string[], cwd: string): ChildProcess {
  return spawn(cmd, args, { cwd, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `npm pack` of the built tree (no rebuild: `npm test` has just built it) into `dest`. */
export function pack(dest: string): string {
  const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], ROOT);
  if (r.code !== 0) throw new Error(`npm pack failed:\n${r.stderr}`);
  return path.join(dest, (JSON.parse(r.stdout) as { filename: string }[])[0]!.filename);
}

interface LockEntry {
  version: string;
  dev?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

/**
 * Writes package.json and package-lock.json of a user's project in `dir` that depends on the
 * tarball (run-time) and on typescript + @types/node (to compile a file that imports it), then runs
 * `npm ci --offline`. Lock entries: tiny-mnist's dependency tree as our lockfile has it, and the
 * compiler's entries copied from our devDependencies. Returns npm's output of the last step.
 */
export function installTarball(tarball: string, dir: string): Run {
  const ours = JSON.parse(readFileSync(`${ROOT}package-lock.json`, 'utf8')) as { packages: Record<string, LockEntry> };
  const manifest = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string; license: string; dependencies: Record<string, string>; bin: Record<string, string> };
  const spec = `file:${path.relative(dir, tarball)}`;
  const devDependencies: Record<string, string> = {};
  const packages: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(ours.packages)) {
    if (key !== '' && !entry.dev && !entry.devOptional) packages[key] = entry;
  }
  for (const name of ['typescript', '@types/node', 'undici-types']) {
    const entry = ours.packages[`node_modules/${name}`];
    if (!entry) throw new Error(`package-lock.json has no ${name}`);
    packages[`node_modules/${name}`] = { ...entry, dev: true };
    if (name !== 'undici-types') devDependencies[name] = entry.version;
  }
  const root = { name: 'user-project', version: '1.0.0', private: true, type: 'module', dependencies: { 'tiny-mnist': spec }, devDependencies };
  packages['node_modules/tiny-mnist'] = { version: manifest.version, resolved: spec, license: manifest.license, dependencies: manifest.dependencies, bin: manifest.bin };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(root, null, 2));
  writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({
    name: root.name, version: root.version, lockfileVersion: 3, requires: true,
    packages: { '': { name: root.name, version: root.version, dependencies: root.dependencies, devDependencies }, ...packages },
  }, null, 2));
  const ci = run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], dir);
  if (ci.code !== 0) return ci;
  // Once more as a user types it. Only this reads the tarball's own package.json (npm ci trusts the
  // lockfile), so only this would list a script of tiny-mnist awaiting approval (npm 11 allowScripts).
  return run('npm', ['install', '--offline', '--no-audit', '--no-fund', spec], dir);
}
