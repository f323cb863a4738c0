export interface ProgressCounts {
  readonly done: number;
  readonly failed: number;
  readonly total: number;
}

/** `[#########-----------]  45/100 hosts  3 failed  55 remaining` */
export function renderProgress({ done, failed, total }: ProgressCounts, width = 30, label = 'hosts'): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
  return `[${bar}] ${String(done).padStart(String(total).length)}/${total} ${label}  ${failed} failed  ${total - done} remaining`;
}

/**
 * Redraws one line on a terminal; elsewhere (CI logs) prints a line only when it changed
 * and at most every `quietMs`, so logs stay readable.
 */
export function progressReporter(stream: NodeJS.WriteStream, { quietMs = 2_000, label = 'hosts' } = {}) {
  let last = '';
  let lastAt = 0;
  return {
    update(counts: ProgressCounts): void {
      const text = renderProgress(counts, 30, label);
      if (stream.isTTY) {
        // Erase to the end of the line: a shorter text must not leave the old one's tail behind.
        stream.write(`\r${text}\x1b[K`);
      } else if (text !== last && (Date.now() - lastAt >= quietMs || counts.done === counts.total)) {
        stream.write(`${text}\n`);
        lastAt = Date.now();
      }
      last = text;
    },
    done(): void {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
