// The page: wires the drawing pad, the live classification, the model panel, the mistakes grid and
// the training panel to engine workers, and exposes a small test hook (window.__tinyMnist).
// Drawings go through toMnistDigit, exactly as `tiny-mnist predict` treats a PNG.
import type { Split } from '../src/data/datasets.js';
import { toMnistDigit } from '../src/data/digit.js';
import { defaultWebThreads } from '../src/engine/web.js';
import { EngineClient } from './client.js';
import { fetchBytes, fetchInfo, fetchSplit, imageFloats, type SiteInfo } from './data.js';
import type { EngineInfo, ModelInfo, TrainOptions, TrainResult } from './protocol.js';
import { ArchChoice } from './arch-choice.js';
import { TrainPanel } from './train-panel.js';
import { Bars, byId, paintDigit, percent, showMistakes, type Mistake } from './views.js';
import { DrawingPad } from './draw.js';
import { DEFAULT_RECIPE } from '../src/train/recipe.js';

const base = new URL('./', location.href);
const workerScript = new URL('engine-worker.js', base);
const status = byId('status');
const predicted = byId('predicted');
const confidence = byId('confidence');
const choice = byId<HTMLSelectElement>('model-choice');
const bars = new Bars(byId('bars'));
const inputView = byId<HTMLCanvasElement>('input28');
const infer = new EngineClient(workerScript, 'tiny-mnist inference');

export interface Classified {
  digit: number;
  probabilities: number[];
  /** The 28×28 image the network saw, in [0,1]. */
  input: number[];
}

let site: SiteInfo | null = null;
let engineInfo: EngineInfo | null = null;
let test: Split | null = null;
let mistakes: Mistake[] = [];
let allMistakes = false;
const FEW_MISTAKES = 28;
const MANY_MISTAKES = 300;
const loaded = new Set<string>();

/** The canvas path: grey picture (either polarity, any size) → toMnistDigit → the chosen model. */
async function classifyPixels(grey: ArrayLike<number>, width: number, height: number, model = choice.value): Promise<Classified> {
  const digit = toMnistDigit(Float32Array.from(grey), width, height);
  const [p] = await infer.call('classify', { model, pixels: digit, count: 1 });
  const probabilities = p!;
  return { digit: probabilities.indexOf(Math.max(...probabilities)), probabilities, input: Array.from(digit) };
}

async function classifyDrawing(): Promise<Classified | null> {
  if (pad.empty || !loaded.has(choice.value)) {
    predicted.textContent = '–';
    confidence.textContent = pad.empty ? 'Draw in the box' : 'No model yet: train one below';
    bars.show(null);
    paintDigit(inputView, new Float32Array(784));
    return null;
  }
  const { grey, width, height } = pad.grey();
  const r = await classifyPixels(grey, width, height);
  predicted.textContent = String(r.digit);
  confidence.textContent = `${percent(r.probabilities[r.digit]!)} sure`;
  bars.show(r.probabilities);
  paintDigit(inputView, r.input);
  return r;
}

// Live classification: at most one request in flight, and at most one queued behind it (which
// reads the canvas when it starts, so it sees every change made meanwhile).
let running: Promise<Classified | null> | null = null;
let queued: Promise<Classified | null> | null = null;
function refresh(): Promise<Classified | null> {
  if (!running) {
    running = classifyDrawing().finally(() => (running = null));
    return running;
  }
  queued ??= running.catch(() => null).then(() => {
    queued = null;
    return refresh();
  });
  return queued;
}

let frame = 0;
const pad = new DrawingPad(byId<HTMLCanvasElement>('pad'), () => {
  if (frame === 0) frame = requestAnimationFrame(() => ((frame = 0), void refresh().catch(showError)));
});

function clear(): void {
  pad.clear();
  void refresh().catch(showError);
}
byId('clear').addEventListener('click', clear);
document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement | null;
  if (e.key === 'Escape' && !(t && ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName))) clear();
});
choice.addEventListener('change', () => void onModelChange().catch(showError));

/** Classifies the served test images with the chosen model and lists the ones it gets wrong. */
async function findMistakes(): Promise<void> {
  const note = byId('mistakes-status');
  if (!test || !loaded.has(choice.value)) {
    note.textContent = 'No model yet.';
    mistakes = [];
    renderMistakes();
    return;
  }
  note.textContent = `Classifying the first ${test.count.toLocaleString('en-US')} test images…`;
  const found: Mistake[] = [];
  const CHUNK = 250; // keeps the worker's activations small
  for (let start = 0; start < test.count; start += CHUNK) {
    const n = Math.min(CHUNK, test.count - start);
    const pixels = new Float32Array(n * 784);
    for (let i = 0; i < n; i++) pixels.set(imageFloats(test, start + i), i * 784);
    const probs = await infer.call('classify', { model: choice.value, pixels, count: n }, [pixels.buffer]);
    probs.forEach((p, i) => {
      const best = p.indexOf(Math.max(...p));
      const label = test!.labels[start + i]!;
      if (best !== label) found.push({ index: start + i, label, predicted: best, confidence: p[best]!, pixels: imageFloats(test!, start + i) });
    });
  }
  mistakes = found;
  const right = test.count - found.length;
  note.textContent = `${right.toLocaleString('en-US')} of the first ${test.count.toLocaleString('en-US')} test images right (${percent(right / test.count, 2)}). ${found.length === 0 ? 'No mistakes.' : 'True label → predicted:'}`;
  renderMistakes();
}

