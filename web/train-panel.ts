// "Train in the browser": the form (images, epochs, batch size), a fresh engine worker per run
// (so Stop simply ends it and nothing leaks between runs), the progress bar, images/s, the live
// chart and the download button. Hands the trained model to the page through `onTrained`.
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
  /** The last finished run, for the test hook. */
  last: (TrainResult & { options: TrainOptions }) | null = null;

  constructor(private readonly o: TrainPanelOptions) {
    const counts = COUNTS.filter((c) => c < o.maxImages).concat(o.maxImages);
    fillSelect(this.count, counts, Math.min(5000, o.maxImages));
    fillSelect(this.batch, BATCHES, 32);
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.run().catch(() => undefined); // errors are shown in the status line
    });
    this.stop.addEventListener('click', () => this.client?.terminate('Stopped.'));
    this.download.addEventListener('click', () => this.save());
    drawChart(this.chart, [], 2);
  }

  options(): TrainOptions {
    return { count: Number(this.count.value), epochs: Math.min(50, Math.max(1, Math.round(Number(this.epochs.value) || 1))), batchSize: Number(this.batch.value), seed: 1, spec: this.o.spec() };
  }

  /** One training run with the form's options; resolves with its result, rejects if stopped. */
  async run(): Promise<TrainResult> {
    if (this.client) throw new Error('already training');
    const o = this.options();
    this.series = [
      { name: 'train loss', color: '#ea580c', axis: 'loss', points: [] },
      { name: 'test loss', color: '#a855f7', axis: 'loss', points: [], dots: true },
      { name: 'train accuracy', color: '#2563eb', axis: 'accuracy', points: [] },
      { name: 'test accuracy', color: '#16a34a', axis: 'accuracy', points: [], dots: true },
    ];
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
      this.status.textContent = `Done in ${result.seconds.toFixed(1)} s: test accuracy ${result.test.accuracy.toFixed(2)}% on ${result.test.total.toLocaleString('en-US')} images. Draw against it above, or download it.`;
      this.download.disabled = false;
      await this.o.onTrained(result.bytes, result, o);
      return result;
    } catch (err) {
      this.status.textContent = err instanceof Error && err.message === 'Stopped.' ? 'Stopped.' : `Training failed: ${String(err instanceof Error ? err.message : err)}`;
      throw err;
    } finally {
      client.terminate('finished');
      this.client = null;
      this.setRunning(false);
    }
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
      if (e.loss !== undefined) loss.points.push([x, e.loss]);
      if (e.accuracy !== undefined) trainAcc.points.push([x, e.accuracy]);
      const running = e.loss !== undefined ? `, loss ${e.loss.toFixed(3)}` : '';
      this.status.textContent = `Epoch ${e.epoch}/${o.epochs}: ${e.done.toLocaleString('en-US')}/${e.total.toLocaleString('en-US')} images, ${Math.round(e.imagesPerSecond)} images/s${running}`;
    } else {
      testLoss.points.push([e.epoch, e.test.loss]);
      testAcc.points.push([e.epoch, e.test.accuracy]);
      if (e.train === null) {
        this.status.textContent = `Untrained: test accuracy ${e.test.accuracy.toFixed(2)}%. Training…`;
      } else {
        // Without running statistics from the trainer, the train curves get one point per epoch.
        if (loss.points.at(-1)?.[0] !== e.epoch) loss.points.push([e.epoch, e.train.loss]);
        if (trainAcc.points.at(-1)?.[0] !== e.epoch) trainAcc.points.push([e.epoch, e.train.accuracy]);
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
