import { hostStatuses, operationStatuses, type HostStatus, type Run } from '@simplecm/domain';
import type { Page, RunHost, RunLaunch, StateRevisionRecord } from '@simplecm/store';
import { countCells, headWithCounts, durationBetween, formatDuration, formatTime, plural, progressBar, runStatusBadge, statusBadge } from '../format';
import { html, type SafeHtml } from '../html';
import { csrfField, isOperator, layout, type PageContext } from './layout';
import { liveOperationsPanel } from './live-operations';

export interface RunPageData {
  readonly run: Run;
  readonly hosts: Page<RunHost>;
  readonly status?: HostStatus;
  /** Host-name filter (a substring). */
  readonly name?: string;
  /** Who launched it from the dashboard; undefined when it was started elsewhere. */
  readonly launch?: RunLaunch;
  /** The state revision the run converged, when it is still recorded. */
  readonly revision?: StateRevisionRecord;
  /** Token this page was read with; absent on the first page. */
  readonly page?: string;
  /** Page number for display. */
  readonly n: number;
  /** Page size asked for in the URL, kept in the paging links. */
  readonly size?: number;
  readonly now: Date;
}


function summary(ctx: PageContext, run: Run, launch: RunLaunch | undefined, revision: StateRevisionRecord | undefined, now: Date): SafeHtml {
  const running = run.status === 'running';
  const duration = running ? durationBetween(run.createdAt, now) : durationBetween(run.createdAt, run.finishedAt);
  const counts = operationStatuses.map(
    (s) => html`<span class="${run.counts[s] > 0 ? `c-${s}` : 'zero'}"><strong data-live="count-${s}">${run.counts[s]}</strong> ${s}</span>`,
  );
  return html`<section class="panel"${running ? html` data-run-live="${run.runId}" data-hosts-done="${run.hostsDone}"` : ''}>
  <div class="summary-line"><h1 class="mono">${run.runId}</h1>${runStatusBadge(run)}</div>
  <dl class="facts">
    <div><dt>Mode</dt><dd>${run.mode}</dd></div>
    <div><dt>Target</dt><dd class="mono"><span class="clip">${run.target}</span></dd></div>
    <div><dt>Launched by</dt><dd data-launched-by>${launch ? html`${launch.launchedBy} <span class="muted">from ${launch.address}</span>${launch.relaunchOf ? html` · relaunch of <a class="mono" href="${ctx.links.run(launch.relaunchOf)}">${launch.relaunchOf.slice(0, 8)}</a>` : ''}` : html`<span class="muted">not from the dashboard</span>`}</dd></div>
    <div><dt>State revision</dt><dd class="mono" data-state-revision>${run.stateRevision ?? html`<span class="muted">none</span>`}${revision ? html`<br><span class="muted">applied ${formatTime(revision.appliedAt)} by ${revision.appliedBy ?? '?'}${revision.gitCommit ? ` · git ${revision.gitCommit.slice(0, 12)}` : ''}</span>${revision.summary ? html`<br><span class="muted">${revision.summary}</span>` : ''}` : ''}</dd></div>
    <div><dt>Started</dt><dd>${formatTime(run.createdAt)}</dd></div>
    <div><dt>${running ? 'Running for' : 'Duration'}</dt><dd${running ? html` data-live="elapsed"` : ''}>${formatDuration(duration)}</dd></div>
    <div><dt>Hosts done</dt><dd><strong data-live="hosts-done">${run.hostsDone}</strong> / ${run.hostCount}${run.status === 'cancelled' ? html` · <span data-hosts-cancelled>${run.hostsCancelled ?? 0} cancelled</span>` : ''}</dd></div>
  </dl>
  ${progressBar(run.hostsDone, run.hostCount, run.counts)}
  <div class="summary-line"><span class="muted">Operations:</span> ${counts}</div>
  ${running ? html`<p class="live-note" data-live="note" hidden><span data-live="note-text"></span> <a href="">Reload</a></p>` : ''}
</section>`;
}

