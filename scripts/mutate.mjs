#!/usr/bin/env node
// Mutation testing without a framework: applies one small change at a time (an operator, a constant,
// a condition, a removed statement) to the JavaScript tsc emitted for a source file, runs the test
// files that import that file (fastest first, stopping at the first failure) and reports which
// mutants the tests kill. Run by `npm run mutate` (not part of `npm test`: it takes long).
//
//   npm run mutate -- [--sample N] [--seed S] [--timeout-factor F] [--max-test-seconds T] [--list]
//                     [--all-tests] [--tests t1,t2] [paths…]
//
// paths: source files or folders under src/ (default: the folders of docs/mutation.md). It mutates
// the emitted JS, not the .ts file: no tsc run per mutant, and the TypeScript lines map one to one
// (tsc only strips types), so each mutant is reported with its source line. A copy of the project
// under .mutate/root (dist copied, everything else linked) is mutated, so the worktree stays usable.
// Known equivalent mutants (docs/mutation.md explains each) are listed in scripts/mutation-equivalent.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, '.mutate');
const COPY = path.join(WORK, 'root');
const DEFAULT_SCOPE = ['src/ops', 'src/tensor', 'src/optim', 'src/data', 'src/io', 'src/train', 'src/kernels'];
// Test files that spawn browsers: never used to judge a mutant. Without --all-tests, also the ones
// that run the CLI end to end (tens of seconds each on a shared machine: a surviving mutant would
// run them all); the mutants they alone would kill are reported as survivors.
const BROWSER_TESTS = [/^test\/web\//];
const SLOW_TESTS = [/^test\/cli\//, /^test\/train\/(e2e|resume)\.test/, /^test\/io\/(onnx|model-file)\.test/];

function parseArgs(argv) {
  const o = { sample: 0, seed: 1, factor: 3, list: false, allTests: false, tests: null, maxTestSeconds: 60, paths: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sample') o.sample = Number(argv[++i]);
    else if (a === '--seed') o.seed = Number(argv[++i]);
    else if (a === '--timeout-factor') o.factor = Number(argv[++i]);
    else if (a === '--list') o.list = true;
    else if (a === '--all-tests') o.allTests = true;
    else if (a === '--max-test-seconds') o.maxTestSeconds = Number(argv[++i]);
    else if (a === '--tests') o.tests = argv[++i].split(',');
    else if (a.startsWith('--')) throw new Error(`mutate: unknown option ${a}`);
    else o.paths.push(a.replace(/\/$/, ''));
  }
  if (o.paths.length === 0) o.paths = DEFAULT_SCOPE;
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
  for (const name of ['build', 'node_modules', 'test', 'models', 'results', 'package.json', 'bin', 'web']) {
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

// ------------------------------------------------------------------ running

function runTest(test, timeoutMs) {
  const t0 = Date.now();
  const r = spawnSync('nice', ['-n', '19', process.execPath, '--test', '--test-reporter=dot', test], {
    cwd: COPY, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, TINY_MNIST_THREADS: '2' }, killSignal: 'SIGKILL',
  });
  return { ok: r.status === 0, timedOut: r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGKILL', ms: Date.now() - t0 };
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const equivalent = new Set(JSON.parse(readFileSync(path.join(ROOT, 'scripts', 'mutation-equivalent.json'), 'utf8')).map((e) => `${e.file}|${e.original}|${e.mutated}`));
  prepareCopy();
  const closures = testClosures(o.allTests);
  const sources = o.paths.flatMap((p) => (p.endsWith('.ts') ? [path.join(ROOT, p)] : walk(path.join(ROOT, p)).filter((f) => f.endsWith('.ts'))));
  // Baseline durations, kept between runs (a test's time hardly changes; it must still pass).
  const durFile = path.join(WORK, 'durations.json');
  const durations = new Map(existsSync(durFile) ? Object.entries(JSON.parse(readFileSync(durFile, 'utf8'))) : []);
  const passed = new Set();
  const results = [];
  const pick = rng(o.seed);
  for (const ts of sources.sort()) {
    const rel = path.relative(ROOT, ts);
    const js = path.join(COPY, 'dist', rel.replace(/\.ts$/, '.js'));
    if (!existsSync(js)) continue;
    const original = readFileSync(js, 'utf8');
    let mutants = mutantsOf(rel, original);
    const total = mutants.length;
    if (o.sample > 0 && mutants.length > o.sample) {
      mutants = mutants.map((m) => [pick(), m]).sort((a, b) => a[0] - b[0]).slice(0, o.sample).map(([, m]) => m).sort((a, b) => a.line - b.line);
    }
    let tests = closures.filter((c) => c.deps.has(js)).map((c) => c.test);
    if (o.tests) tests = tests.filter((t) => o.tests.some((x) => t.includes(x)));
    if (o.list) {
      console.log(`${rel}: ${total} mutants${o.sample ? `, ${mutants.length} sampled` : ''}; tests: ${tests.map((t) => t.replace(/^dist\/test\//, '')).join(' ') || 'NONE'}`);
      continue;
    }
    // Baseline: every selected test passes unmutated; its time orders the runs and sets the timeout.
    for (const t of tests) {
      if (passed.has(t)) continue;
      const r = runTest(t, 600_000);
      if (!r.ok) throw new Error(`mutate: ${t} fails without any mutant`);
      durations.set(t, Math.max(r.ms, durations.get(t) ?? 0));
      passed.add(t);
      writeFileSync(durFile, JSON.stringify(Object.fromEntries(durations), null, 1));
    }
    // Test files slower than --max-test-seconds (the CLI end-to-end ones) are left out: a surviving
    // mutant would run them all, for minutes each.
    const slow = tests.filter((t) => durations.get(t) > o.maxTestSeconds * 1000);
    if (slow.length) console.log(`${rel}: leaving out slow tests ${slow.map((t) => `${t} (${(durations.get(t) / 1000).toFixed(0)} s)`).join(', ')}`);
    tests = tests.filter((t) => !slow.includes(t)).sort((a, b) => durations.get(a) - durations.get(b));
    const file = { file: rel, total, ran: 0, killed: 0, timeout: 0, survived: 0, equivalent: 0, invalid: 0, noTests: 0, survivors: [] };
    for (const m of mutants) {
      const key = `${rel}|${m.original}|${m.mutated}`;
      if (equivalent.has(key)) { file.equivalent++; continue; }
      writeFileSync(js, m.source);
      try {
        execFileSync(process.execPath, ['--check', js], { stdio: 'ignore' });
      } catch {
        file.invalid++;
        continue;
      } finally {
        // restored below after the run
      }
      file.ran++;
      let verdict = tests.length === 0 ? 'noTests' : 'survived';
      for (const t of tests) {
        const r = runTest(t, Math.max(15_000, o.factor * durations.get(t)));
        if (r.timedOut) { verdict = 'timeout'; break; }
        if (!r.ok) { verdict = 'killed'; break; }
      }
      writeFileSync(js, original);
      file[verdict]++;
      if (verdict === 'survived' || verdict === 'noTests') file.survivors.push({ line: m.line + 1, kind: m.kind, original: m.original, mutated: m.mutated });
      process.stdout.write(verdict === 'killed' || verdict === 'timeout' ? '.' : 'S');
    }
    writeFileSync(js, original);
    results.push(file);
    const judged = file.killed + file.timeout + file.survived + file.noTests;
    console.log(`\n${rel}: ${file.killed + file.timeout}/${judged} killed (${judged ? ((100 * (file.killed + file.timeout)) / judged).toFixed(1) : '–'}%), ${file.equivalent} equivalent, ${file.invalid} invalid, of ${total}${o.sample ? ` (sample ${mutants.length})` : ''}`);
    for (const s of file.survivors) console.log(`  survived ${rel}:${s.line} [${s.kind}] ${s.original}  →  ${s.mutated}`);
  }
  if (o.list) return;
  mkdirSync(WORK, { recursive: true });
  const out = path.join(WORK, `report-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify(results, null, 1));
  const byFolder = new Map();
  for (const f of results) {
    const k = path.dirname(f.file);
    const a = byFolder.get(k) ?? { killed: 0, judged: 0, equivalent: 0, total: 0 };
    a.killed += f.killed + f.timeout;
    a.judged += f.killed + f.timeout + f.survived + f.noTests;
    a.equivalent += f.equivalent;
    a.total += f.total;
    byFolder.set(k, a);
  }
  console.log('\nfolder            killed / judged   score   equivalent   mutants in files');
  for (const [k, a] of byFolder) console.log(`${k.padEnd(17)} ${String(a.killed).padStart(6)} / ${String(a.judged).padEnd(6)}  ${a.judged ? ((100 * a.killed) / a.judged).toFixed(1).padStart(5) : '  –  '}%   ${String(a.equivalent).padStart(6)}       ${a.total}`);
  console.log(`report: ${path.relative(ROOT, out)}`);
}

main();
