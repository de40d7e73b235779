// Run folders and resume through the real CLI: a folder holding a run is never overwritten or
// mixed with another run unless --overwrite (then nothing of the old run is left), a lock keeps a
// second process out, --resume continues only the run it finds with the settings it recorded, and
// Ctrl-C or a full disk stop with every finished epoch saved and the command that resumes.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_RECIPE } from '../../src/train/recipe.js';
import { ROOT } from '../helpers.js';
import { cli } from './cli-helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-runs-'));
const SMALL = ['--limit-train', '600', '--limit-test', '100', '--bn-recalibrate', '0', '--threads', '2'];
const FILES = ['config.json', 'model.safetensors', 'metrics.csv', 'curves.svg', 'checkpoint.safetensors'];

const read = (dir: string, f: string) => readFileSync(path.join(dir, f));
const config = (dir: string) => JSON.parse(read(dir, 'config.json').toString('utf8')) as { seed: number; runId: string; epochs: number };
const csvRows = (dir: string) => (existsSync(path.join(dir, 'metrics.csv')) ? read(dir, 'metrics.csv').toString('utf8').trim().split('\n').slice(1) : []);
const snapshot = (dir: string) => Object.fromEntries(FILES.map((f) => [f, read(dir, f).toString('base64')]));

function train(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  return cli(['train', ...SMALL, ...args], opts);
}

