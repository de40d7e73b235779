// The page's HTTP server (node:http): GET and HEAD of a fixed route table (assets.ts), nothing else.
// Every answer carries the headers that make the page cross-origin isolated (shared wasm memory
// needs it) and locked down (CSP, nosniff); a Host header other than localhost or an IP address
// gets 403 (DNS rebinding). Bad requests get a 4xx and never stop the server.
// It does not print or read flags (cli/serve.ts does).
import http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { buildAssets, type Asset, type AssetOptions, type SiteInfo } from './assets.js';

export interface ServeOptions extends AssetOptions {
  port: number;
  host: string;
}

export interface RunningServer {
  url: string;
  port: number;
  info: SiteInfo;
  close(): Promise<void>;
}

export const CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'", // compiling the kernels is "wasm eval"
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' blob:",
  "style-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-cache',
};

const MAX_PATH = 256;

/** The route a request target names, or null if it is not a plain absolute path of safe characters. */
export function routePath(target: string): string | null {
  const end = target.search(/[?#]/);
  const p = end < 0 ? target : target.slice(0, end);
  // Percent signs, backslashes, NUL and the like never occur in our routes: refuse, don't decode.
  if (p.length > MAX_PATH || !/^\/[A-Za-z0-9._/-]*$/.test(p) || p.startsWith('//')) return null;
  if (p.split('/').some((s) => s === '.' || s === '..')) return null;
  return p;
}

function send(res: http.ServerResponse, status: number, asset: Asset, head: boolean, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': asset.type, 'Content-Length': String(asset.body.length), ...extra });
  res.end(head ? undefined : asset.body);
}

function fail(res: http.ServerResponse, status: number, message: string, head: boolean, extra: Record<string, string> = {}): void {
  send(res, status, { body: new TextEncoder().encode(`${status} ${message}\n`), type: 'text/plain; charset=utf-8' }, head, extra);
}

/**
 * DNS rebinding: a page on evil.example whose name later resolves to 127.0.0.1 reaches this server
 * with "Host: evil.example". Only names that cannot be rebound are served: localhost, IP literals
 * (127.0.0.1, [::1], a LAN address when bound to 0.0.0.0) and the host we were told to bind, each
 * with our port (or none).
 */
export function allowedHost(hostHeader: string | undefined, boundHost: string, port: number): boolean {
  if (hostHeader === undefined) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(\d{1,5}))?$/.exec(hostHeader.trim());
  if (!m) return false;
  if (m[2] !== undefined && Number(m[2]) !== port) return false;
  const name = m[1]!.toLowerCase().replace(/\.$/, '');
  const bare = name.startsWith('[') ? name.slice(1, -1) : name;
  return name === 'localhost' || isIP(bare) !== 0 || bare === boundHost.toLowerCase().replace(/^\[|\]$/g, '');
}

function handle(table: Map<string, Asset>, req: http.IncomingMessage, res: http.ServerResponse, host: string, port: number): void {
  const method = req.method ?? '';
  const head = method === 'HEAD';
  if (!allowedHost(req.headers.host, host, port)) return fail(res, 403, 'forbidden host (use http://localhost or http://127.0.0.1)', head, { Connection: 'close' });
  // A body we will not read: answer, then close the connection rather than drain it.
  const close = { Connection: 'close' };
  if (method !== 'GET' && !head) return fail(res, 405, 'method not allowed (GET and HEAD only)', false, { Allow: 'GET, HEAD', ...close });
  const length = Number(req.headers['content-length'] ?? '0');
  if (req.headers['transfer-encoding'] !== undefined || length !== 0) return fail(res, 413, 'request bodies are not accepted', head, close);
  const route = routePath(req.url ?? '');
  if (route === null) return fail(res, 400, 'bad path', head);
  const asset = table.get(route);
  if (asset === undefined) return fail(res, 404, 'not found', head);
  send(res, 200, asset, head);
}

/** Builds the route table, then listens; resolves with the URL once the port is bound. */
export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const { table, info } = buildAssets(o);
  let port = 0;
  const server = http.createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    try {
      handle(table, req, res, o.host, port);
    } catch {
      if (!res.headersSent) fail(res, 500, 'internal error', false, { Connection: 'close' });
      else res.destroy();
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}/`,
    port,
    info,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
