import type { Run } from '@simplecm/domain';
import type { RunHost } from '@simplecm/store';
import { formatTable, type Column } from '@simplecm/terminal';

export const runHostColumns: Column<RunHost>[] = [
  { header: 'host', value: (h) => h.hostname },
  { header: 'status', value: (h) => h.status },
  { header: 'ok', value: (h) => h.counts.ok, align: 'right' },
  { header: 'changed', value: (h) => h.counts.changed, align: 'right' },
  { header: 'failed', value: (h) => h.counts.failed, align: 'right' },
  { header: 'skipped', value: (h) => h.counts.skipped, align: 'right' },
  { header: 'unreachable', value: (h) => h.counts.unreachable, align: 'right' },
  { header: 'worker', value: (h) => h.worker, maxWidth: 24 },
  { header: 'cause', value: (h) => h.cause ?? '', maxWidth: 70 },
];

export const runColumns: Column<Run>[] = [
  { header: 'run', value: (r) => r.runId },
  { header: 'created', value: (r) => r.createdAt.toISOString().replace('T', ' ').slice(0, 19) },
  { header: 'mode', value: (r) => r.mode },
  { header: 'target', value: (r) => r.target, maxWidth: 30 },
  { header: 'hosts', value: (r) => `${r.hostsDone}/${r.hostCount}`, align: 'right' },
  { header: 'status', value: (r) => r.status },
  { header: 'ok', value: (r) => r.counts.ok, align: 'right' },
  { header: 'changed', value: (r) => r.counts.changed, align: 'right' },
  { header: 'failed', value: (r) => r.counts.failed, align: 'right' },
  { header: 'skipped', value: (r) => r.counts.skipped, align: 'right' },
  { header: 'unreachable', value: (r) => r.counts.unreachable, align: 'right' },
  { header: 'duration', value: (r) => (r.finishedAt ? `${((r.finishedAt.getTime() - r.createdAt.getTime()) / 1000).toFixed(1)} s` : ''), align: 'right' },
  { header: 'state revision', value: (r) => r.stateRevision ?? '' },
];

/** The run in one line: `run ID (mode, target), state revision REV|none`. */
export function describeRun(run: Run): string {
  return `run ${run.runId} (${run.mode}, ${run.target}), state revision ${run.stateRevision ?? 'none'}`;
}

export function formatRecap(run: Run, hosts: readonly RunHost[], more: boolean): string {
  const c = run.counts;
  return [
    formatTable(runHostColumns, hosts),
    more ? `… more hosts: npm run results -- ${run.runId}` : '',
    `${describeRun(run)}: ${run.hostsDone}/${run.hostCount} hosts; operations ok=${c.ok} changed=${c.changed} failed=${c.failed} skipped=${c.skipped} unreachable=${c.unreachable}`,
  ]
    .filter(Boolean)
    .join('\n');
}
