// A small SVG line chart for the training panel: epochs along x, loss on the left axis, accuracy
// (0–100%) on the right; the train curves arrive already smoothed (train-panel.ts). Re-drawn from
// scratch on every update (a few hundred points at most).
// Built with DOM calls and presentation attributes only: the page's CSP allows no inline styles.

const NS = 'http://www.w3.org/2000/svg';
// Drawn at 420 units wide and scaled to the card: fonts of 14 units stay ~12 px on a 390 px phone.
const W = 420, H = 240;
const PAD = { left: 46, right: 48, top: 28, bottom: 40 };
const FONT = 14;

export interface Series {
  name: string;
  color: string;
  axis: 'loss' | 'accuracy';
  points: Array<[number, number]>;
  /** Draw dots at the points (for per-epoch values). */
  dots?: boolean;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The smallest 4·step ≥ v with a round step (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k): clean ticks. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const decade = 10 ** Math.floor(Math.log10(v / 4));
  const step = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * decade).find((s) => 4 * s >= v)!;
  return 4 * step;
}

export function drawChart(host: HTMLElement, series: readonly Series[], epochs: number): void {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'training loss and accuracy by epoch', class: 'chart' });
  const x0 = PAD.left, x1 = W - PAD.right, y0 = H - PAD.bottom, y1 = PAD.top;
  const maxLoss = niceMax(Math.max(0, ...series.filter((s) => s.axis === 'loss').flatMap((s) => s.points.map((p) => p[1]))));
  const sx = (x: number) => x0 + ((x1 - x0) * x) / Math.max(epochs, 1e-9);
  const sy = (axis: Series['axis'], v: number) => y0 - ((y0 - y1) * v) / (axis === 'loss' ? maxLoss : 100);

  for (let i = 0; i <= 4; i++) {
    const y = y0 - ((y0 - y1) * i) / 4;
    root.append(svg('line', { x1: x0, x2: x1, y1: y, y2: y, stroke: '#e4e4e7' }));
    root.append(svg('text', { x: x0 - 6, y: y + 4, 'text-anchor': 'end', 'font-size': FONT, fill: '#52525b' }, String(+((maxLoss * i) / 4).toPrecision(3))));
    root.append(svg('text', { x: x1 + 6, y: y + 4, 'font-size': FONT, fill: '#52525b' }, `${25 * i}%`));
  }
  const tick = Math.max(1, Math.ceil(epochs / 10));
  for (let e = 0; e <= epochs; e += tick) {
    root.append(svg('text', { x: sx(e), y: y0 + 18, 'text-anchor': 'middle', 'font-size': FONT, fill: '#52525b' }, String(e)));
  }
  root.append(svg('text', { x: (x0 + x1) / 2, y: H - 4, 'text-anchor': 'middle', 'font-size': FONT, fill: '#52525b' }, 'epoch'));
  root.append(svg('text', { x: 4, y: 15, 'font-size': FONT, fill: '#52525b' }, 'loss'));
  root.append(svg('text', { x: W - 4, y: 15, 'text-anchor': 'end', 'font-size': FONT, fill: '#52525b' }, 'accuracy'));

  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([x, v], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(s.axis, v).toFixed(1)}`).join(' ');
    root.append(svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
    if (s.dots || s.points.length <= epochs + 1) for (const [x, v] of s.points) root.append(svg('circle', { cx: sx(x), cy: sy(s.axis, v), r: 3.5, fill: s.color }));
  }
  host.replaceChildren(root, legend(series));
}

function legend(series: readonly Series[]): HTMLElement {
  const ul = document.createElement('ul');
  ul.className = 'legend';
  for (const s of series) {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = s.color;
    li.append(swatch, s.name);
    ul.append(li);
  }
  return ul;
}
