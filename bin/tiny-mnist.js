#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm install` in a clone, shipped built in
// the npm package).
import { main } from '../dist/src/cli/main.js';
// A reader that stops early (`tiny-mnist bench | head`) closes the pipe: end quietly, as Unix tools do.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
