// curves.svg: loss and accuracy per epoch, train and test, as two side-by-side line charts with
// axes, ticks and a legend. Plain SVG text, no dependencies; the web page shows the same file.
import type { EpochRecord } from './metrics.js';

const W = 420, H = 300, M = { l: 56, r: 16, t: 36, b: 44 };

function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

function panel(x0: number, title: string, epochs: number[], series: Array<{ name: string; color: string; values: number[] }>, unit: string): string {
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  let lo = Math.min(...all), hi = Math.max(...all);
  if (lo === hi) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.05;
  lo -= pad; hi += pad;
  const e0 = Math.min(...epochs), e1 = Math.max(...epochs, e0 + 1);
  const px = (e: number) => x0 + M.l + ((e - e0) / (e1 - e0)) * (W - M.l - M.r);
  const py = (v: number) => M.t + (1 - (v - lo) / (hi - lo)) * (H - M.t - M.b);
  const parts: string[] = [`<text x="${x0 + W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`];
  for (const v of niceTicks(lo, hi)) {
    parts.push(`<line x1="${x0 + M.l}" x2="${x0 + W - M.r}" y1="${py(v)}" y2="${py(v)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x0 + M.l - 6}" y="${py(v) + 4}" text-anchor="end" font-size="11">${v}${unit}</text>`);
  }
  for (const e of niceTicks(e0, e1, Math.min(10, e1 - e0)).filter(Number.isInteger)) {
    parts.push(`<text x="${px(e)}" y="${H - M.b + 16}" text-anchor="middle" font-size="11">${e}</text>`);
  }
  parts.push(`<text x="${x0 + (M.l + W - M.r) / 2}" y="${H - 8}" text-anchor="middle" font-size="12">epoch</text>`);
  parts.push(`<rect x="${x0 + M.l}" y="${M.t}" width="${W - M.l - M.r}" height="${H - M.t - M.b}" fill="none" stroke="#888"/>`);
  series.forEach((s, i) => {
    const pts = s.values.map((v, j) => `${px(epochs[j]!).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    s.values.forEach((v, j) => parts.push(`<circle cx="${px(epochs[j]!).toFixed(1)}" cy="${py(v).toFixed(1)}" r="2.5" fill="${s.color}"/>`));
    const ly = M.t + 14 + i * 16;
    parts.push(`<line x1="${x0 + W - M.r - 110}" x2="${x0 + W - M.r - 92}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`);
    parts.push(`<text x="${x0 + W - M.r - 88}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  });
  return parts.join('\n');
}

export function curvesSvg(records: EpochRecord[], title = 'tiny-mnist training'): string {
  const epochs = records.map((r) => r.epoch);
  const loss = panel(0, 'Loss', epochs, [
    { name: 'train', color: '#1f77b4', values: records.map((r) => r.loss) },
    { name: 'test', color: '#d62728', values: records.map((r) => r.testLoss) },
  ], '');
  const acc = panel(W, 'Accuracy', epochs, [
    { name: 'train', color: '#1f77b4', values: records.map((r) => r.trainAcc) },
    { name: 'test', color: '#d62728', values: records.map((r) => r.testAcc) },
  ], '%');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 20}" viewBox="0 -20 ${2 * W} ${H + 20}" font-family="sans-serif">
<title>${esc(title)}</title>
<rect x="0" y="-20" width="${2 * W}" height="${H + 20}" fill="white"/>
<text x="${W}" y="-4" text-anchor="middle" font-size="13" fill="#444">${esc(title)}</text>
${loss}
${acc}
</svg>
`;
}
