import type { Run } from '@simplecm/domain';
import { countCells, headWithCounts, durationBetween, formatDuration, formatTime, runStatusBadge } from '../format';
import { html, type SafeHtml } from '../html';
import { layout, type PageContext } from './layout';
import { links } from './links';

export interface RunsPageData {
  readonly runs: readonly Run[];
  /** Cursor for the next (older) page: the last run's id, when there may be more. */
  readonly nextBefore?: string;
  /** The cursor this page was read with; absent on the first page. */
  readonly before?: string;
  readonly now: Date;
}

function runRow(run: Run, now: Date): SafeHtml {
  const duration = run.status === 'running' ? durationBetween(run.createdAt, now) : durationBetween(run.createdAt, run.finishedAt);
  return html`<tr>
  <td class="nowrap"><a class="mono" href="${links.run(run.runId)}" title="${run.runId}">${run.runId.slice(0, 8)}</a></td>
  <td class="nowrap">${formatTime(run.createdAt)}</td>
  <td>${run.mode}</td>
  <td class="wrap mono"><span class="clip">${run.target}</span></td>
  <td class="num">${run.hostsDone} / ${run.hostCount}</td>
  <td class="num">${formatDuration(duration)}${run.status === 'running' ? html` <span class="muted">so far</span>` : ''}</td>
  ${countCells(run.counts)}
  <td class="nowrap mono">${run.stateRevision ? html`<span title="${run.stateRevision}">${run.stateRevision.slice(0, 8)}</span>` : ''}</td>
  <td>${runStatusBadge(run)}</td>
</tr>`;
}

/** `/`: runs newest first, a page at a time; reloads itself while a run on it is going. */
export function runsPage(ctx: PageContext, { runs, nextBefore, before, now }: RunsPageData): SafeHtml {
  const running = runs.some((r) => r.status === 'running');
  const table =
    runs.length === 0
      ? html`<div class="table-box"><p class="empty">${before ? 'No older runs.' : html`No runs yet. Start one with <code>npm run enqueue -- --wait</code>.`}</p></div>`
      : html`<div class="table-box"><table class="runs">
${headWithCounts([['Run'], ['Started'], ['Mode'], ['Target'], ['Hosts', 'num'], ['Duration', 'num']], [['Revision'], ['Status']])}
<tbody>
${runs.map((r) => runRow(r, now))}
</tbody>
</table></div>`;
  return layout(ctx, {
    title: 'Runs',
    live: running,
    body: html`<h1>Runs</h1>
<p class="muted">Newest first. Counts are operations by outcome.${running ? ' A run is going: this page refreshes every 5 s.' : ''}</p>
${running ? html`<span hidden data-auto-refresh="5"></span>` : ''}
${table}
<div class="pager">
  ${before ? html`<a href="${links.runs()}">« Newest</a>` : ''}
  ${nextBefore ? html`<a href="${links.runs(nextBefore)}" rel="next">Older runs »</a>` : ''}
</div>`,
  });
}
