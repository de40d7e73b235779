// "Train in the browser": the form (images, epochs, batch size; the chosen architecture recipe's batch size by default),
// a fresh engine worker per run (so Stop simply ends it and nothing leaks between runs), the progress
// bar, images/s, the live chart and the download button. Hands the trained model to the page through
// `onTrained`; after Stop, the model of the last finished epoch (sent with each epoch's event).
import { DEFAULT_RECIPE } from '../src/train/recipe.js';
import { drawChart, type Series } from './chart.js';
import { EngineClient } from './client.js';
import type { TrainEvent, TrainOptions, TrainResult } from './protocol.js';
import { byId, el } from './views.js';

export interface TrainPanelOptions {
  workerScript: URL;
  threads: number;
  /** How many training images the server offers. */
  maxImages: number;
  onTrained(bytes: ArrayBuffer, result: TrainResult, o: TrainOptions): Promise<void>;
  /** The architecture to train (a spec object), or undefined for the reference net. */
  spec(): unknown;
}

const COUNTS = [1000, 2000, 5000, 10000, 20000, 60000];
const BATCHES = [16, 32, 64, DEFAULT_RECIPE.batchSize];

function fillSelect(select: HTMLSelectElement, values: number[], chosen: number): void {
  select.replaceChildren(...values.map((v) => {
    const o = el('option', '', v.toLocaleString('en-US'));
    o.value = String(v);
    o.selected = v === chosen;
    return o;
  }));
}

export class TrainPanel {
  private readonly form = byId<HTMLFormElement>('train-form');
  private readonly count = byId<HTMLSelectElement>('train-count');
  private readonly epochs = byId<HTMLInputElement>('train-epochs');
  private readonly batch = byId<HTMLSelectElement>('train-batch');
  private readonly start = byId<HTMLButtonElement>('train');
  private readonly stop = byId<HTMLButtonElement>('stop');
  private readonly progress = byId<HTMLProgressElement>('train-progress');
  private readonly status = byId('train-status');
  private readonly chart = byId('train-chart');
  private readonly download = byId<HTMLButtonElement>('download');
  private client: EngineClient | null = null;
  private modelBytes: ArrayBuffer | null = null;
  private series: Series[] = [];
  /** The model after the last finished epoch of the current run, offered if it is stopped. */
  private partial: { bytes: ArrayBuffer; epoch: number; test: TrainResult['test']; seconds: number } | null = null;
  /** The train-loss curve: an exponential average over images that runs on across epochs. */
  private smooth = { loss: NaN, accuracy: NaN, done: 0, sum: 0, correct: 0 };
  /** The last finished run, for the test hook. */
  last: (TrainResult & { options: TrainOptions }) | null = null;

