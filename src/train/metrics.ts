// Per-epoch records: the console line (same fields as the PyTorch example prints) and metrics.csv.
import { FileFormatError } from '../util/errors.js';

export interface EpochRecord {
  epoch: number;
  loss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  lr: number;
  seconds: number;
}

export function formatEpoch(r: EpochRecord): string {
  return `Epoch: ${r.epoch}, loss: ${r.loss.toFixed(4)}, train acc: ${r.trainAcc.toFixed(2)}%, test loss: ${r.testLoss.toFixed(4)}, test acc: ${r.testAcc.toFixed(2)}%, lr: ${Number(r.lr.toPrecision(3))}, ${r.seconds.toFixed(1)} s`;
}

const COLUMNS = ['epoch', 'train_loss', 'train_acc', 'test_loss', 'test_acc', 'lr', 'seconds'] as const;

export function metricsCsv(records: EpochRecord[]): string {
  const rows = records.map((r) => [r.epoch, r.loss.toFixed(6), r.trainAcc.toFixed(4), r.testLoss.toFixed(6), r.testAcc.toFixed(4), r.lr.toPrecision(6), r.seconds.toFixed(2)].join(','));
  return [COLUMNS.join(','), ...rows].join('\n') + '\n';
}

/** Reads metrics.csv back (as metricsCsv writes it); `file` names it in errors. */
export function parseMetricsCsv(text: string, file: string): EpochRecord[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== COLUMNS.join(',')) throw new FileFormatError(file, `expected the header "${COLUMNS.join(',')}", got "${(lines[0] ?? '').slice(0, 80)}"`);
  if (lines.length < 2) throw new FileFormatError(file, 'no epochs recorded');
  return lines.slice(1).map((line, i) => {
    const v = line.split(',').map(Number);
    if (v.length !== COLUMNS.length || !v.every(Number.isFinite)) throw new FileFormatError(file, `line ${i + 2}: expected ${COLUMNS.length} numbers, got "${line.slice(0, 80)}"`);
    const [epoch, loss, trainAcc, testLoss, testAcc, lr, seconds] = v as [number, number, number, number, number, number, number];
    return { epoch, loss, trainAcc, testLoss, testAcc, lr, seconds };
  });
}
