import { operationStatuses, type OperationStatus, type Run } from '@simplecm/domain';
import type { RunHost } from '@simplecm/store';
import { describeRun, formatTable, noColour, paintStatus, runHostColumns, type Painter } from '@simplecm/terminal';

/** What `run --wait` prints once the run is done: its first hosts, then the run's counts and state revision. */
export function formatRecap(run: Run, hosts: readonly RunHost[], more: boolean, paint: Painter = noColour): string {
  const c = run.counts;
  const count = (status: OperationStatus) => (c[status] > 0 ? `${paintStatus(paint, status)}=${c[status]}` : `${status}=0`);
  return [
    formatTable(runHostColumns, hosts, paint),
    more ? `… more hosts: simplecm results ${run.runId}` : '',
    `${describeRun(run)}: ${run.hostsDone}/${run.hostCount} hosts${run.hostsCancelled ? ` (${run.hostsCancelled} cancelled)` : ''}; operations ${operationStatuses.map(count).join(' ')}`,
  ]
    .filter(Boolean)
    .join('\n');
}