function hostRow(ctx: PageContext, run: Run, h: RunHost): SafeHtml {
  return html`<tr class="row-${h.status}">
  <td class="name"><a class="mono" href="${ctx.links.runHost(run.runId, h.hostname)}">${h.hostname}</a></td>
  <td>${statusBadge(h.status)}</td>
  ${countCells(h.counts)}
  <td class="name mono">${h.worker}</td>
  <td class="nowrap">${formatTime(h.startedAt)}</td>
  <td class="num">${formatDuration(durationBetween(h.startedAt, h.endedAt))}</td>
  <td class="cause">${h.cause ? html`<span class="clip">${h.cause}</span>` : ''}</td>
</tr>`;
}

/** Relaunch (failed and unreachable hosts) and cancel, for operators when a run control is wired. */
function actions(ctx: PageContext, run: Run): SafeHtml {
  if (!isOperator(ctx) || !ctx.canControl) return html``;
  const failed = run.counts.failed + run.counts.unreachable > 0;
  return html`<div class="toolbar run-actions">
  ${run.status !== 'running' && failed ? html`<form method="post" action="${ctx.links.relaunch(run.runId)}">${csrfField(ctx)}<button type="submit" data-action="relaunch">Relaunch failed hosts</button></form>` : ''}
  ${run.status === 'running' ? html`<form method="post" action="${ctx.links.cancel(run.runId)}">${csrfField(ctx)}<button type="submit" data-action="cancel">Cancel run</button></form>` : ''}
</div>`;
}

/** `/runs/:runId`: the run's summary (live while it runs) and its hosts, filtered and paged. */
export function runPage(ctx: PageContext, { run, hosts, status, name, launch, revision, page, n, size, now }: RunPageData): SafeHtml {
  const filters = [
    html`<a href="${ctx.links.run(run.runId, { size, name })}" class="${status === undefined ? 'current' : ''}">All hosts</a>`,
    ...hostStatuses.map((s) => html`<a href="${ctx.links.run(run.runId, { status: s, size, name })}" class="s-${s}${status === s ? ' current' : ''}">${s}</a>`),
  ];
  // Cassandra can hand out a token for a page that turns out empty (the last page was exactly full).
  const empty = page
    ? 'No more hosts: that was the last page.'
    : status
      ? `No ${status} hosts${name ? ` matching “${name}”` : ''} in this run.`
      : name
        ? `No hosts matching “${name}” in this run.`
      : run.status === 'running'
        ? 'No host has finished yet.'
        : 'No host results recorded for this run.';
  const table =
    hosts.items.length === 0
      ? html`<div class="table-box" data-live-hosts><p class="empty">${empty}</p></div>`
      : html`<div class="table-box" data-live-hosts><table class="hosts">
${headWithCounts([['Host'], ['Outcome']], [['Worker'], ['Started'], ['Duration', 'num'], ['Cause']])}
<tbody>
${hosts.items.map((h) => hostRow(ctx, run, h))}
</tbody>
</table></div>`;
  return layout(ctx, {
    title: `Run ${run.runId.slice(0, 8)}`,
    live: run.status === 'running',
    crumbs: [{ label: 'Runs', href: ctx.links.runs() }, { label: html`<span class="mono">${run.runId}</span>` }],
    body: html`${summary(ctx, run, launch, revision, now)}
${actions(ctx, run)}
${run.status === 'running' ? liveOperationsPanel(run.runId) : ''}
<div class="toolbar">
  <nav class="filters" aria-label="Filter hosts by outcome">${filters}</nav>
  <form class="name-filter" method="get" action="${ctx.links.run(run.runId)}">${status ? html`<input type="hidden" name="status" value="${status}">` : ''}<input name="name" value="${name ?? ''}" placeholder="Host name contains" aria-label="Host name contains"><button type="submit">Filter</button></form>
  <span class="muted" data-live-hosts-count>Page ${n}: ${plural(hosts.items.length, 'host')}${status ? ` (${status})` : ''}</span>
</div>
${table}
<div class="pager">
  ${page ? html`<a href="${ctx.links.run(run.runId, { status, size, name })}">« First page</a>` : ''}
  ${hosts.nextPage ? html`<a href="${ctx.links.run(run.runId, { status, size, name, page: hosts.nextPage, n: n + 1 })}" rel="next">Next page »</a>` : ''}
</div>`,
  });
}
