import type { AuditRecord } from '@simplecm/store';
import { formatTime } from '../format';
import { html, type SafeHtml } from '../html';
import { layout, type PageContext } from './layout';

/** `/audit`: every action, newest first (operators only). */
export function auditPage(ctx: PageContext, { records, nextBefore, before }: { records: readonly AuditRecord[]; nextBefore?: string; before?: string }): SafeHtml {
  const table =
    records.length === 0
      ? html`<div class="table-box"><p class="empty">No actions recorded${before ? ' before these' : ' in the last 31 days'}.</p></div>`
      : html`<div class="table-box"><table class="audit"><thead><tr><th>When</th><th>Who</th><th>Action</th><th>On</th><th>Outcome</th><th>From</th><th>Detail</th></tr></thead><tbody>
${records.map(
  (r) => html`<tr class="audit-${r.outcome}" data-audit-action="${r.action}">
  <td class="nowrap">${formatTime(r.at)}</td>
  <td>${r.actor}</td>
  <td class="nowrap">${r.action}</td>
  <td class="mono wrap"><span class="clip">${r.subject}</span></td>
  <td>${r.outcome}</td>
  <td class="mono nowrap">${r.address}</td>
  <td class="wrap"><span class="clip">${r.detail}</span></td>
</tr>`,
)}
</tbody></table></div>`;
  return layout(ctx, {
    title: 'Audit log',
    section: 'audit',
    crumbs: [{ label: 'Runs', href: ctx.links.home }, { label: 'Audit log' }],
    body: html`<h1>Audit log</h1>
<p class="muted">Every log-in, log-out, failed log-in, launch, relaunch, cancel, queue action and refused request, newest first.</p>
${table}
<div class="pager">
  ${before ? html`<a href="${ctx.links.audit()}">« Newest</a>` : ''}
  ${nextBefore ? html`<a href="${ctx.links.audit(nextBefore)}" rel="next">Older »</a>` : ''}
</div>`,
  });
}
