// `tiny-mnist serve`: flags → ServeOptions → startServer → print the URL, serve until Ctrl-C.
// The page (dist/web) must be built and the model must load; the curves are optional.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine } from '../engine/node.js';
import { loadModel } from '../infer/inference.js';
import { startServer } from '../server/server.js';
import { UserError } from '../util/errors.js';
import { helpText, parseFlags, type FlagSpec } from './args.js';
import { DATA, modelPathFrom } from './common.js';
import type { Command } from './main.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const SPECS: FlagSpec[] = [
  { name: 'port', type: 'int', default: 8080, min: 0, max: 65535, help: 'TCP port (0 picks a free one)' },
  { name: 'host', type: 'string', default: '127.0.0.1', help: 'address to listen on' },
  { name: 'model', type: 'string', metavar: 'FILE', help: 'model.safetensors the page classifies with (default: the shipped models/seed16k.safetensors)' },
  { name: 'results', type: 'string', metavar: 'DIR', help: 'run directory whose curves.svg and metrics.csv the page shows (default: results/seed16k/seed-1, the record of the shipped model)' },
  DATA,
  { name: 'train-images', type: 'int', default: 10000, min: 1, max: 60000, help: 'training images offered for in-page training' },
  { name: 'test-images', type: 'int', default: 1000, min: 1, max: 10000, help: 'test images the page evaluates and shows mistakes from' },
  { name: 'source-maps', type: 'bool', help: 'also serve the page\'s source maps (they contain the TypeScript sources)' },
];

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the web page',
  async run(argv) {
    if (argv.includes('--help')) {
      console.log(helpText('serve', '[options]', 'Serves the page: draw a digit and see it classified, train in the browser (run `npm run build` first).', SPECS));
      return 0;
    }
    const { flags: f } = parseFlags('serve', argv, SPECS);
    const model = modelPathFrom(f);
    // The page classifies with this file: a missing or unusable one is an error now, not a broken page.
    initEngine({ threads: 1 });
    loadModel(model);
    const server = await startServer({
      port: f.port as number,
      host: f.host as string,
      model,
      resultsDir: (f.results as string | undefined) ?? path.join(ROOT, 'results', 'seed16k', 'seed-1'),
      dataDir: f.data as string | undefined,
      trainImages: f['train-images'] as number,
      testImages: f['test-images'] as number,
      sourceMaps: f['source-maps'] === true,
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new UserError(`port ${f.port} on ${f.host} is in use (try --port 0)`);
      if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') throw new UserError(`cannot listen on host ${f.host} (${err.code})`);
      throw err;
    });
    console.log(`tiny-mnist: serving on ${server.url} (Ctrl-C stops)`);
    await waitForSignal();
    await server.close();
    return 0;
  },
};
