// curves.svg: one column of three panels sharing the epoch axis, so it stays readable when a phone
// shrinks it: test (and train) error on a log scale with the 99.4% goal as a line (the last tenths of
// a percent are what matter), both losses on a log scale saying which is which (the training loss
// is label-smoothed, so it cannot go below ~0.5; the test loss is plain NLL), and the learning rate.
// Legends sit under each panel, outside the data. Plain SVG text, no dependencies; the page shows it.
import type { EpochRecord } from './metrics.js';

export interface PlotOptions {
  /** The recipe's label smoothing ε, named in the training-loss legend when known. */
  labelSmoothing?: number;
  /** Goal accuracy in percent, drawn as a line on the error panel (default 99.4). */
  goal?: number;
  /** The schedule's learning rate at many points, as [epoch (fractional, from 0), lr]. */
  lrCurve?: Array<[number, number]>;
}

interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  dots?: boolean;
  dash?: string;
}

const W = 640, LEFT = 64, RIGHT = 20, FONT = 14;
const PLOT_W = W - LEFT - RIGHT;
const TRAIN = '#1f77b4', TEST = '#d62728', GOAL = '#2ca02c', LR = '#6b7280', VAL = '#9467bd';
/** One colour per run in errorCurvesSvg (tab10 without the goal's green), then repeated dashed. */
const RUNS = ['#1f77b4', '#ff7f0e', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Tick values for a log axis over [lo, hi]: 1-2-5 per decade, or every integer multiple when the range is narrow. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++) {
    for (const m of hi / lo < 16 ? [1, 1.5, 2, 3, 4, 5, 6, 8] : hi / lo < 40 ? [1, 2, 3, 5] : [1, 2, 5]) {
      const v = Number((m * 10 ** d).toPrecision(3));
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out;
}

/** Epoch labels: every epoch up to 25, then a round step. */
export function epochTicks(first: number, last: number): number[] {
  const step = [1, 2, 5, 10, 20, 50, 100].find((s) => (last - first) / s <= 25) ?? 200;
  const out: number[] = [];
  for (let e = Math.ceil(first / step) * step; e <= last; e += step) out.push(e);
  if (out[0] !== first) out.unshift(first);
  return out;
}

const fmt = (v: number) => (v >= 1 ? String(v) : String(Number(v.toPrecision(2))));

interface Panel {
  title: string;
  height: number;
  series: Series[];
  log: boolean;
  unit: string;
  lines?: Array<{ value: number; label: string; color: string }>;
  /** Values above this are drawn at the top edge with their value written (first-epoch outliers). */
  clipAbove?: number;
}

/** One panel at vertical offset y: title, frame, grid, ticks, series, legend below; returns its full height. */
function panel(y: number, p: Panel, e0: number, e1: number, parts: string[]): number {
  const values = [...p.series.flatMap((s) => s.points.map(([, v]) => v)), ...(p.lines ?? []).map((l) => l.value)]
    .filter((v) => Number.isFinite(v) && (!p.log || v > 0) && !(v > (p.clipAbove ?? Infinity)));
  let lo = Math.min(...values), hi = Math.max(...values);
  if (!(lo < hi)) { lo = lo > 0 ? lo / 2 : lo - 1; hi = hi > 0 ? hi * 2 : hi + 1; }
  if (p.log) { lo /= 1.25; hi *= 1.25; } else { const pad = (hi - lo) * 0.08; lo = Math.max(0, lo - pad); hi += pad; }
  const top = y + 30, bottom = top + p.height;
  const f = (v: number) => (p.log ? Math.log10(v) : v);
  const py = (v: number) => bottom - ((f(Math.min(v, hi)) - f(lo)) / (f(hi) - f(lo))) * p.height;
  const px = (e: number) => LEFT + ((e - e0) / (e1 - e0 || 1)) * PLOT_W;
  parts.push(`<text x="${LEFT}" y="${y + 18}" font-size="${FONT + 1}" font-weight="bold">${esc(p.title)}</text>`);
  // Ticks at least 16 px apart, 1-2-5 values first (a log axis over a wide range crowds its low end).
  const round = (v: number) => [1, 2, 5].includes(Number((v / 10 ** Math.floor(Math.log10(v))).toPrecision(3)));
  const ticks: number[] = [];
  const candidates = p.log ? logTicks(lo, hi) : niceLinear(lo, hi);
  for (const v of [...candidates.filter((v) => v > 0 && round(v)), ...candidates.filter((v) => !(v > 0 && round(v)))]) {
    if (ticks.every((k) => Math.abs(py(k) - py(v)) >= 16)) ticks.push(v);
  }
  for (const v of ticks) {
    parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${py(v).toFixed(1)}" y2="${py(v).toFixed(1)}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${(py(v) + 4).toFixed(1)}" text-anchor="end" font-size="${FONT - 2}">${fmt(v)}${p.unit}</text>`);
  }
  for (const e of epochTicks(e0, e1)) {
    parts.push(`<line x1="${px(e).toFixed(1)}" x2="${px(e).toFixed(1)}" y1="${bottom}" y2="${bottom + 4}" stroke="#888"/>`);
    parts.push(`<text x="${px(e).toFixed(1)}" y="${bottom + 17}" text-anchor="middle" font-size="${FONT - 3}">${e}</text>`);
  }
  parts.push(`<rect x="${LEFT}" y="${top}" width="${PLOT_W}" height="${p.height}" fill="none" stroke="#888"/>`);
  for (const l of p.lines ?? []) {
    parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${py(l.value).toFixed(1)}" y2="${py(l.value).toFixed(1)}" stroke="${l.color}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  }
  for (const s of p.series) {
    const pts = s.points.filter(([, v]) => Number.isFinite(v) && (!p.log || v > 0));
    if (pts.length === 0) continue;
    parts.push(`<polyline points="${pts.map(([e, v]) => `${px(e).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    if (s.dots) for (const [e, v] of pts) parts.push(`<circle cx="${px(e).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${s.color}"/>`);
    for (const [e, v] of pts.filter(([, v]) => v > hi)) {
      parts.push(`<text x="${(px(e) + 6).toFixed(1)}" y="${top + 13}" font-size="${FONT - 3}" fill="${s.color}">↑ ${fmt(Number(v.toPrecision(3)))}${p.unit}</text>`);
    }
  }
  // Legend: rows under the epoch labels, outside the plot area (the lines' labels too).
  let lx = LEFT, ly = bottom + 38;
  for (const s of [...p.series, ...(p.lines ?? []).map((l) => ({ name: l.label, color: l.color, dash: '6 4' }))]) {
    const width = 28 + 7.4 * s.name.length + 24;
    if (lx > LEFT && lx + width - 24 > W - RIGHT) { lx = LEFT; ly += 20; }
    parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 5}" y2="${ly - 5}" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    parts.push(`<text x="${lx + 28}" y="${ly}" font-size="${FONT - 1}">${esc(s.name)}</text>`);
    lx += width;
  }
  return ly + 16 - y;
}

function niceLinear(lo: number, hi: number): number[] {
  const step0 = (hi - lo) / 3;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

export function curvesSvg(records: EpochRecord[], title = 'tiny-mnist training', o: PlotOptions = {}): string {
  const goal = o.goal ?? 99.4;
  const e0 = o.lrCurve ? 0 : Math.min(...records.map((r) => r.epoch));
  const e1 = Math.max(...records.map((r) => r.epoch), e0 + 1);
  const at = (f: (r: EpochRecord) => number): Array<[number, number]> => records.map((r) => [r.epoch, f(r)]);
  const smoothing = o.labelSmoothing === undefined ? 'label-smoothed' : o.labelSmoothing > 0 ? `label smoothing ${o.labelSmoothing}` : '';
  const parts: string[] = [];
  let y = 48;
  y += panel(y, {
    title: 'Error, % of images wrong (log scale)', height: 230, log: true, unit: '%',
    series: [
      { name: 'test error', color: TEST, points: at((r) => 100 - r.testAcc), dots: true },
      { name: 'train error (augmented, dropout)', color: TRAIN, points: at((r) => 100 - r.trainAcc), dots: true },
      // Runs with --val only: the held-out training images, scored like the test set.
      ...(records.some((r) => r.valAcc !== undefined) ? [{ name: 'validation error', color: VAL, points: at((r) => 100 - (r.valAcc ?? NaN)), dots: true }] : []),
    ],
    lines: [{ value: 100 - goal, label: `goal: ${goal}% accuracy`, color: GOAL }],
    // The first epoch's train error (~20%) would squash the range that matters.
    clipAbove: Math.max(4 * (100 - goal), ...records.slice(1).map((r) => 100 - r.trainAcc), ...records.filter((r) => Number.isFinite(r.testAcc)).map((r) => 100 - r.testAcc)),
  }, e0, e1, parts) + 14;
  y += panel(y, {
    title: 'Loss (log scale)', height: 170, log: true, unit: '',
    series: [
      { name: 'test loss (plain NLL)', color: TEST, points: at((r) => r.testLoss), dots: true },
      { name: `train loss${smoothing ? ` (${smoothing})` : ''}`, color: TRAIN, points: at((r) => r.loss), dots: true },
    ],
  }, e0, e1, parts) + 14;
  y += panel(y, {
    title: 'Learning rate', height: 70, log: false, unit: '',
    series: [o.lrCurve
      ? { name: 'learning rate (per step)', color: LR, points: o.lrCurve }
      : { name: 'learning rate (end of epoch)', color: LR, points: at((r) => r.lr), dots: true }],
  }, e0, e1, parts);
  // The last epoch that was scored (with --test-every not every epoch is).
  const last = [...records].reverse().find((r) => Number.isFinite(r.testAcc));
  const sub = last ? `epoch ${last.epoch}: test accuracy ${last.testAcc.toFixed(2)}%, test error ${(100 - last.testAcc).toFixed(2)}%` : records.length ? 'not scored yet (--test-every)' : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}" font-family="sans-serif">
<title>${esc(title)}</title>
<rect x="0" y="0" width="${W}" height="${y}" fill="white"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="${FONT + 2}" font-weight="bold">${esc(title)}</text>
<text x="${W / 2}" y="40" text-anchor="middle" font-size="${FONT - 1}" fill="#444">${esc(sub)} · x axis: epoch</text>
${parts.join('\n')}
</svg>
`;
}

/** summary.svg: the test error of several runs (e.g. one per seed) on one log-scale panel. */
export function errorCurvesSvg(runs: Array<{ name: string; records: EpochRecord[] }>, title: string, goal = 99.4): string {
  const all = runs.flatMap((r) => r.records);
  const e0 = Math.min(...all.map((r) => r.epoch)), e1 = Math.max(...all.map((r) => r.epoch), e0 + 1);
  const parts: string[] = [];
  const series: Series[] = runs.map((r, i) => ({
    name: r.name, color: RUNS[i % RUNS.length]!, dots: true, dash: i >= RUNS.length ? '4 3' : undefined,
    points: r.records.map((x): [number, number] => [x.epoch, 100 - x.testAcc]),
  }));
  const y = 48 + panel(48, {
    title: 'Test error, % of images wrong (log scale)', height: 300, log: true, unit: '%', series,
    lines: [{ value: 100 - goal, label: `goal: ${goal}% accuracy`, color: GOAL }],
  }, e0, e1, parts);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}" font-family="sans-serif">
<title>${esc(title)}</title>
<rect x="0" y="0" width="${W}" height="${y}" fill="white"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="${FONT + 2}" font-weight="bold">${esc(title)}</text>
<text x="${W / 2}" y="40" text-anchor="middle" font-size="${FONT - 1}" fill="#444">${runs.length} run${runs.length === 1 ? '' : 's'} · x axis: epoch</text>
${parts.join('\n')}
</svg>
`;
}
