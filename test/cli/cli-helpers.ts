// Running the real CLI (bin/tiny-mnist.js) in a child process, as a user would.
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [`${ROOT}bin/tiny-mnist.js`, ...args], {
    cwd: opts.cwd ?? ROOT, encoding: 'utf8', timeout: opts.timeoutMs ?? 600_000, env: { ...process.env, TINY_MNIST_THREADS: '2', ...opts.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
