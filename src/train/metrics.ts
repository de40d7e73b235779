// Per-epoch records: the console line (same fields as the PyTorch example prints) and metrics.csv.

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
