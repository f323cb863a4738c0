import { assertNever, operationStatuses, type OperationStatus, type OutcomeCounts, type Run } from '@simplecm/domain';
import { html, type SafeHtml } from './html';

/** `340 ms`, `12.3 s`, `4 m 05 s`, `1 h 02 m`. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const s = Math.floor(ms / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3_600)} h ${String(Math.floor((s % 3_600) / 60)).padStart(2, '0')} m`;
}

export function durationBetween(start: Date | null, end: Date | null): number | null {
  return start && end ? end.getTime() - start.getTime() : null;
}

/** `2025-11-25 19:56:03 UTC` in a `<time>` element (operators compare across machines: UTC). */
export function formatTime(date: Date | number | null): SafeHtml {
  if (date === null) return html``;
  const d = typeof date === 'number' ? new Date(date) : date;
  return html`<time datetime="${d.toISOString()}">${d.toISOString().slice(0, 19).replace('T', ' ')} UTC</time>`;
}

/** A coloured label for an operation or host outcome. */
export function statusBadge(status: OperationStatus): SafeHtml {
  return html`<span class="badge s-${status}">${status}</span>`;
}

/** A run's state: running, finished (green when nothing failed, red otherwise) or failed to start. */
export function runStatusBadge(run: Pick<Run, 'status' | 'counts'>): SafeHtml {
  const troubled = run.counts.failed + run.counts.unreachable + run.counts.rejected > 0;
  switch (run.status) {
    case 'running':
      return html`<span class="badge r-running">running</span>`;
    case 'finished':
      return troubled ? html`<span class="badge s-failed">finished, failures</span>` : html`<span class="badge s-ok">finished</span>`;
    case 'failed':
      return html`<span class="badge s-failed">failed</span>`;
    case 'cancelled':
      return html`<span class="badge s-skipped">cancelled</span>`;
    default:
      return assertNever(run.status);
  }
}

/** One table cell per outcome; zero counts are dimmed so the eye goes to the others. */
export function countCells(counts: OutcomeCounts): SafeHtml[] {
  return operationStatuses.map((s) => (counts[s] > 0 ? html`<td class="num c-${s}">${counts[s]}</td>` : html`<td class="num zero">0</td>`));
}

/** `<th>` for each outcome, in the same order as countCells. */
export function countHeaders(): SafeHtml[] {
  return operationStatuses.map((s) => html`<th class="num c-${s}" title="operations ${s}">${s}</th>`);
}

/**
 * A two-row table head: the outcome columns grouped under "Operations". `before` and `after`
 * are the header labels on either side (`[label, class]`).
 */
export function headWithCounts(before: ReadonlyArray<readonly [string, string?]>, after: ReadonlyArray<readonly [string, string?]>): SafeHtml {
  const cell = ([label, cls]: readonly [string, string?]) => html`<th class="${cls ?? ''}">${label}</th>`;
  const blank = (n: number) => Array.from({ length: n }, () => html`<th></th>`);
  return html`<thead>
<tr class="group">${blank(before.length)}<th class="span" colspan="${operationStatuses.length}">Operations</th>${blank(after.length)}</tr>
<tr>${before.map(cell)}${countHeaders()}${after.map(cell)}</tr>
</thead>`;
}

/**
 * A bar split by outcome for a run's progress: `done / total` of its width, shared out by the
 * operation counts. SVG, so widths are attributes and the page needs no inline styles (CSP).
 * assets/live.js redraws it the same way.
 */
export function progressBar(done: number, total: number, counts: OutcomeCounts): SafeHtml {
  const ops = operationStatuses.reduce((n, s) => n + counts[s], 0);
  const doneWidth = (total === 0 ? 1 : Math.min(1, done / total)) * 1_000;
  let x = 0;
  const rects = operationStatuses
    .filter((s) => counts[s] > 0)
    .map((s) => {
      const width = (counts[s] / Math.max(1, ops)) * doneWidth;
      const rect = html`<rect class="f-${s}" x="${x.toFixed(1)}" y="0" width="${width.toFixed(1)}" height="10"></rect>`;
      x += width;
      return rect;
    });
  return html`<svg class="progress" viewBox="0 0 1000 10" preserveAspectRatio="none" role="img" aria-label="${done} of ${total} hosts done" data-live="bar">${rects}</svg>`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
