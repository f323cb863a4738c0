import type { Run } from '@simplecm/domain';
import type { RunHost } from '@simplecm/store';
import { formatTable, runHostColumns } from '@simplecm/terminal';

/** What `enqueue --wait` prints once the run is done: its first hosts, then the run's counts. */
export function formatRecap(run: Run, hosts: readonly RunHost[], more: boolean): string {
  const c = run.counts;
  return [
    formatTable(runHostColumns, hosts),
    more ? `… more hosts: npm run results -- ${run.runId}` : '',
    `run ${run.runId} (${run.mode}, ${run.target}): ${run.hostsDone}/${run.hostCount} hosts; operations ok=${c.ok} changed=${c.changed} failed=${c.failed} skipped=${c.skipped} unreachable=${c.unreachable}`,
  ]
    .filter(Boolean)
    .join('\n');
}
