import { hostStatusOf, OUTPUT_LIMIT_BYTES, type OperationResult, type Run } from '@simplecm/domain';
import { formatDuration, formatTime, plural, statusBadge } from '../format';
import { html, type SafeHtml } from '../html';
import { layout, type PageContext } from './layout';
import { liveOperationsPanel } from './live-operations';

export interface HostRunPageData {
  readonly run: Run;
  readonly hostname: string;
  readonly operations: readonly OperationResult[];
  /** The worker that converged the host, and why it stopped early, from the run's host row. */
  readonly worker?: string;
  readonly cause?: string;
}

function stream(name: 'stdout' | 'stderr', text: string, truncated: boolean): SafeHtml {
  if (text.length === 0 && !truncated) return html`<div class="stream"><div class="stream-head"><span class="name">${name}</span><span>empty</span></div></div>`;
  const cut = truncated ? html`<span class="truncated">truncated: only the first ${OUTPUT_LIMIT_BYTES / 1024} KiB were kept</span>` : '';
  return html`<div class="stream">
  <div class="stream-head"><span class="name">${name}</span><span>${plural(text.split('\n').length - (text.endsWith('\n') ? 1 : 0), 'line')}</span>${cut}</div>
  <pre class="out${name === 'stderr' ? ' err' : ''}" data-stream="${name}">${text}${truncated ? html`<span class="cut-mark">[… output truncated on the host …]</span>` : ''}</pre>
</div>`;
}

function operationSection(op: OperationResult): SafeHtml {
  return html`<section class="op op-${op.status}" id="op-${op.seq}">
  <div class="op-head"><span class="seq">#${op.seq}</span><h3>${op.name}</h3><span class="module">${op.module}</span>${statusBadge(op.status)}</div>
  <dl class="facts">
    <div><dt>Exit code</dt><dd class="mono">${op.exitCode ?? '—'}</dd></div>
    <div><dt>Duration</dt><dd>${formatDuration(op.durationMs)}</dd></div>
    <div><dt>Started</dt><dd>${op.startedAt === null ? '—' : formatTime(op.startedAt)}</dd></div>
    <div><dt>Changes</dt><dd>${op.changes.length}</dd></div>
  </dl>
  ${op.changes.length > 0 ? html`<ul class="changes">${op.changes.map((c) => html`<li>${c}</li>`)}</ul>` : ''}
  ${stream('stdout', op.stdout, op.stdoutTruncated)}
  ${stream('stderr', op.stderr, op.stderrTruncated)}
</section>`;
}

/** `/runs/:runId/hosts/:hostname`: every operation of one host in one run, with its output. */
export function hostRunPage(ctx: PageContext, { run, hostname, operations, worker, cause }: HostRunPageData): SafeHtml {
  // Still running: no result yet (the live panel shows its operations as they finish).
  const running = operations.length === 0 && run.status === 'running';
  const status = hostStatusOf(operations.map((o) => o.status));
  const firstFailure = operations.find((o) => o.status === 'failed' || o.status === 'unreachable' || o.status === 'rejected');
  const index = html`<div class="table-box"><table class="op-index">
<thead><tr><th class="num">#</th><th>Operation</th><th>Module</th><th>Status</th><th class="num">Exit</th><th class="num">Duration</th><th class="num">Changes</th></tr></thead>
<tbody>
${operations.map(
  (op) => html`<tr class="row-${op.status}">
  <td class="num mono">${op.seq}</td>
  <td class="wrap"><a href="${ctx.links.runHost(run.runId, hostname, op.seq)}">${op.name}</a></td>
  <td class="mono">${op.module}</td>
  <td>${statusBadge(op.status)}</td>
  <td class="num mono">${op.exitCode ?? '—'}</td>
  <td class="num">${formatDuration(op.durationMs)}</td>
  <td class="num">${op.changes.length}</td>
</tr>`,
)}
</tbody>
</table></div>`;
  return layout(ctx, {
    title: `${hostname} in run ${run.runId.slice(0, 8)}`,
    live: running,
    crumbs: [
      { label: 'Runs', href: ctx.links.runs() },
      { label: html`<span class="mono">${run.runId.slice(0, 8)}</span>`, href: ctx.links.run(run.runId) },
      { label: hostname },
    ],
    body: html`<section class="panel">
  <div class="summary-line"><h1 class="mono">${hostname}</h1>${running ? html`<span class="badge r-running" data-host-running>running</span>` : statusBadge(status)}</div>
  <p class="muted">${running ? 'still running' : plural(operations.length, 'operation')} in run <a class="mono" href="${ctx.links.run(run.runId)}">${run.runId}</a> (${run.mode}, started ${formatTime(run.createdAt)}) · <a href="${ctx.links.host(hostname)}">history of ${hostname}</a></p>
  ${worker ? html`<p class="muted">converged by worker <span class="mono">${worker}</span></p>` : ''}
  ${cause ? html`<p class="cause mono">${cause}</p>` : ''}
  ${firstFailure ? html`<p><a class="button jump s-${firstFailure.status}" href="${ctx.links.runHost(run.runId, hostname, firstFailure.seq)}">Go to the ${firstFailure.status} operation: #${firstFailure.seq} ${firstFailure.name}</a></p>` : ''}
</section>
${running ? liveOperationsPanel(run.runId, hostname) : html`${index}
<h2>Operations</h2>
${operations.map(operationSection)}`}`,
  });
}