function oneLineError(r: { code: number | null; stderr: string }, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr.trim(), pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

describe('--test-every', () => {
  it('scores only every N-th epoch and the last; the last epoch, the weights and the model are those of a run that scored every epoch', () => {
    const every = path.join(tmp, 'every'), third = path.join(tmp, 'third');
    // With BatchNorm re-estimated before each scoring (the default recipe's; SMALL turns it off).
    assert.equal(train(['--epochs', '4', '--bn-recalibrate', '256', '--out', every]).code, 0);
    const r = train(['--epochs', '4', '--bn-recalibrate', '256', '--test-every', '3', '--out', third]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Epoch: 1, .*not scored \(--test-every\)/);
    assert.match(r.stdout, /Epoch: 3, .*test acc: [\d.]+%/);
    const cells = (dir: string) => csvRows(dir).map((l) => l.split(','));
    const a = cells(every), b = cells(third);
    // Epochs 1, 2: not scored (empty test cells); 3 (every third) and 4 (the last): scored.
    assert.deepEqual(b.map((c) => c[4] === ''), [true, true, false, false]);
    for (let i = 0; i < 4; i++) {
      const cols = [0, 1, 2, 5].concat(b[i]![4] === '' ? [] : [3, 4]); // not the seconds
      for (const j of cols) assert.equal(b[i]![j], a[i]![j], `epoch ${i + 1}, column ${j}`);
    }
    // Training never reads what scoring sets, so the final weights (and BatchNorm statistics) are the same bytes.
    assert.ok(read(third, 'model.safetensors').equals(read(every, 'model.safetensors')), 'model.safetensors');
    assert.equal((JSON.parse(read(third, 'config.json').toString('utf8')) as { recipe: { testEvery: number } }).recipe.testEvery, 3);
    // The curves name the last scored epoch, never a NaN.
    const svg = read(third, 'curves.svg').toString('utf8');
    assert.match(svg, /epoch 4: test accuracy [\d.]+%/);
    assert.doesNotMatch(svg, /NaN/);
  });
});

describe('run folders', () => {
  it('a folder holding a run is refused and left as it was; --overwrite leaves nothing of the old run', () => {
    const dir = path.join(tmp, 'taken');
    assert.equal(train(['--epochs', '2', '--out', dir]).code, 0);
    const before = snapshot(dir);
    const oldId = config(dir).runId;
    oneLineError(train(['--epochs', '3', '--seed', '7', '--out', dir]), 2, /taken: holds a run already; continue it with --resume .*taken, or replace it with --overwrite/);
    // A replacement that fails its checks before training must not cost the old run anything.
    oneLineError(train(['--batch-size', '8192', '--overwrite', '--out', dir]), 2, /--batch-size 8192 needs about/);
    assert.deepEqual(snapshot(dir), before, 'the old run is untouched');

    // --overwrite deletes the old files first: a replacement that dies before its first epoch is
    // saved (here: a full disk after config.json) leaves only its own config.json.
    const dies = train(['--epochs', '1', '--seed', '8', '--overwrite', '--out', dir], { env: { TINY_MNIST_TEST_DISK_FREE: '8000' } });
    assert.equal(dies.code, 2, dies.stderr);
    assert.deepEqual(readdirSync(dir), ['config.json']);
    assert.equal(config(dir).seed, 8);

    const r = train(['--epochs', '1', '--seed', '7', '--overwrite', '--out', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(config(dir).seed, 7);
    assert.notEqual(config(dir).runId, oldId);
    assert.deepEqual(csvRows(dir).map((l) => l.split(',')[0]), ['1'], 'metrics.csv holds only the new run');
    for (const f of FILES) assert.notEqual(read(dir, f).toString('base64'), before[f], `${f} is the new run's`);
    assert.deepEqual(readdirSync(dir).sort(), [...FILES].sort(), 'no lock or temp file left');
  });

  it('--resume refuses flags that cannot change, saying why', () => {
    const dir = path.join(tmp, 'fixed');
    assert.equal(train(['--epochs', '1', '--out', dir]).code, 0);
    const before = snapshot(dir);
    const CASES: string[][] = [
      ['--seed', '7'], ['--lr', '0.5'], ['--data', tmp], ['--limit-train', '10'], ['--batch-size', '64'],
      ['--arch', 'seed16k'], ['--out', path.join(tmp, 'elsewhere')], ['--overwrite'], ['--dry-run'], ['--schedule', 'constant'],
    ];
    for (const extra of CASES) {
      const r = cli(['train', '--resume', dir, '--epochs', '2', ...extra]);
      oneLineError(r, 2, new RegExp(`${extra[0]} cannot be given: a resumed run keeps the settings in .*fixed/config\\.json`));
    }
    assert.deepEqual(snapshot(dir), before);
  });

  it('--resume --epochs N extends a finished run at the schedule\'s final learning rate and prints the recorded seed', () => {
    const dir = path.join(tmp, 'extend');
    assert.equal(train(['--epochs', '2', '--seed', '7', '--out', dir]).code, 0);
    oneLineError(cli(['train', '--resume', dir]), 2, /the run has finished all 2 epochs; to train it further, give --epochs N with N > 2/);
    oneLineError(cli(['train', '--resume', dir, '--epochs', '1']), 2, /--epochs 1: the run in .* has 2 epochs already; give more than 2/);
    const r = cli(['train', '--resume', dir, '--epochs', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /3 epochs from epoch 3, seed 7;/);
    const rows = csvRows(dir);
    assert.deepEqual(rows.map((l) => l.split(',')[0]), ['1', '2', '3']);
    // OneCycle over the original 2 epochs ends at lr / divFactor / finalDivFactor and stays there.
    const final = DEFAULT_RECIPE.lr / DEFAULT_RECIPE.divFactor / DEFAULT_RECIPE.finalDivFactor;
    assert.equal(Number(rows[2]!.split(',')[5]), Number(final.toPrecision(6)));
    assert.equal(config(dir).epochs, 3);
    assert.equal(config(dir).seed, 7);
  });

  it('a checkpoint of another run is refused', () => {
    const a = path.join(tmp, 'run-a'), b = path.join(tmp, 'run-b');
    assert.equal(train(['--epochs', '2', '--out', a]).code, 0);
    assert.equal(train(['--epochs', '2', '--out', b]).code, 0);
    cpSync(path.join(a, 'checkpoint.safetensors'), path.join(b, 'checkpoint.safetensors'));
    oneLineError(cli(['train', '--resume', b, '--epochs', '3']), 2, /checkpoint\.safetensors: belongs to run [0-9a-f]+, but config\.json to run [0-9a-f]+; the folder mixes two runs/);
  });

  it('run.lock keeps a second process out; the lock of a dead process is taken over; a kill\'s temp files are removed', () => {
    const dir = path.join(tmp, 'locked');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'run.lock'), `${process.pid}\n`); // this test process: alive
    oneLineError(train(['--epochs', '1', '--out', dir]), 2, new RegExp(`locked: in use by process ${process.pid}`));
    assert.deepEqual(readdirSync(dir), ['run.lock']);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(path.join(dir, 'run.lock'), `${dead}\n`);
    const temp = 'model.safetensors.tmp-99999-0123456789ab';
    writeFileSync(path.join(dir, temp), 'half a file');
    const r = train(['--epochs', '1', '--out', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(dir).sort(), [...FILES].sort(), 'stale lock and temp file gone, no lock left');
  });

  it('default run folders do not collide; --dry-run writes nothing', async () => {
    const cwd = mkdtempSync(path.join(tmp, 'cwd-'));
    const start = () => new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [`${ROOT}bin/tiny-mnist.js`, 'train', ...SMALL, '--epochs', '1', '--limit-train', '64', '--batch-size', '64', '--json'], { cwd, stdio: 'ignore' });
      child.on('exit', resolve);
    });
    assert.deepEqual(await Promise.all([start(), start(), start()]), [0, 0, 0]);
    const runs = readdirSync(path.join(cwd, 'runs'));
    assert.equal(runs.length, 3, `three folders: ${runs.join(', ')}`);
    for (const r of runs) assert.match(r, /^\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d-\d{3}(-\d+)?$/);
    const dry = mkdtempSync(path.join(tmp, 'dry-'));
    assert.equal(cli(['train', '--dry-run', '--threads', '2'], { cwd: dry }).code, 0);
    assert.deepEqual(readdirSync(dry), [], '--dry-run made no folder');
  });
});

