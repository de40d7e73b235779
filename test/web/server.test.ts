// The page's HTTP server without a browser: what it serves and with which headers, and that path
// traversal, other methods, request bodies and malformed requests get a 4xx while it keeps serving.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { after, before, describe, it } from 'node:test';
import { allowedHost, routePath, startServer, type RunningServer } from '../../src/server/server.js';
import { cli } from '../cli/cli-helpers.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request with the path sent exactly as written (Node does not normalise it). */
function request(server: RunningServer, method: string, path: string, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = body ? { 'Content-Length': String(body.length) } : {};
    const req = http.request({ host: '127.0.0.1', port: server.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw bytes on a socket: for requests Node's client refuses to send. Resolves with the status line. */
function raw(server: RunningServer, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1', () => socket.end(text));
    let got = '';
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', () => resolve(got.split('\r\n')[0] ?? ''));
    socket.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
  });
}

describe('serve: the page server', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ port: 0, host: '127.0.0.1', trainImages: 500, testImages: 100 });
  });
  after(() => server.close());

  it('serves the page, its scripts and wasm, and the data slices, with isolation and lock-down headers', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/', /^text\/html/], ['/index.html', /^text\/html/], ['/app.js', /^text\/javascript/],
      ['/engine-worker.js', /^text\/javascript/], ['/pool-worker.js', /^text\/javascript/], ['/style.css', /^text\/css/],
      ['/kernels-relaxed.wasm', /^application\/wasm$/], ['/kernels-simd.wasm', /^application\/wasm$/],
      ['/info.json', /^application\/json/], ['/data/t10k-images-idx3-ubyte', /^application\/octet-stream$/],
    ];
    for (const [path, type] of cases) {
      const r = await request(server, 'GET', path);
      assert.equal(r.status, 200, path);
      assert.match(r.headers['content-type'] ?? '', type, path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin', path);
      assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp', path);
      assert.match(String(r.headers['content-security-policy']), /default-src 'none'.*script-src 'self' 'wasm-unsafe-eval'/, path);
      assert.equal(Number(r.headers['content-length']), r.body.length, path);
    }
  });

  it('serves the MNIST slices as IDX files of the requested size', async () => {
    const info = JSON.parse((await request(server, 'GET', '/info.json')).body.toString('utf8'));
    assert.deepEqual(info.data, { train: 500, test: 100, height: 28, width: 28 });
    const images = (await request(server, 'GET', '/data/train-images-idx3-ubyte')).body;
    assert.deepEqual([...images.subarray(0, 16)], [0, 0, 8, 3, 0, 0, 1, 244, 0, 0, 0, 28, 0, 0, 0, 28]);
    assert.equal(images.length, 16 + 500 * 784);
    const labels = (await request(server, 'GET', '/data/t10k-labels-idx1-ubyte')).body;
    assert.equal(labels.length, 8 + 100);
    assert.equal(labels[8], 7, 'the first MNIST test digit is a 7');
  });

  it('HEAD answers like GET without a body', async () => {
    const r = await request(server, 'HEAD', '/app.js');
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 0);
    assert.ok(Number(r.headers['content-length']) > 1000);
  });

  it('refuses traversal and odd paths with 400, unknown routes with 404', async () => {
    const cases: Array<[string, number]> = [
      ['/../package.json', 400], ['/%2e%2e/package.json', 400], ['/%2E%2E/%2E%2E/etc/passwd', 400], ['//etc/passwd', 400],
      ['/..%2fpackage.json', 400], ['/..\\package.json', 400], ['/data/../package.json', 400], ['/./index.html', 400],
      ['/index.html%00.js', 400], ['/%00', 400], ['/package.json', 404], ['/src/server/server.ts', 404],
      ['/dist/web/app.js', 404], ['/nope', 404], ['/data/', 404], ['/' + 'a'.repeat(5000), 400],
    ];
    for (const [path, status] of cases) {
      const r = await request(server, 'GET', path);
      assert.equal(r.status, status, `${path} → ${r.status}`);
      assert.ok(!r.body.toString('latin1').includes('"name": "tiny-mnist"'), `${path} leaked package.json`);
    }
    assert.match(await raw(server, 'GET /etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), /^HTTP\/1.1 404/);
    assert.match(await raw(server, 'GET http://127.0.0.1/../package.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), /^HTTP\/1.1 400/);
  });

  it('accepts only GET and HEAD (405 with Allow) and no request bodies', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await request(server, method, '/');
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, 'GET, HEAD');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    }
    assert.equal((await request(server, 'GET', '/', Buffer.from('hello'))).status, 413);
    assert.match(await raw(server, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'), /^HTTP\/1.1 413/);
  });

  it('a POST with a big body is refused (4xx or the connection closed) and the server keeps serving', async () => {
    const big = Buffer.alloc(64 * 1024 * 1024, 0x61);
    const outcome = await request(server, 'POST', '/upload', big).then(
      (r) => `status ${r.status}`,
      (err: NodeJS.ErrnoException) => `error ${err.code}`,
    );
    assert.match(outcome, /^(status 4\d\d|error (ECONNRESET|EPIPE))$/, outcome);
    assert.equal((await request(server, 'GET', '/')).status, 200);
  });

  it('malformed requests get 400 and do not stop the server', async () => {
    const lines = [
      'NONSENSE\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n',
      'GET /\0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(40_000)}\r\n\r\n`,
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
    ];
    for (const line of lines) {
      const status = await raw(server, line);
      assert.match(status, /^HTTP\/1.1 4\d\d /, `${JSON.stringify(line.slice(0, 40))} → ${JSON.stringify(status)}`);
    }
    assert.equal((await request(server, 'GET', '/')).status, 200);
  });

  it('a Host header other than localhost, an IP address or the bound host gets 403 (DNS rebinding)', async () => {
    const p = server.port;
    const CASES: Array<[string, number]> = [
      [`127.0.0.1:${p}`, 200], [`localhost:${p}`, 200], [`LOCALHOST:${p}`, 200], [`[::1]:${p}`, 200], ['127.0.0.1', 200],
      [`192.168.1.20:${p}`, 200], [`evil.example:${p}`, 403], ['evil.example', 403], [`127.0.0.1.evil.example:${p}`, 403],
      [`localhost.evil.example:${p}`, 403], [`127.0.0.1:${p + 1}`, 403], [`127.0.0.1:${p}:${p}`, 403], ['', 403], [`localhost:${p}@evil`, 403],
    ];
    for (const [host, status] of CASES) {
      const line = await raw(server, `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      assert.match(line, new RegExp(`^HTTP/1.1 (${status}|400) `), `Host: ${JSON.stringify(host)} → ${line}`);
      if (status === 200) assert.match(line, / 200 /, `Host: ${host}`);
    }
    assert.match(await raw(server, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1.1 403/, 'no Host header at all');
    assert.equal(allowedHost('my-box.lan:8080', 'my-box.lan', 8080), true, 'the bound host name');
    assert.equal(allowedHost('other-box.lan:8080', 'my-box.lan', 8080), false);
  });

  it('source maps are not served unless asked for', async () => {
    assert.equal((await request(server, 'GET', '/app.js.map')).status, 404);
    const withMaps = await startServer({ port: 0, host: '127.0.0.1', trainImages: 10, testImages: 10, sourceMaps: true });
    try {
      assert.equal((await request(withMaps, 'GET', '/app.js.map')).status, 200);
    } finally {
      await withMaps.close();
    }
  });

  it('routePath keeps only plain absolute paths', () => {
    assert.equal(routePath('/app.js?v=1#x'), '/app.js');
    assert.equal(routePath('/data/t10k-labels-idx1-ubyte'), '/data/t10k-labels-idx1-ubyte');
    for (const bad of ['', 'app.js', '//x', '/a/../b', '/%2e', '/a\\b', '/a b', 'http://h/x', '*']) assert.equal(routePath(bad), null, bad);
  });
});

describe('serve --model is checked at start', () => {
  const tmp = mkdtempSync(nodePath.join(os.tmpdir(), 'tiny-mnist-serve-'));
  const f16 = nodePath.join(tmp, 'f16.safetensors');
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(f16, Buffer.concat([len, header, Buffer.alloc(2)]));
  const CASES: Array<[string, RegExp]> = [
    [nodePath.join(tmp, 'missing.safetensors'), /^tiny-mnist serve: .*missing\.safetensors: no such file$/],
    [f16, /^tiny-mnist serve: .*f16\.safetensors: tensor "w" has dtype "F16", only F32 is supported/],
  ];
  for (const [model, pattern] of CASES) {
    it(nodePath.basename(model), () => {
      const r = cli(['serve', '--port', '0', '--model', model], { timeoutMs: 60_000 });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr.trim(), pattern);
      assert.doesNotMatch(r.stdout, /serving on/);
    });
  }
});
