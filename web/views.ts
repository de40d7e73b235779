// Small DOM views of the page: the ten-probability bar chart, a 28×28 digit drawn into a canvas,
// and the grid of misclassified test images. DOM building only; no engine calls, no state.

/** Makes an element with a class and optional text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page is missing #${id}`);
  return e as T;
}

export function percent(p: number, digits = 1): string {
  return `${(100 * p).toFixed(digits)}%`;
}

/** Ten rows "digit, bar, percent" in `list`; the winner is highlighted. null empties the bars. */
export class Bars {
  private readonly fills: HTMLElement[] = [];
  private readonly values: HTMLElement[] = [];
  private readonly rows: HTMLElement[] = [];

  constructor(list: HTMLElement) {
    for (let d = 0; d < 10; d++) {
      const row = el('li', 'bar-row');
      const track = el('span', 'bar-track');
      const fill = el('span', 'bar-fill');
      track.append(fill);
      const value = el('span', 'bar-value', '–');
      row.append(el('span', 'bar-digit', String(d)), track, value);
      list.append(row);
      this.rows.push(row);
      this.fills.push(fill);
      this.values.push(value);
    }
  }

  show(probabilities: readonly number[] | null): void {
    const best = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
    for (let d = 0; d < 10; d++) {
      const p = probabilities?.[d] ?? 0;
      this.fills[d]!.style.width = `${(100 * p).toFixed(1)}%`;
      this.values[d]!.textContent = probabilities ? percent(p) : '–';
      this.rows[d]!.classList.toggle('best', d === best);
    }
  }
}

/** Paints a (h,w) image in [0,1] (white on black, as the network sees it) into `canvas`. */
export function paintDigit(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, width = 28, height = 28): void {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = Math.round(255 * Math.min(1, Math.max(0, pixels[i] ?? 0)));
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

export interface Mistake {
  index: number;
  label: number;
  predicted: number;
  confidence: number;
  pixels: Float32Array;
}

/** Fills `list` with up to `max` mistakes, each a small image captioned "true → predicted". */
export function showMistakes(list: HTMLElement, mistakes: readonly Mistake[], max: number): void {
  list.replaceChildren();
  for (const m of mistakes.slice(0, max)) {
    const item = el('li', 'mistake');
    const canvas = el('canvas');
    paintDigit(canvas, m.pixels);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `test image ${m.index}: a ${m.label}, classified as ${m.predicted}`);
    const caption = el('span', 'mistake-caption');
    caption.append(el('span', 'true-label', String(m.label)), ' → ', el('span', 'predicted-label', String(m.predicted)));
    caption.title = `test image #${m.index}: true ${m.label}, predicted ${m.predicted} (${percent(m.confidence, 0)})`;
    item.append(canvas, caption);
    list.append(item);
  }
}
