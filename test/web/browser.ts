// Helpers for the browser tests: Chromium from the Debian package driven by playwright-core (never
// a downloaded browser), `tiny-mnist serve` as a child process on a free loopback port, a model to
// serve (the shipped one, or a quick one trained here), mouse and touch strokes, screenshots.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../helpers.js';

export const CHROMIUM = process.env.TINY_MNIST_CHROMIUM ?? '/usr/bin/chromium';
export const OUTPUT = path.join(ROOT, 'test-output');
const CLI = path.join(ROOT, 'bin', 'tiny-mnist.js');

/** Why the browser tests cannot run here, or null. With CI=true a missing browser is a failure. */
export function missingBrowser(): string | null {
  if (existsSync(CHROMIUM)) return null;
  return `Chromium not found at ${CHROMIUM}: run \`bash .ci/setup-browser.sh\` (apt-get install chromium) or set TINY_MNIST_CHROMIUM`;
}

export async function launch(): Promise<Browser> {
  const missing = missingBrowser();
  if (missing) throw new Error(missing);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** models/seed16k.safetensors when shipped; otherwise a quick model (5,000 images, 1 epoch, ~91%). */
/** `results` is the quick model's run directory (a temporary folder the caller removes). */
export function testModel(): { model: string; results?: string; trained: boolean } {
  const shipped = path.join(ROOT, 'models', 'seed16k.safetensors');
  if (existsSync(shipped)) {
    const results = path.join(ROOT, 'results', 'seed16k', 'seed-1');
    return { model: shipped, results: existsSync(results) ? results : undefined, trained: false };
  }
  const out = mkdtempSync(path.join(os.tmpdir(), 'tiny-mnist-web-model-'));
  const args = [CLI, 'train', '--limit-train', '5000', '--epochs', '1', '--batch-size', '16', '--limit-test', '1000', '--threads', '2', '--json', '--out', out];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`training the test model failed (${r.status}): ${r.stderr}`);
  return { model: path.join(out, 'model.safetensors'), results: out, trained: true };
}

export interface Served {
  url: string;
  stop(): Promise<number | null>;
}

/** Starts `tiny-mnist serve --port 0 …` and resolves with the URL it prints. */
export function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 30 s: ${out}${err}`)), 30_000);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({ url: m[1]!, stop: () => (child.kill('SIGTERM'), exited) });
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** Collects console errors and uncaught exceptions of a page. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

export type Stroke = Array<[number, number]>; // points as fractions of the pad's width and height

export const ONE: Stroke[] = [[[0.52, 0.14], [0.5, 0.5], [0.48, 0.86]]];
export const ZERO: Stroke[] = [Array.from({ length: 41 }, (_, i): [number, number] => {
  const a = (2 * Math.PI * i) / 40 - Math.PI / 2;
  return [0.5 + 0.21 * Math.cos(a), 0.5 + 0.33 * Math.sin(a)];
})];

/** Draws strokes on #pad with the mouse, interpolating so pointermove events come densely. */
export async function drawWithMouse(page: Page, strokes: Stroke[]): Promise<void> {
  const box = await page.locator('#pad').boundingBox();
  if (!box) throw new Error('#pad is not visible');
  for (const stroke of strokes) {
    const [x0, y0] = stroke[0]!;
    await page.mouse.move(box.x + x0 * box.width, box.y + y0 * box.height);
    await page.mouse.down();
    for (const [x, y] of stroke.slice(1)) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 6 });
    await page.mouse.up();
  }
}

export function screenshotPath(name: string): string {
  mkdirSync(OUTPUT, { recursive: true });
  return path.join(OUTPUT, name);
}

/** Draws strokes with real touch events (Chrome DevTools Protocol), as a finger on a phone would. */
export async function drawWithTouch(page: Page, strokes: Stroke[]): Promise<void> {
  const box = await page.locator('#pad').boundingBox();
  if (!box) throw new Error('#pad is not visible');
  const cdp = await page.context().newCDPSession(page);
  const at = ([x, y]: [number, number]) => ({ x: box.x + x * box.width, y: box.y + y * box.height });
  for (const stroke of strokes) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(stroke[0]!)] });
    for (let i = 1; i < stroke.length; i++) {
      const [ax, ay] = stroke[i - 1]!, [bx, by] = stroke[i]!;
      for (let s = 1; s <= 6; s++) {
        const p = at([ax + ((bx - ax) * s) / 6, ay + ((by - ay) * s) / 6]);
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [p] });
      }
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  }
  await cdp.detach();
}