function renderMistakes(): void {
  const more = byId<HTMLButtonElement>('mistakes-more');
  const max = allMistakes ? MANY_MISTAKES : FEW_MISTAKES;
  showMistakes(byId('mistakes'), mistakes, max);
  more.hidden = mistakes.length <= FEW_MISTAKES;
  more.textContent = allMistakes ? 'Show fewer' : `Show ${mistakes.length > MANY_MISTAKES ? `the first ${MANY_MISTAKES}` : `all ${mistakes.length}`}`;
}
byId('mistakes-more').addEventListener('click', () => {
  allMistakes = !allMistakes;
  renderMistakes();
});

async function onModelChange(): Promise<void> {
  await refresh();
  await findMistakes();
}

async function loadModel(name: string, bytes: ArrayBuffer): Promise<ModelInfo> {
  const m = await infer.call('load', { bytes, name }, [bytes]);
  loaded.add(name);
  byId('summary').textContent = m.summary;
  return m;
}

async function onTrained(bytes: ArrayBuffer, _r: TrainResult, o: TrainOptions): Promise<void> {
  const info = await loadModel('browser', bytes);
  const option = choice.querySelector<HTMLOptionElement>('option[value="browser"]')!;
  option.disabled = false;
  option.textContent = `Trained here (${info.arch}, ${o.count.toLocaleString('en-US')} images, ${o.epochs} epoch${o.epochs === 1 ? '' : 's'})`;
  choice.value = 'browser';
  await onModelChange();
}

function showError(err: unknown): void {
  status.textContent = `Error: ${err instanceof Error ? err.message : String(err)}`;
  status.classList.add('error');
}

async function start(): Promise<void> {
  site = await fetchInfo(base);
  const threads = defaultWebThreads();
  const [info, testSplit] = await Promise.all([infer.call('init', { threads: 1 }), fetchSplit(base, 't10k')]);
  engineInfo = info;
  test = testSplit;
  if (site.model) await loadModel('shipped', await fetchBytes(new URL('model.safetensors', base)));
  else {
    choice.querySelector<HTMLOptionElement>('option[value="shipped"]')!.disabled = true;
    byId('summary').textContent = 'No shipped model on this server: train one in the page.';
  }
  if (site.curves) {
    byId<HTMLImageElement>('curves').src = 'results/curves.svg';
    byId('curves-figure').hidden = false;
    byId('metrics-link').hidden = !site.metrics;
  }
  const panel = new TrainPanel({ workerScript, threads, maxImages: site.data.train, onTrained, spec: () => arch.spec() });
  const arch = new ArchChoice(infer, (msg) => (byId('train-status').textContent = msg), (m) => {
    if (m.batchSize !== undefined) panel.useBatchSize(m.batchSize);
  });
  train = panel;
  status.textContent = `Engine ready: WebAssembly ${info.variant === 'relaxed' ? 'relaxed SIMD' : 'SIMD128'}, ${threads} training thread${threads === 1 ? '' : 's'}${crossOriginIsolated ? '' : ' (not cross-origin isolated)'}.`;
  await onModelChange();
}

// Why the top bar stops near 91%: label smoothing trains towards 1 − ε + ε/K on the right digit.
const eps = DEFAULT_RECIPE.labelSmoothing;
byId('confidence-note').textContent = `Why about ${Math.round(100 * (1 - eps + eps / 10))}% at most, even for a perfect digit? The models are trained with label smoothing (ε = ${eps}): the target for the right digit is ${Math.round(100 * (1 - eps + eps / 10))}% and ${Math.round(1000 * eps / 10) / 10}% for each other one, which keeps the network from over-confidence. Read ~${Math.round(100 * (1 - eps + eps / 10))}% as sure.`;

let train: TrainPanel | null = null;
const ready = start();
ready.catch(showError);

/** The test hook: what the browser tests drive and read. */
const hook = {
  ready,
  classifyPixels,
  classifyCanvas: () => refresh(),
  info: () => ({ site, engine: engineInfo }),
  mistakes: () => mistakes.map(({ index, label, predicted: p }) => ({ index, label, predicted: p })),
  lastTraining: () => {
    const l = train?.last;
    return l ? { accuracy: l.test.accuracy, correct: l.test.correct, total: l.test.total, seconds: l.seconds, options: l.options } : null;
  },
};
(window as unknown as { __tinyMnist: typeof hook }).__tinyMnist = hook;
