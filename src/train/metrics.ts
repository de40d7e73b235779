// Per-epoch records: the console line (same fields as the PyTorch example prints) and metrics.csv.
// A run with a validation split (--val) adds val_loss,val_acc columns; without one the format is
// exactly the one the committed records use. An epoch that was not scored (--test-every) has NaN
// test (and validation) figures here and empty cells in metrics.csv.
import { FileFormatError } from '../util/errors.js';

export interface EpochRecord {
  epoch: number;
  loss: number;
  trainAcc: number;
  /** NaN: not scored this epoch (--test-every). */
  testLoss: number;
  testAcc: number;
  lr: number;
  seconds: number;
  /** Only in runs with --val: loss and accuracy (%) on the held-out training images. */
  valLoss?: number;
  valAcc?: number;
}

export function formatEpoch(r: EpochRecord): string {
  const scored = Number.isFinite(r.testAcc);
  const val = r.valAcc !== undefined && scored ? `, val loss: ${r.valLoss!.toFixed(4)}, val acc: ${r.valAcc.toFixed(2)}%` : '';
  const test = scored ? `test loss: ${r.testLoss.toFixed(4)}, test acc: ${r.testAcc.toFixed(2)}%` : 'not scored (--test-every)';
  return `Epoch: ${r.epoch}, loss: ${r.loss.toFixed(4)}, train acc: ${r.trainAcc.toFixed(2)}%${val}, ${test}, lr: ${Number(r.lr.toPrecision(3))}, ${r.seconds.toFixed(1)} s`;
}

/** A scored figure with d decimals; an epoch that was not scored (NaN) leaves the cell empty. */
const cell = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : '');

const COLUMNS = ['epoch', 'train_loss', 'train_acc', 'test_loss', 'test_acc', 'lr', 'seconds'] as const;
const VAL_COLUMNS = [...COLUMNS, 'val_loss', 'val_acc'] as const;
/** The column pairs an unscored epoch leaves empty, both cells together (their indices). */
const SCORED_PAIRS = ([['test_loss', 'test_acc'], ['val_loss', 'val_acc']] as const).map((p) => p.map((c) => VAL_COLUMNS.indexOf(c)));

export function metricsCsv(records: EpochRecord[]): string {
  const val = records.some((r) => r.valAcc !== undefined);
  const rows = records.map((r) => {
    const row = [r.epoch, r.loss.toFixed(6), r.trainAcc.toFixed(4), cell(r.testLoss, 6), cell(r.testAcc, 4), r.lr.toPrecision(6), r.seconds.toFixed(2)];
    if (val) row.push(cell(r.valLoss ?? NaN, 6), cell(r.valAcc ?? NaN, 4));
    return row.join(',');
  });
  return [(val ? VAL_COLUMNS : COLUMNS).join(','), ...rows].join('\n') + '\n';
}

/** Reads metrics.csv back (as metricsCsv writes it); `file` names it in errors. */
export function parseMetricsCsv(text: string, file: string): EpochRecord[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]?.trim();
  const val = header === VAL_COLUMNS.join(',');
  if (header !== COLUMNS.join(',') && !val) throw new FileFormatError(file, `expected the header "${COLUMNS.join(',')}" (with ",val_loss,val_acc" after a --val run), got "${(lines[0] ?? '').slice(0, 80)}"`);
  if (lines.length < 2) throw new FileFormatError(file, 'no epochs recorded');
  const n = val ? VAL_COLUMNS.length : COLUMNS.length;
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    const v = cells.map((c) => (c.trim() === '' ? NaN : Number(c)));
    // Empty test (and validation) cells: an epoch that was not scored, both figures of a pair at once.
    const empty = (j: number) => cells[j] === '';
    const ok = v.length === n && SCORED_PAIRS.every(([a, b]) => empty(a!) === empty(b!))
      && v.every((x, j) => Number.isFinite(x) || (empty(j) && SCORED_PAIRS.some((p) => p.includes(j))));
    if (!ok) throw new FileFormatError(file, `line ${i + 2}: expected ${n} numbers (test and validation cells may be empty together), got "${line.slice(0, 80)}"`);
    const [epoch, loss, trainAcc, testLoss, testAcc, lr, seconds, valLoss, valAcc] = v as [number, number, number, number, number, number, number, number, number];
    return val ? { epoch, loss, trainAcc, testLoss, testAcc, lr, seconds, valLoss, valAcc } : { epoch, loss, trainAcc, testLoss, testAcc, lr, seconds };
  });
}
