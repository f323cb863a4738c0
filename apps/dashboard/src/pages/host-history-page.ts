import type { Host, Operation } from '@simplecm/domain';
import type { HostDriftStatus, HostRun, Page, StateRevisionRecord } from '@simplecm/store';
import { durationBetween, formatDuration, formatTime, statusBadge } from '../format';
import { html, type SafeHtml } from '../html';
import { hostDriftPanel } from './drift-page';
import { layout, type PageContext } from './layout';

export interface HostHistoryPageData {
  readonly hostname: string;
  readonly history: Page<HostRun>;
  readonly page?: string;
  readonly n: number;
  /** The host's desired state: its inventory record (undefined when not in the inventory), operations, and the latest revision. */
  readonly desired: { readonly host?: Host; readonly operations: readonly Operation[]; readonly revision: StateRevisionRecord | null };
  /** The host's latest conclusive check; undefined when never checked. */
  readonly drift?: HostDriftStatus;
}

function desiredState(ctx: PageContext, hostname: string, { host, operations, revision }: HostHistoryPageData['desired']): SafeHtml {
  if (!host) return html`<section class="panel" data-desired-state><h2>Desired state</h2><p class="muted">${hostname} is not in the inventory.</p></section>`;
  const vars = Object.entries(host.vars).sort(([a], [b]) => a.localeCompare(b));
  return html`<section class="panel" data-desired-state>
  <h2>Desired state</h2>
  <p class="muted">Latest state revision: ${revision ? html`<span class="mono">${revision.revisionId}</span> (applied ${formatTime(revision.appliedAt)} by ${revision.appliedBy ?? '?'})` : 'none applied'}</p>
  <dl class="facts">
    <div><dt>Address</dt><dd class="mono">${host.address}:${host.port}</dd></div>
    <div><dt>SSH user</dt><dd class="mono">${host.user}</dd></div>
    <div><dt>Key</dt><dd class="mono">${host.keyName}</dd></div>
    <div><dt>Groups</dt><dd>${host.groups.length > 0 ? host.groups.join(', ') : html`<span class="muted">none</span>`}</dd></div>
    <div><dt>Become</dt><dd class="mono">${host.become ?? html`<span class="muted">no</span>`}</dd></div>
    <div><dt>Pinned host keys</dt><dd>${host.hostKeys.length}</dd></div>
  </dl>
  ${vars.length > 0 ? html`<h3>Vars</h3><div class="table-box"><table class="vars"><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody>${vars.map(([k, v]) => html`<tr><td class="mono">${k}</td><td class="mono wrap">${v}</td></tr>`)}</tbody></table></div>` : ''}
  <h3>Operations (${operations.length})</h3>
  <div class="table-box"><table class="operations" data-desired-operations><thead><tr><th class="num">#</th><th>Name</th><th>Module</th><th>Attributes</th><th>Tags</th><th>Runs when changed</th></tr></thead><tbody>
  ${operations.map(
    (op) => html`<tr><td class="num">${op.seq}</td><td>${op.name}</td><td class="mono">${op.module}</td><td class="mono wrap"><span class="clip">${JSON.stringify(op.attributes)}</span></td><td>${(op.tags ?? []).join(', ')}</td><td>${(op.whenChanged ?? []).join(', ')}</td></tr>`,
  )}
  </tbody></table></div>
</section>`;
}

/** `/hosts/:hostname`: the host's outcome in every run that touched it, newest first, paged. */
export function hostHistoryPage(ctx: PageContext, { hostname, history, page, n, desired, drift }: HostHistoryPageData): SafeHtml {
  const table =
    history.items.length === 0
      ? html`<div class="table-box"><p class="empty">${page ? 'No older runs.' : html`No run has recorded a result for <code>${hostname}</code>.`}</p></div>`
      : html`<div class="table-box"><table class="history">
<thead><tr><th>Run</th><th>Started</th><th>Mode</th><th>Outcome</th><th class="num">Duration</th><th>Cause</th></tr></thead>
<tbody>
${history.items.map(
  (h) => html`<tr class="row-${h.status}">
  <td class="nowrap"><a class="mono" href="${ctx.links.runHost(h.runId, hostname)}" title="${h.runId}">${h.runId.slice(0, 8)}</a></td>
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
    title: hostname,
    crumbs: [{ label: 'Runs', href: ctx.links.runs() }, { label: 'Hosts' }, { label: hostname }],
    body: html`<h1 class="mono">${hostname}</h1>
${page ? '' : hostDriftPanel(ctx, hostname, drift)}
${page ? '' : desiredState(ctx, hostname, desired)}
<h2>Run history</h2>
<p class="muted">Every run that touched this host, newest first. Page ${n}.</p>
${table}
<div class="pager">
  ${page ? html`<a href="${ctx.links.host(hostname)}">« Newest</a>` : ''}
  ${history.nextPage ? html`<a href="${ctx.links.host(hostname, { page: history.nextPage, n: n + 1 })}" rel="next">Older runs »</a>` : ''}
</div>`,
  });
}
