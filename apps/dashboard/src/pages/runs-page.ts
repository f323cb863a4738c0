import type { Run } from '@simplecm/domain';
import type { RunLaunch } from '@simplecm/store';
import { countCells, headWithCounts, durationBetween, formatDuration, formatTime, runStatusBadge } from '../format';
import { html, type SafeHtml } from '../html';
import { layout, type PageContext } from './layout';
import type { RunsFilter } from './links';

export interface RunsPageData {
  readonly runs: readonly Run[];
  /** Who launched each run from the dashboard, by run id. */
  readonly launches: ReadonlyMap<string, RunLaunch>;
  readonly filter: RunsFilter;
  /** Cursor for the next (older) page: the last run's id, when there may be more. */
  readonly nextBefore?: string;
  /** The cursor this page was read with; absent on the first page. */
  readonly before?: string;
  readonly now: Date;
}

function runRow(ctx: PageContext, run: Run, launch: RunLaunch | undefined, now: Date): SafeHtml {
  const duration = run.status === 'running' ? durationBetween(run.createdAt, now) : durationBetween(run.createdAt, run.finishedAt);
  return html`<tr>
  <td class="nowrap"><a class="mono" href="${ctx.links.run(run.runId)}" title="${run.runId}">${run.runId.slice(0, 8)}</a></td>
  <td class="nowrap">${formatTime(run.createdAt)}</td>
  <td>${run.mode}</td>
  <td class="wrap mono"><span class="clip">${run.target}</span></td>
  <td class="nowrap" data-launched-by>${launch ? launch.launchedBy : html`<span class="muted">cli</span>`}</td>
  <td class="num">${run.hostsDone} / ${run.hostCount}</td>
  <td class="num">${formatDuration(duration)}${run.status === 'running' ? html` <span class="muted">so far</span>` : ''}</td>
  ${countCells(run.counts)}
  <td class="nowrap mono">${run.stateRevision ? html`<span title="${run.stateRevision}">${run.stateRevision.slice(0, 8)}</span>` : ''}</td>
  <td>${runStatusBadge(run)}</td>
</tr>`;
}

function filterForm(ctx: PageContext, f: RunsFilter): SafeHtml {
  const option = (value: string, label: string, current?: string) => html`<option value="${value}"${current === value ? html` selected` : ''}>${label}</option>`;
  return html`<form class="filters-form" method="get" action="${ctx.links.home}" aria-label="Filter runs">
  <label>Status <select name="status">${option('', 'any', f.status)}${option('running', 'running', f.status)}${option('finished', 'finished', f.status)}${option('failed', 'with failures', f.status)}</select></label>
  <label>Mode <select name="mode">${option('', 'any', f.mode)}${option('apply', 'apply', f.mode)}${option('check', 'check', f.mode)}</select></label>
  <label>Target <input name="target" value="${f.target ?? ''}" size="12" placeholder="contains"></label>
  <label>Who <input name="who" value="${f.who ?? ''}" size="10" placeholder="user"></label>
  <label>From <input name="from" type="date" value="${f.from ?? ''}"></label>
  <label>To <input name="to" type="date" value="${f.to ?? ''}"></label>
  <button type="submit">Filter</button> <a href="${ctx.links.home}">Clear</a>
</form>`;
}

/** `/`: runs newest first, filtered, a page at a time; reloads itself while a run on it is going. */
export function runsPage(ctx: PageContext, { runs, launches, filter, nextBefore, before, now }: RunsPageData): SafeHtml {
  const running = runs.some((r) => r.status === 'running');
  const filtered = Object.values(filter).some((v) => v !== undefined && v !== '');
  const table =
    runs.length === 0
      ? html`<div class="table-box"><p class="empty">${filtered ? 'No runs match these filters.' : before ? 'No older runs.' : html`No runs yet. Start one with <code>simplecm run</code>.`}</p></div>`
      : html`<div class="table-box"><table class="runs">
${headWithCounts([['Run'], ['Started'], ['Mode'], ['Target'], ['Launched by'], ['Hosts', 'num'], ['Duration', 'num']], [['Revision'], ['Status']])}
<tbody>
${runs.map((r) => runRow(ctx, r, launches.get(r.runId), now))}
</tbody>
</table></div>`;
  return layout(ctx, {
    title: 'Runs',
    live: running,
    body: html`<h1>Runs</h1>
<p class="muted">Newest first. Counts are operations by outcome.${running ? ' A run is going: this page refreshes every 5 s.' : ''}</p>
${running ? html`<span hidden data-auto-refresh="5"></span>` : ''}
${filterForm(ctx, filter)}
${table}
<div class="pager">
  ${before ? html`<a href="${ctx.links.runs(undefined, filter)}">« Newest</a>` : ''}
  ${nextBefore ? html`<a href="${ctx.links.runs(nextBefore, filter)}" rel="next">Older runs »</a>` : ''}
</div>`,
  });
}