describe('stopping and resuming', () => {
  const ARGS = [...SMALL, '--limit-train', '1500', '--epochs', '3', '--seed', '5'];
  let whole: Buffer;

  /** Starts a run, sends `signal` once `epochs` epochs are on disk; resolves with the exit code and stderr. */
  function signalDuring(out: string, epochs: number, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [`${ROOT}bin/tiny-mnist.js`, 'train', ...ARGS, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      const timer = setInterval(() => {
        if (csvRows(out).length >= epochs) {
          clearInterval(timer);
          setTimeout(() => child.kill(signal), 200);
        }
      }, 20);
      child.on('close', (code) => {
        clearInterval(timer);
        resolve({ code, stderr });
      });
    });
  }

  it('an uninterrupted run, for reference', () => {
    const dir = path.join(tmp, 'whole');
    assert.equal(cli(['train', ...ARGS, '--out', dir]).code, 0);
    whole = read(dir, 'model.safetensors');
  });

  it('Ctrl-C: one line with the resume command, exit 130, the finished epoch kept; resuming ends bit-identical', async () => {
    const dir = path.join(tmp, 'ctrl-c');
    const r = await signalDuring(dir, 1, 'SIGINT');
    oneLineError(r, 130, /^tiny-mnist train: interrupted (during|after) epoch \d; epochs? 1.* saved in .*ctrl-c; resume with: tiny-mnist train --resume \S*ctrl-c$/);
    assert.ok(csvRows(dir).length >= 1 && csvRows(dir).length < 3, 'stopped before the end, the finished epoch kept');
    assert.ok(!existsSync(path.join(dir, 'run.lock')), 'lock released');
    const resumed = cli(['train', '--resume', dir]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok(read(dir, 'model.safetensors').equals(whole), 'model differs from the uninterrupted run');
  });

  it('a full disk (ENOSPC while saving epoch 2): one line with the resume command, exit 2, epoch 1 kept; resuming ends bit-identical', () => {
    const dir = path.join(tmp, 'full');
    // TINY_MNIST_TEST_DISK_FREE (io/atomic.ts) fails writes with ENOSPC once this many bytes are written:
    // room for config.json and epoch 1's files (about 210 KB), not for epoch 2's.
    const r = cli(['train', ...ARGS, '--out', dir], { env: { TINY_MNIST_TEST_DISK_FREE: '300000' } });
    oneLineError(r, 2, /^tiny-mnist train: .*full: cannot save epoch 2: no space left on the device \(ENOSPC\); epoch 1 is saved in .*full; resume with: tiny-mnist train --resume \S*full$/);
    assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp-')), 'no temp file left');
    const resumed = cli(['train', '--resume', dir]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /from epoch 2/);
    assert.ok(read(dir, 'model.safetensors').equals(whole), 'model differs from the uninterrupted run');
  });
});
