// Progress within an epoch: a redrawn bar with images/s and ETA on a terminal, a plain line every
// quarter epoch otherwise (logs stay readable).

export function progressPrinter(stream: NodeJS.WriteStream = process.stdout): { update: (done: number, total: number, ips: number) => void; clear: () => void } {
  const tty = stream.isTTY === true;
  let lastDraw = 0, lastQuarter = 0;
  return {
    update(done, total, ips) {
      const eta = ips > 0 ? (total - done) / ips : 0;
      const text = `${done}/${total} images, ${Math.round(ips)} images/s, ETA ${eta.toFixed(0)} s`;
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        const width = 30, fill = Math.round((width * done) / total);
        stream.write(`\r[${'='.repeat(fill)}${' '.repeat(width - fill)}] ${text}\x1b[K`);
      } else {
        const quarter = Math.floor((4 * done) / total);
        if (quarter > lastQuarter && done < total) {
          lastQuarter = quarter;
          stream.write(`  ${text}\n`);
        }
        if (done >= total) lastQuarter = 0;
      }
    },
    clear() {
      if (tty) stream.write('\r\x1b[K');
    },
  };
}
