import { html, type SafeHtml } from '../html';

/**
 * The panel assets/live.js fills while a run is going: each operation as a worker finished it
 * (from the run's live output stream, `/api/runs/:runId/live`), newest last, with its outcome
 * and the start of its output. On a host's page only that host's operations (`hostname`), and
 * the page reloads once the host's result is recorded.
 */
export function liveOperationsPanel(runId: string, hostname?: string): SafeHtml {
  return html`<section class="panel live-ops" data-live-ops="${runId}"${hostname ? html` data-live-host="${hostname}"` : ''}>
  <h2>Operations as they finish${hostname ? html` on <span class="mono">${hostname}</span>` : ''}</h2>
  <p class="muted" data-live-ops-empty>No operation has finished yet${hostname ? ' on this host' : ''}.</p>
  <div class="live-ops-list" data-live-ops-list></div>
</section>`;
}
