import type { HostRun, Page } from '@simplecm/store';
import { durationBetween, formatDuration, formatTime, statusBadge } from '../format';
import { html, type SafeHtml } from '../html';
import { layout, type PageContext } from './layout';
import { links } from './links';

export interface HostHistoryPageData {
  readonly hostname: string;
  readonly history: Page<HostRun>;
  readonly page?: string;
  readonly n: number;
}

/** `/hosts/:hostname`: the host's outcome in every run that touched it, newest first, paged. */
export function hostHistoryPage(ctx: PageContext, { hostname, history, page, n }: HostHistoryPageData): SafeHtml {
  const table =
    history.items.length === 0
      ? html`<div class="table-box"><p class="empty">${page ? 'No older runs.' : html`No run has recorded a result for <code>${hostname}</code>.`}</p></div>`
      : html`<div class="table-box"><table class="history">
<thead><tr><th>Run</th><th>Started</th><th>Mode</th><th>Outcome</th><th class="num">Duration</th><th>Cause</th></tr></thead>
<tbody>
${history.items.map(
  (h) => html`<tr class="row-${h.status}">
  <td class="nowrap"><a class="mono" href="${links.runHost(h.runId, hostname)}" title="${h.runId}">${h.runId.slice(0, 8)}</a></td>
  <td class="nowrap">${formatTime(h.startedAt)}</td>
  <td>${h.mode}</td>
  <td>${statusBadge(h.status)}</td>
  <td class="num">${formatDuration(durationBetween(h.startedAt, h.endedAt))}</td>
  <td class="cause">${h.cause ? html`<span class="clip">${h.cause}</span>` : ''}</td>
</tr>`,
)}
</tbody>
</table></div>`;
  return layout(ctx, {
    title: `${hostname} history`,
    crumbs: [{ label: 'Runs', href: links.runs() }, { label: 'Hosts' }, { label: hostname }],
    body: html`<h1 class="mono">${hostname}</h1>
<p class="muted">Every run that touched this host, newest first. Page ${n}.</p>
${table}
<div class="pager">
  ${page ? html`<a href="${links.host(hostname)}">« Newest</a>` : ''}
  ${history.nextPage ? html`<a href="${links.host(hostname, { page: history.nextPage, n: n + 1 })}" rel="next">Older runs »</a>` : ''}
</div>`,
  });
}