  constructor(private readonly o: TrainPanelOptions) {
    const counts = COUNTS.filter((c) => c < o.maxImages).concat(o.maxImages);
    fillSelect(this.count, counts, Math.min(5000, o.maxImages));
    fillSelect(this.batch, BATCHES, DEFAULT_RECIPE.batchSize);
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.run().catch(() => undefined); // errors are shown in the status line
    });
    this.stop.addEventListener('click', () => this.client?.terminate('Stopped.'));
    this.download.addEventListener('click', () => this.save());
    drawChart(this.chart, [], 2);
  }

  /** Offers and chooses `batchSize` (an architecture's recipe's) besides the usual sizes; not during a run. */
  useBatchSize(batchSize: number): void {
    if (this.client) return;
    fillSelect(this.batch, [...new Set([...BATCHES, batchSize])].sort((a, b) => a - b), batchSize);
  }

  options(): TrainOptions {
    return { count: Number(this.count.value), epochs: Math.min(50, Math.max(1, Math.round(Number(this.epochs.value) || 1))), batchSize: Number(this.batch.value), seed: 1, spec: this.o.spec() };
  }

  /** One training run with the form's options; resolves with its result, rejects if stopped. */
  async run(): Promise<TrainResult> {
    if (this.client) throw new Error('already training');
    const o = this.options();
    this.series = [
      { name: 'train loss (label-smoothed, running average)', color: '#ea580c', axis: 'loss', points: [] },
      { name: 'test loss (plain NLL)', color: '#a855f7', axis: 'loss', points: [], dots: true },
      { name: 'train accuracy (running average)', color: '#2563eb', axis: 'accuracy', points: [] },
      { name: 'test accuracy', color: '#16a34a', axis: 'accuracy', points: [], dots: true },
    ];
    this.partial = null;
    this.smooth = { loss: NaN, accuracy: NaN, done: 0, sum: 0, correct: 0 };
    drawChart(this.chart, this.series, o.epochs);
    this.setRunning(true);
    this.progress.value = 0;
    this.status.textContent = 'Starting a training worker…';
    const client = (this.client = new EngineClient(this.o.workerScript, 'tiny-mnist trainer'));
    try {
      const engine = await client.call('init', { threads: this.o.threads });
      this.status.textContent = `Fetching ${o.count.toLocaleString('en-US')} training images (${engine.threads} threads, ${engine.variant} SIMD)…`;
      const result = await client.call('train', o, [], (e) => this.onEvent(e, o));
      this.modelBytes = result.bytes.slice(0);
      this.last = { ...result, options: o };
      this.progress.value = 1;
      this.status.textContent = `Done in ${result.seconds.toFixed(1)} s: test accuracy ${result.test.accuracy.toFixed(2)}% on the first ${result.test.total.toLocaleString('en-US')} test images. Draw against it above, or download it.`;
      this.download.disabled = false;
      await this.o.onTrained(result.bytes, result, o);
      return result;
    } catch (err) {
      const stopped = err instanceof Error && err.message === 'Stopped.';
      this.status.textContent = stopped ? 'Stopped.' : `Training failed: ${String(err instanceof Error ? err.message : err)}`;
      if (stopped && this.partial) await this.keepPartial(this.partial, o);
      throw err;
    } finally {
      client.terminate('finished');
      this.client = null;
      this.setRunning(false);
    }
  }

  /** After Stop: the model of the last finished epoch becomes the page's trained model. */
  private async keepPartial(p: NonNullable<TrainPanel['partial']>, o: TrainOptions): Promise<void> {
    this.modelBytes = p.bytes.slice(0);
    this.download.disabled = false;
    this.status.textContent = `Stopped. Kept the model after epoch ${p.epoch} of ${o.epochs}: test accuracy ${p.test.accuracy.toFixed(2)}% on the first ${p.test.total.toLocaleString('en-US')} test images. Draw against it above, or download it.`;
    await this.o.onTrained(p.bytes, { bytes: p.bytes, test: p.test, seconds: p.seconds }, { ...o, epochs: p.epoch });
  }

  private setRunning(on: boolean): void {
    this.start.disabled = on;
    this.stop.disabled = !on;
    for (const input of [this.count, this.epochs, this.batch]) input.disabled = on;
  }

  private onEvent(e: TrainEvent, o: TrainOptions): void {
    const [loss, testLoss, trainAcc, testAcc] = this.series as [Series, Series, Series, Series];
    if (e.kind === 'data') {
      this.status.textContent = `Training on ${e.train.toLocaleString('en-US')} images, testing on ${e.test.toLocaleString('en-US')}…`;
      return;
    }
    if (e.kind === 'progress') {
      const x = e.epoch - 1 + e.done / e.total;
      this.progress.value = x / o.epochs;
      // The trainer reports the epoch's running mean, which restarts (noisily) at every epoch: take
      // the loss of the images since the last event from it, and average those over ~1/4 epoch.
      const sm = this.smooth;
      if (e.done < sm.done) Object.assign(sm, { done: 0, sum: 0, correct: 0 });
      if (e.loss !== undefined && e.accuracy !== undefined && e.done > sm.done) {
        const n = e.done - sm.done, sum = e.loss * e.done, correct = e.accuracy * e.done;
        const a = 1 - Math.exp(-n / Math.max(1, e.total / 4));
        sm.loss = Number.isNaN(sm.loss) ? (sum - sm.sum) / n : sm.loss + a * ((sum - sm.sum) / n - sm.loss);
        sm.accuracy = Number.isNaN(sm.accuracy) ? (correct - sm.correct) / n : sm.accuracy + a * ((correct - sm.correct) / n - sm.accuracy);
        Object.assign(sm, { done: e.done, sum, correct });
        loss.points.push([x, sm.loss]);
        trainAcc.points.push([x, sm.accuracy]);
      }
      const running = e.loss !== undefined ? `, loss ${e.loss.toFixed(3)}` : '';
      this.status.textContent = `Epoch ${e.epoch}/${o.epochs}: ${e.done.toLocaleString('en-US')}/${e.total.toLocaleString('en-US')} images, ${Math.round(e.imagesPerSecond)} images/s${running}`;
    } else {
      testLoss.points.push([e.epoch, e.test.loss]);
      testAcc.points.push([e.epoch, e.test.accuracy]);
      if (e.model) this.partial = { bytes: e.model, epoch: e.epoch, test: e.test, seconds: e.seconds };
      if (e.train === null) {
        this.status.textContent = `Untrained: test accuracy ${e.test.accuracy.toFixed(2)}% on the first ${e.test.total.toLocaleString('en-US')} test images. Training…`;
      } else {
        // Without running statistics from the trainer, the train curves get one point per epoch.
        if (loss.points.length === 0 || Number.isNaN(this.smooth.loss)) {
          loss.points.push([e.epoch, e.train.loss]);
          trainAcc.points.push([e.epoch, e.train.accuracy]);
        }
        this.status.textContent = `Epoch ${e.epoch}/${o.epochs}: train loss ${e.train.loss.toFixed(3)}, test accuracy ${e.test.accuracy.toFixed(2)}% (${e.seconds.toFixed(1)} s)`;
      }
    }
    drawChart(this.chart, this.series, o.epochs);
  }

  private save(): void {
    if (!this.modelBytes) return;
    const url = URL.createObjectURL(new Blob([this.modelBytes], { type: 'application/octet-stream' }));
    const a = el('a');
    a.href = url;
    a.download = 'model.safetensors';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
