// Robustness of training runs through the real CLI: a run killed with SIGKILL mid-epoch and
// resumed ends with weights bit-identical to an uninterrupted run; a diverging run stops with a
// clear message and keeps its last good checkpoint.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers.js';
import { cli } from '../cli/cli-helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-resume-'));
const ARGS = ['--limit-train', '2000', '--limit-test', '300', '--epochs', '3', '--threads', '2', '--seed', '5'];

function csvRows(dir: string): number {
  const f = path.join(dir, 'metrics.csv');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').length - 1 : 0;
}

/** Starts a training run and SIGKILLs it once `epochs` epochs are on disk plus `delayMs`. */
function killDuring(out: string, epochs: number, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}bin/tiny-mnist.js`, 'train', ...ARGS, '--out', out], { stdio: 'ignore' });
    const timer = setInterval(() => {
      if (csvRows(out) >= epochs) {
        clearInterval(timer);
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    }, 20);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`training ended by itself (code ${code}) before it could be killed`));
    });
  });
}

describe('interrupted training', () => {
  it('SIGKILL mid-epoch, then --resume: final weights bit-identical to an uninterrupted run', async () => {
    const whole = path.join(tmp, 'whole'), killed = path.join(tmp, 'killed');
    const a = cli(['train', ...ARGS, '--out', whole]);
    assert.equal(a.code, 0, a.stderr);
    await killDuring(killed, 1, 300);
    const rows = csvRows(killed);
    assert.ok(rows >= 1 && rows < 3, `killed after ${rows} epochs`);
    const b = cli(['train', '--resume', killed]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, new RegExp(`from epoch ${rows + 1}`));
    assert.equal(csvRows(killed), 3);
    const wa = readFileSync(path.join(whole, 'model.safetensors'));
    const wb = readFileSync(path.join(killed, 'model.safetensors'));
    assert.ok(wa.equals(wb), 'model.safetensors differs between the uninterrupted and the resumed run');
  });

  it('--lr 1e6 stops with a clear message naming the step and learning rate; the last good checkpoint stays', () => {
    const out = path.join(tmp, 'diverge');
    const r = cli(['train', '--lr', '1e6', '--limit-train', '2000', '--limit-test', '200', '--epochs', '2', '--out', out]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /training diverged: (loss is \S+|weights became NaN or Infinity) at step \d+.*learning rate/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.ok(existsSync(path.join(out, 'config.json')));
  });

  it('--resume of a folder that does not exist is a usage error', () => {
    const r = cli(['train', '--resume', path.join(tmp, 'nothing-here')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nothing-here: no such folder, so no run to resume/);
  });
});
