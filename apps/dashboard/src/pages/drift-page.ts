import type { DriftedHost, HostDriftStatus } from '@simplecm/store';
import { formatTime } from '../format';
import { html, type SafeHtml } from '../html';
import { layout, type PageContext } from './layout';

/** A drifted host as the drift page shows it: with the state revision its check run converged against. */
export type DriftRow = DriftedHost & { readonly stateRevision: string | null };

export interface DriftPageData {
  readonly hosts: readonly DriftRow[];
  /** The name filter (host names containing it), when given. */
  readonly name?: string;
}

function runLink(ctx: PageContext, hostname: string, runId: string): SafeHtml {
  return html`<a class="mono" href="${ctx.links.runHost(runId, hostname)}" title="${runId}">${runId.slice(0, 8)}</a>`;
}

function driftRow(ctx: PageContext, d: DriftRow): SafeHtml {
  return html`<tr data-drifted-host="${d.hostname}">
  <td class="nowrap"><a class="mono" href="${ctx.links.host(d.hostname)}">${d.hostname}</a></td>
  <td class="nowrap">${formatTime(d.driftedSince)}</td>
  <td class="nowrap">${formatTime(d.checkedAt)}</td>
  <td class="num">${d.pending}</td>
  <td class="wrap"><span class="clip">${d.pendingOperations.join(', ')}</span></td>
  <td class="nowrap">${runLink(ctx, d.hostname, d.runId)}</td>
  <td class="nowrap mono">${d.stateRevision ? html`<span title="${d.stateRevision}">${d.stateRevision.slice(0, 8)}</span>` : html`<span class="muted">none</span>`}</td>
</tr>`;
}

/** `/drift`: the hosts whose latest check run found operations that would change, with since when. */
export function driftPage(ctx: PageContext, { hosts, name }: DriftPageData): SafeHtml {
  const table =
    hosts.length === 0
      ? html`<div class="table-box"><p class="empty" data-drift-empty>${name ? html`No drifted host matches <code>${name}</code>.` : html`No drifted host: every host's latest check run found nothing to change. Check with <code>simplecm run --check</code>.`}</p></div>`
      : html`<div class="table-box"><table class="drift">
<thead><tr><th>Host</th><th>Drifted since</th><th>Last check</th><th class="num">Pending</th><th>Operations</th><th>Run</th><th>Revision</th></tr></thead>
<tbody>
${hosts.map((d) => driftRow(ctx, d))}
</tbody>
</table></div>`;
  return layout(ctx, {
    title: 'Drift',
    section: 'drift',
    body: html`<h1>Drift</h1>
<p class="muted">Hosts whose latest check run found operations that would change, by host name. Drifted since: the first such check after the host was last found or made clean. An apply run that converges a host clears it.</p>
<form class="filters-form" method="get" action="${ctx.links.drift()}" aria-label="Filter drifted hosts">
  <label>Host name contains <input name="name" value="${name ?? ''}" autocomplete="off" spellcheck="false"></label>
  <button type="submit">Filter</button>
</form>
${table}`,
  });
}

/** The host page's panel: the host's latest conclusive check, drifted or in sync. */
export function hostDriftPanel(ctx: PageContext, hostname: string, drift: HostDriftStatus | undefined): SafeHtml {
  if (!drift) return html`<section class="panel" data-host-drift="unknown"><h2>Drift</h2><p class="muted">No conclusive check run of ${hostname} recorded yet.</p></section>`;
  if (drift.pending === 0) {
    return html`<section class="panel" data-host-drift="in-sync"><h2>Drift</h2>
  <p>In sync as of ${formatTime(drift.checkedAt)} (${drift.mode === 'apply' ? 'converged by' : 'checked by'} run ${runLink(ctx, hostname, drift.runId)}).</p>
</section>`;
  }
  return html`<section class="panel" data-host-drift="drifted"><h2>Drift</h2>
  <p>Drifted since ${formatTime(drift.driftedSince)}: ${drift.pending} pending ${drift.pending === 1 ? 'change' : 'changes'} at the last check, ${formatTime(drift.checkedAt)} (run ${runLink(ctx, hostname, drift.runId)}). Last in sync: ${drift.lastCleanAt ? formatTime(drift.lastCleanAt) : 'never'}; <a href="${ctx.links.drift()}">all drifted hosts</a>.</p>
  <ul class="pending-operations">${drift.pendingOperations.map((op) => html`<li>${op}</li>`)}</ul>
</section>`;
}
