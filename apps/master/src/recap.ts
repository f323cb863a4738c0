import type { Run } from '@simplecm/domain';
import type { RunHost } from '@simplecm/store';
import { describeRun, formatTable, runHostColumns } from '@simplecm/terminal';

/** What `enqueue --wait` prints once the run is done: its first hosts, then the run's counts and state revision. */
export function formatRecap(run: Run, hosts: readonly RunHost[], more: boolean): string {
  const c = run.counts;
  return [
    formatTable(runHostColumns, hosts),
    more ? `… more hosts: npm run results -- ${run.runId}` : '',
    `${describeRun(run)}: ${run.hostsDone}/${run.hostCount} hosts${run.hostsCancelled ? ` (${run.hostsCancelled} cancelled)` : ''}; operations ok=${c.ok} changed=${c.changed} failed=${c.failed} skipped=${c.skipped} unreachable=${c.unreachable}`,
  ]
    .filter(Boolean)
    .join('\n');
}
