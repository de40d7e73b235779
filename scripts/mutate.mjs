#!/usr/bin/env node
// Mutation testing without a framework: applies one small change at a time (an operator, a constant,
// a condition, a removed statement) to the JavaScript tsc emitted for a source file, runs the test
// files that import that file (fastest first, stopping at the first failure) and reports which
// mutants the tests kill. Run by `npm run mutate` (not part of `npm test`: it takes long).
//
//   npm run mutate -- [--sample N | --sample-folder N] [--seed S] [--timeout-factor F]
//                     [--max-test-seconds CPU_S] [--max-tests K] [--budget-minutes M] [--no-coverage] [--list]
//                     [--all-tests] [--tests t1,t2] [--rerun REPORT.json] [paths…]
//
// Each test file runs once unmutated with V8 coverage on; a mutant then runs only the test files
// that execute its position (the one named after its file first, then its folder's, then the
// fastest), and one that no test executes is counted as a survivor without running anything.
// --sample-folder N draws N judged mutants per folder at random (a stratified sample) and prints
// the score with its 95% Wilson interval. --all-tests adds the slow CLI/end-to-end tests, used only
// for mutants that no fast test executes.
//
// paths: source files or folders under src/ (default: the folders of docs/mutation.md). It mutates
// the emitted JS, not the .ts file: no tsc run per mutant, and the TypeScript lines map one to one
// (tsc only strips types), so each mutant is reported with its source line. A copy of the project
// under .mutate/root (dist copied, everything else linked) is mutated, so the worktree stays usable.
// Known equivalent mutants (docs/mutation.md explains each) are listed in scripts/mutation-equivalent.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, '.mutate');
const COPY = path.join(WORK, 'root');
const DEFAULT_SCOPE = ['src/ops', 'src/tensor', 'src/optim', 'src/data', 'src/io', 'src/train', 'src/kernels'];
// Test files that spawn browsers: never used to judge a mutant. Without --all-tests, also the ones
// that run the CLI end to end (tens of seconds each on a shared machine: a surviving mutant would
// run them all); the mutants they alone would kill are reported as survivors.
// test/package packs and installs the project: the copy's linked folders are not a package, and
// what it checks (the tarball's contents) is not what a mutant changes.
const BROWSER_TESTS = [/^test\/web\//, /^test\/package\//];
const SLOW_TESTS = [/^test\/cli\//, /^test\/train\/(e2e|resume)\.test/, /^test\/io\/(onnx|model-file)\.test/];

function parseArgs(argv) {
  const o = { rerun: null, maxTests: 0, sample: 0, sampleFolder: 0, seed: 1, factor: 3, list: false, allTests: false, tests: null, maxTestSeconds: 60, coverage: true, budgetMinutes: 0, paths: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sample') o.sample = Number(argv[++i]);
    else if (a === '--sample-folder') o.sampleFolder = Number(argv[++i]);
    else if (a === '--seed') o.seed = Number(argv[++i]);
    else if (a === '--no-coverage') o.coverage = false;
    else if (a === '--max-tests') o.maxTests = Number(argv[++i]);
    else if (a === '--rerun') o.rerun = argv[++i];
    else if (a === '--budget-minutes') o.budgetMinutes = Number(argv[++i]);
    else if (a === '--timeout-factor') o.factor = Number(argv[++i]);
    else if (a === '--list') o.list = true;
    else if (a === '--all-tests') o.allTests = true;
    else if (a === '--max-test-seconds') o.maxTestSeconds = Number(argv[++i]);
    else if (a === '--tests') o.tests = argv[++i].split(',');
    else if (a.startsWith('--')) throw new Error(`mutate: unknown option ${a}`);
    else o.paths.push(a.replace(/\/$/, ''));
  }
  if (o.paths.length === 0) o.paths = DEFAULT_SCOPE;
  if (o.allTests && !argv.includes('--max-test-seconds')) o.maxTestSeconds = 900;
  return o;
}

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

// ------------------------------------------------------------------ the copy of the project

function prepareCopy() {
  rmSync(COPY, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  mkdirSync(COPY, { recursive: true });
  cpSync(path.join(ROOT, 'dist'), path.join(COPY, 'dist'), { recursive: true });
  // bin/ is copied, not linked: node runs a linked entry point from its real path, whose
  // ../dist/src would be the worktree's unmutated code, and the CLI tests would test nothing.
  cpSync(path.join(ROOT, 'bin'), path.join(COPY, 'bin'), { recursive: true });
  for (const name of ['build', 'node_modules', 'test', 'models', 'results', 'package.json', 'web']) {
    if (existsSync(path.join(ROOT, name))) symlinkSync(path.join(ROOT, name), path.join(COPY, name));
  }
}

// ------------------------------------------------------------------ which tests import what

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function importsOf(file) {
  const src = readFileSync(file, 'utf8');
  const out = [];
  for (const m of src.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('.')) out.push(path.resolve(path.dirname(file), spec));
  }
  return out;
}

/** test file (relative, .js) → set of dist/src files it loads, transitively. */
function testClosures(allTests) {
  const tests = walk(path.join(COPY, 'dist', 'test')).filter((f) => f.endsWith('.test.js'));
  const memo = new Map();
  const closure = (f, seen) => {
    if (seen.has(f) || !existsSync(f)) return;
    seen.add(f);
    for (const d of memo.get(f) ?? (memo.set(f, importsOf(f)), memo.get(f))) closure(d, seen);
  };
  const cliMain = path.join(COPY, 'dist', 'src', 'cli', 'main.js');
  return tests.map((t) => {
    const seen = new Set();
    closure(t, seen);
    // Tests that run the real CLI in a child process load what bin/tiny-mnist.js loads.
    if (/bin\/tiny-mnist|cli-helpers/.test(readFileSync(t, 'utf8'))) closure(cliMain, seen);
    return { test: path.relative(COPY, t), deps: seen };
  }).filter((t) => ![...BROWSER_TESTS, ...(allTests ? [] : SLOW_TESTS)].some((re) => re.test(t.test.replace(/^dist\//, ''))));
}

// ------------------------------------------------------------------ mutants

/** The line with string literals, template text and comments blanked out (same length). */
function codeMask(line) {
  let out = '', q = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      out += ' ';
      if (c === '\\') { out += ' '; i++; } else if (c === q) q = null;
      continue;
    }
    if (c === '/' && line[i + 1] === '/') return out + ' '.repeat(line.length - i);
    if (c === "'" || c === '"' || c === '`') { q = c; out += ' '; continue; }
    out += c;
  }
  return out;
}

const SWAPS = [
  [' + ', ' - '], [' - ', ' + '], [' * ', ' / '], [' / ', ' * '], [' % ', ' * '],
  [' < ', ' <= '], [' <= ', ' < '], [' > ', ' >= '], [' >= ', ' > '],
  [' === ', ' !== '], [' !== ', ' === '], [' == ', ' != '], [' != ', ' == '],
  [' && ', ' || '], [' || ', ' && '], [' ?? ', ' && '],
  ['+= ', '-= '], ['-= ', '+= '], ['*= ', '/= '], ['++', '--'], ['--', '++'],
  ['Math.max(', 'Math.min('], ['Math.min(', 'Math.max('], ['Math.floor(', 'Math.ceil('], ['Math.ceil(', 'Math.floor('],
  ['true', 'false'], ['false', 'true'],
];
const NO_STATEMENT_REMOVAL = /^(const|let|var|return|throw|if|for|while|do|else|case|default|break|continue|function|export|import|class|async|await|yield|try|catch|finally|switch|static|get |set |constructor|super)\b|^[})\]]/;

function balanced(s) {
  let d = 0;
  for (const c of s) {
    if ('([{'.includes(c)) d++;
    else if (')]}'.includes(c)) d--;
    if (d < 0) return false;
  }
  return d === 0;
}

function mutantsOf(file, src) {
  const lines = src.split('\n');
  const out = [];
  const add = (line, col, from, to, kind) => out.push({ line, col, from, to, kind });
  lines.forEach((text, i) => {
    const t = text.trim();
    if (t === '' || t.startsWith('//') || t.startsWith('*') || t.startsWith('/*') || /^(import|export \{|export \*)/.test(t) || t.startsWith('//# sourceMappingURL')) return;
    const code = codeMask(text);
    for (const [a, b] of SWAPS) {
      for (let j = code.indexOf(a); j >= 0; j = code.indexOf(a, j + 1)) {
        if (/^\w/.test(a) && /\w/.test(code[j - 1] ?? '')) continue; // inside an identifier
        if ((a === 'true' || a === 'false') && /\w/.test(code[j + a.length] ?? '')) continue;
        if ((a === '++' || a === '--') && (code[j + 2] === '=' || code[j - 1] === ' ' && code[j + 2] === ' ')) continue;
        add(i, j, a, b, 'operator');
      }
    }
    // Logical negation removed: !x → x (not !=, !==).
    for (const m of code.matchAll(/!(?!=)/g)) add(i, m.index, '!', '', 'negation');
    // Numbers: 0 ↔ 1, other integers + 1, decimals × 2.
    for (const m of code.matchAll(/(?<![\w.$])(\d+\.\d+(?:e-?\d+)?|\d+(?:e\d+)?)(?![\w.])/g)) {
      const v = Number(m[1]);
      const to = m[1].includes('.') ? String(v * 2) : v === 0 ? '1' : v === 1 ? '0' : String(v + 1);
      add(i, m.index, m[1], to, 'constant');
    }
    // Conditions forced: if (c) → if (true) / if (false).
    const cond = /^(\s*(?:\} else )?if \()(.*)(\)\s*\{?\s*.*)$/.exec(text);
    if (cond && balanced(codeMask(cond[2]))) {
      const start = cond[1].length;
      add(i, start, cond[2], 'true', 'condition');
      add(i, start, cond[2], 'false', 'condition');
    }
    // Statement removed: a one-line expression statement.
    // (Not a class field declaration such as `kind;`: tsc emits those, and removing one changes nothing.)
    if (t.endsWith(';') && !NO_STATEMENT_REMOVAL.test(t) && !/^[\w$]+;$/.test(t) && balanced(codeMask(t))) add(i, text.indexOf(t), t, ';', 'statement');
  });
  return out.map((m) => {
    const l = lines[m.line];
    const mutated = l.slice(0, m.col) + m.to + l.slice(m.col + m.from.length);
    const all = lines.slice();
    all[m.line] = mutated;
    return { ...m, original: l.trim(), mutated: mutated.trim(), source: all.join('\n') };
  });
}

/** Emitted JS line (0-based) → TypeScript line (1-based), from tsc's source map (base64 VLQ mappings). */
function tsLines(jsFile) {
  const out = [];
  let map;
  try { map = JSON.parse(readFileSync(jsFile + '.map', 'utf8')); } catch { return out; }
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let srcLine = 0;
  map.mappings.split(';').forEach((line, gen) => {
    for (const seg of line.split(',')) {
      if (!seg) continue;
      const vals = [];
      let v = 0, shift = 0;
      for (const ch of seg) {
        const d = B64.indexOf(ch);
        v += (d & 31) << shift;
        if (d & 32) { shift += 5; continue; }
        vals.push(v & 1 ? -(v >>> 1) : v >>> 1);
        v = 0; shift = 0;
      }
      if (vals.length >= 4) {
        srcLine += vals[2];
        if (out[gen] === undefined) out[gen] = srcLine + 1;
      }
    }
  });
  return out;
}

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------ coverage

// Each baseline test run writes V8 block coverage (NODE_V8_COVERAGE, inherited by the test runner's
// child, the worker threads and spawned CLI processes). A mutant is then run only against the test
// files that execute its position; one that no test executes is a survivor without running anything.

/** Is offset executed, by one process's ranges? The innermost range holding it decides (V8's rule). */
function executedIn(ranges, offset) {
  let best = null;
  for (const r of ranges) if (r[0] <= offset && offset < r[1] && (!best || r[1] - r[0] < best[1] - best[0])) best = r;
  return best !== null && best[2] > 0;
}

/** Merges the ranges of several processes: executed if any process executed it. */
function covers(cov, offset) {
  return cov.some((ranges) => executedIn(ranges, offset));
}

// ------------------------------------------------------------------ running

/**
 * Runs one test file (nice 19). The machine is shared, so the limits are on CPU time, not wall time:
 * a mutant that loops runs out of its CPU seconds (SIGXCPU, counted as killed) however busy the
 * cores are; the wall-clock limit is only a backstop for a mutant that hangs without spinning.
 * Returns the CPU seconds the test file's processes used (GNU time counts waited-for descendants).
 */
function runTest(test, { cpuLimit = 0, wallMs = 3_600_000, coverageDir = null } = {}) {
  const t0 = Date.now();
  const env = { ...process.env, TINY_MNIST_THREADS: '2' };
  if (coverageDir) env.NODE_V8_COVERAGE = coverageDir;
  else delete env.NODE_V8_COVERAGE;
  const timeFile = path.join(WORK, 'time.txt');
  rmSync(timeFile, { force: true });
  const limit = cpuLimit > 0 ? ['prlimit', `--cpu=${Math.ceil(cpuLimit)}:${Math.ceil(cpuLimit) + 10}`] : [];
  const cmd = ['-f', '%U %S', '-o', timeFile, ...limit, 'nice', '-n', '19', process.execPath, '--test', '--test-reporter=dot', test];
  const r = spawnSync('/usr/bin/time', cmd, { cwd: COPY, encoding: 'utf8', timeout: wallMs, env, killSignal: 'SIGKILL' });
  let cpu = NaN;
  try { cpu = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').reduce((a, b) => a + Number(b), 0); } catch { /* killed */ }
  const cpuOut = /SIGXCPU|SIGKILL/.test(r.stdout + r.stderr);
  return { ok: r.status === 0, timedOut: r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGKILL' || cpuOut, ms: Date.now() - t0, cpu };
}

/** Baselines are kept between runs under .mutate/baseline/, valid while the test file and every other compiled file are unchanged. */
function baselineKey(test, srcHash) {
  return createHash('sha1').update(readFileSync(path.join(COPY, test))).update(srcHash).digest('hex');
}

function distHash() {
  const h = createHash('sha1');
  for (const f of walk(path.join(COPY, 'dist')).filter((x) => x.endsWith('.js') && !x.endsWith('.test.js')).sort()) h.update(f).update(readFileSync(f));
  return h.digest('hex');
}

/** 95% Wilson score interval for k successes in n trials, in percent. */
function wilson(k, n) {
  if (n === 0) return [0, 100];
  const z = 1.959964, p = k / n, d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d, h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [100 * Math.max(0, c - h), 100 * Math.min(1, c + h)];
}

/** Test files most likely to kill a mutant of `rel` first: the ones named after its file, then its folder's, then the fastest. */
function testOrder(rel, durations) {
  const stem = path.basename(rel, '.ts');
  const dir = path.basename(path.dirname(rel));
  const rank = (t) => {
    const b = path.basename(t).replace(/\.test\.js$/, '').replace(/\.golden$/, '');
    return b === stem || b.startsWith(stem + '-') || b.startsWith(stem + '.') ? 0 : path.basename(path.dirname(t)) === dir ? 1 : 2;
  };
  return (a, b) => rank(a) - rank(b) || durations.get(a) - durations.get(b);
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  // An entry matches by file and line text; one with a `line` (TypeScript) only that line, for a
  // text that occurs more than once with different meanings.
  const equivalents = JSON.parse(readFileSync(path.join(ROOT, 'scripts', 'mutation-equivalent.json'), 'utf8'));
  const equivalent = { has: (key, line) => equivalents.some((e) => `${e.file}|${e.original}|${e.mutated}` === key && (e.line === undefined || e.line === line)) };
  prepareCopy();
  const closures = testClosures(o.allTests);
  const sources = o.paths.flatMap((p) => (p.endsWith('.ts') ? [path.join(ROOT, p)] : walk(path.join(ROOT, p)).filter((f) => f.endsWith('.ts')))).sort();
  const durations = new Map(); // test → wall ms of its baseline run
  const coverage = new Map(); // test → Map(dist file → ranges[][]), one entry per process
  const pick = rng(o.seed);

  // 1. Every file's mutants and the tests that load it.
  const files = [];
  for (const ts of sources) {
    const rel = path.relative(ROOT, ts);
    const js = path.join(COPY, 'dist', rel.replace(/\.ts$/, '.js'));
    if (!existsSync(js)) continue;
    const original = readFileSync(js, 'utf8');
    const lineStart = [0];
    for (let i = 0; i < original.length; i++) if (original[i] === '\n') lineStart.push(i + 1);
    let tests = closures.filter((c) => c.deps.has(js)).map((c) => c.test);
    if (o.tests) tests = tests.filter((t) => o.tests.some((x) => t.includes(x)));
    const tsLine = tsLines(js);
    const mutants = mutantsOf(rel, original).map((m) => ({ ...m, rel, js, offset: lineStart[m.line] + m.col, tsLine: tsLine[m.line] ?? m.line + 1 }));
    files.push({ rel, js, original, tests, mutants, total: mutants.length });
  }
  // 2. The sample: --sample N per file, or --sample-folder N per folder (N mutants that are neither
  //    equivalent nor invalid, drawn at random from all of the folder's files: a stratified sample).
  if (o.sample > 0) {
    for (const f of files) if (f.mutants.length > o.sample) f.mutants = f.mutants.map((m) => [pick(), m]).sort((a, b) => a[0] - b[0]).slice(0, o.sample).map(([, m]) => m).sort((a, b) => a.line - b.line);
  }
  if (o.list) {
    for (const f of files) console.log(`${f.rel}: ${f.total} mutants${o.sample ? `, ${f.mutants.length} sampled` : ''}; tests: ${f.tests.map((t) => t.replace(/^dist\/test\//, '')).join(' ') || 'NONE'}`);
    return;
  }
  let queue = files.flatMap((f) => f.mutants.map((m) => ({ m, f })));
  const folderQuota = new Map();
  // --rerun REPORT: judge again only that report's survivors (after new tests); its killed mutants
  // are carried over as killed (sound while the code is unchanged and tests were only added).
  let prior = null;
  if (o.rerun) {
    prior = JSON.parse(readFileSync(o.rerun, 'utf8'));
    const again = new Set(prior.flatMap((r) => r.survivors.map((s) => `${r.file}|${s.original}|${s.mutated}`)));
    queue = queue.filter(({ m, f }) => again.has(`${f.rel}|${m.original}|${m.mutated}`));
    const seen = new Set();
    queue = queue.filter(({ m, f }) => { const k = `${f.rel}|${m.original}|${m.mutated}`; return !seen.has(k) && seen.add(k); });
  }
  if (o.sampleFolder > 0) {
    // Each folder draws from its own generator (seed and folder name), so a folder's sample is the
    // same whichever other folders are in the run.
    const pickers = new Map();
    const key = (folder) => pickers.get(folder) ?? pickers.set(folder, rng(o.seed * 7919 + [...folder].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 0))).get(folder);
    queue = queue.map((q) => [key(path.dirname(q.f.rel))(), q]).sort((a, b) => a[0] - b[0]).map(([, q]) => q);
  }

  // 3. Baselines, run when a mutant first needs the test: it passes unmutated, and what it executes
  //    and the CPU seconds it takes are recorded (kept under .mutate/baseline/ while nothing changed).
  const srcHash = distHash();
  const cpuOf = new Map();
  mkdirSync(path.join(WORK, 'baseline'), { recursive: true });
  const ensureBaseline = (t) => {
    if (cpuOf.has(t)) return;
    const cacheFile = path.join(WORK, 'baseline', t.replace(/[/\\]/g, '_') + '.json');
    const key = baselineKey(t, srcHash);
    let base = existsSync(cacheFile) ? JSON.parse(readFileSync(cacheFile, 'utf8')) : null;
    if (base?.key !== key) base = null;
    if (!base) {
      const dir = path.join(WORK, 'coverage', t.replace(/[/\\]/g, '_'));
      rmSync(dir, { recursive: true, force: true });
      const r = runTest(t, { coverageDir: dir });
      if (!r.ok) throw new Error(`mutate: ${t} fails without any mutant`);
      const cov = {};
      // One coverage file per process, kept apart: the innermost range is looked up per process.
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
        for (const [file, ranges] of readCoverageFile(path.join(dir, f))) (cov[path.relative(COPY, file)] ??= []).push(ranges);
      }
      rmSync(dir, { recursive: true, force: true });
      base = { key, ms: r.ms, cpu: r.cpu, coverage: cov };
      writeFileSync(cacheFile, JSON.stringify(base));
      console.log(`baseline  ${t}: ${r.cpu.toFixed(1)} CPU s (${(r.ms / 1000).toFixed(0)} s wall)`);
    }
    durations.set(t, base.ms);
    cpuOf.set(t, base.cpu);
    coverage.set(t, new Map(Object.entries(base.coverage).map(([f, c]) => [path.join(COPY, f), c])));
  };
  const depCount = new Map(closures.map((c) => [c.test, c.deps.size]));

  // 4. The mutants.
  const results = new Map(files.map((f) => [f.rel, { file: f.rel, total: f.total, ran: 0, killed: 0, timeout: 0, survived: 0, uncovered: 0, equivalent: 0, invalid: 0, noTests: 0, survivors: [] }]));
  const t0 = Date.now();
  // SIGTERM or Ctrl-C: finish the mutant under test, then write the report of what was judged.
  let stop = false;
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { stop = true; console.log(`\n${sig}: stopping after this mutant`); });
  const slow = (t) => SLOW_TESTS.some((re) => re.test(t.replace(/^dist\//, '')));
  for (const { m, f } of queue) {
    const folder = path.dirname(f.rel);
    if (o.sampleFolder > 0 && (folderQuota.get(folder) ?? 0) >= o.sampleFolder) continue;
    if (stop || (o.budgetMinutes > 0 && Date.now() - t0 > o.budgetMinutes * 60_000)) break;
    const res = results.get(f.rel);
    const key = `${f.rel}|${m.original}|${m.mutated}`;
    if (equivalent.has(key, m.tsLine)) { res.equivalent++; continue; }
    writeFileSync(f.js, m.source);
    let valid = true;
    try { execFileSync(process.execPath, ['--check', f.js], { stdio: 'ignore' }); } catch { valid = false; }
    writeFileSync(f.js, f.original);
    if (!valid) { res.invalid++; continue; }
    res.ran++;
    folderQuota.set(folder, (folderQuota.get(folder) ?? 0) + 1);
    // Candidates, most likely killer first: the test named after the file, its folder's, then the
    // most focused (fewest files loaded); the slow tests (--all-tests) last. --max-tests K examines
    // at most K of them (0: all): a mutant they miss counts as survived, so the score errs low.
    const cand = f.tests.slice().sort((a, b) => slow(a) - slow(b) || testOrder(f.rel, depCount)(a, b));
    let verdict = f.tests.length === 0 ? 'noTests' : 'uncovered';
    let by = null, ran = 0, examined = 0;
    for (const t of cand) {
      if (o.maxTests > 0 && examined >= o.maxTests) { if (verdict === 'uncovered') verdict = 'survived'; break; }
      if (ran > 0 && slow(t)) break; // slow tests only for mutants no fast test executes
      ensureBaseline(t);
      examined++;
      if (cpuOf.get(t) > o.maxTestSeconds) continue;
      if (o.coverage && !covers(coverage.get(t).get(f.js) ?? [], m.offset)) continue;
      writeFileSync(f.js, m.source);
      const r = runTest(t, { cpuLimit: Math.max(20, o.factor * cpuOf.get(t)), wallMs: Math.max(900_000, 20 * durations.get(t)) });
      writeFileSync(f.js, f.original);
      ran++;
      verdict = 'survived';
      if (r.timedOut) { verdict = 'timeout'; by = t; break; }
      if (!r.ok) { verdict = 'killed'; by = t; break; }
    }
    const tests = { length: ran };
    writeFileSync(f.js, f.original);
    res[verdict]++;
    if (verdict === 'survived' || verdict === 'noTests' || verdict === 'uncovered') res.survivors.push({ line: m.tsLine, kind: m.kind, verdict, original: m.original, mutated: m.mutated, tests: ran, examined });
    else (res.killedBy ??= []).push({ line: m.tsLine, mutated: m.mutated, by });
    console.log(`${verdict.padEnd(9)} ${f.rel}:${m.tsLine} [${m.kind}] ${m.original}  →  ${m.mutated}${by ? `  (${by.replace(/^dist\/test\//, '')})` : ` (${tests.length} tests ran, ${examined} examined)`}`);
  }
  for (const f of files) writeFileSync(f.js, f.original);

  mkdirSync(WORK, { recursive: true });
  const out = path.join(WORK, `report-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify([...results.values()], null, 1));
  const byFolder = new Map();
  if (prior) {
    // Carried over: the earlier run's kills and equivalents; its survivors were judged again above.
    for (const p of prior) {
      const f = results.get(p.file);
      if (!f) continue;
      f.killed += p.killed;
      f.timeout += p.timeout;
      f.equivalent += p.equivalent;
      f.invalid += p.invalid;
      f.killedBy = [...(p.killedBy ?? []), ...(f.killedBy ?? [])];
    }
    writeFileSync(out, JSON.stringify([...results.values()], null, 1));
  }
  for (const f of results.values()) {
    const k = path.dirname(f.file);
    const a = byFolder.get(k) ?? { killed: 0, judged: 0, uncovered: 0, equivalent: 0, total: 0 };
    a.killed += f.killed + f.timeout;
    a.judged += f.killed + f.timeout + f.survived + f.noTests + f.uncovered;
    a.uncovered += f.uncovered + f.noTests;
    a.equivalent += f.equivalent;
    a.total += f.total;
    byFolder.set(k, a);
  }
  console.log(`\n${o.rerun ? `survivors of ${o.rerun} judged again, its kills carried over` : o.sampleFolder ? `sample: ${o.sampleFolder} mutants per folder, seed ${o.seed}` : o.sample ? `sample: ${o.sample} per file, seed ${o.seed}` : 'every mutant'}`);
  console.log('folder            killed / judged   score   95% interval    not executed   equivalent   mutants in files');
  for (const [k, a] of byFolder) {
    const [lo, hi] = wilson(a.killed, a.judged);
    console.log(`${k.padEnd(17)} ${String(a.killed).padStart(6)} / ${String(a.judged).padEnd(6)}  ${a.judged ? ((100 * a.killed) / a.judged).toFixed(1).padStart(5) : '  –  '}%   ${lo.toFixed(0).padStart(3)}–${hi.toFixed(0).padEnd(3)}%       ${String(a.uncovered).padStart(4)}        ${String(a.equivalent).padStart(4)}       ${a.total}`);
  }
  console.log(`report: ${path.relative(ROOT, out)}`);
}

/** One coverage file (one process) → Map(dist/src file → ranges). */
function readCoverageFile(file) {
  const out = new Map();
  const prefix = pathToFileURL(path.join(COPY, 'dist', 'src')).href + '/';
  let data;
  try { data = JSON.parse(readFileSync(file, 'utf8')); } catch { return out; }
  for (const sc of data.result ?? []) {
    if (!sc.url.startsWith(prefix)) continue;
    const ranges = [];
    for (const fn of sc.functions) for (const r of fn.ranges) ranges.push([r.startOffset, r.endOffset, r.count]);
    out.set(fileURLToPath(sc.url), ranges);
  }
  return out;
}

main();
