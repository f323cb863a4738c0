import { operationStatuses, type HostStatus, type OutcomeCounts, type Run } from '@simplecm/domain';
import { statusColour } from './colors';
import type { Column } from './table';

/** A host's line in a run, as the tables below print it (the store's RunHost is one). */
export interface RunHostLine {
  readonly hostname: string;
  readonly status: HostStatus;
  readonly counts: OutcomeCounts;
  readonly worker: string;
  readonly cause: string | null;
}

/** One right-aligned column per operation status (ok, changed, failed, skipped, unreachable). */
function countColumns<Row>(countsOf: (row: Row) => OutcomeCounts): Column<Row>[] {
  return operationStatuses.map((status) => ({ header: status, value: (row: Row) => countsOf(row)[status], align: 'right' }));
}

/** The columns of a run's hosts: `enqueue --wait`'s recap and `npm run results`. */
export const runHostColumns: Column<RunHostLine>[] = [
  { header: 'host', value: (h) => h.hostname },
  { header: 'status', value: (h) => h.status, colour: statusColour },
  ...countColumns<RunHostLine>((h) => h.counts),
  { header: 'worker', value: (h) => h.worker, maxWidth: 24 },
  { header: 'cause', value: (h) => h.cause ?? '', maxWidth: 70 },
];

/** The columns of a list of runs, the state revision each converged last: `npm run runs`. */
export const runColumns: Column<Run>[] = [
  { header: 'run', value: (r) => r.runId },
  { header: 'created', value: (r) => r.createdAt.toISOString().replace('T', ' ').slice(0, 19) },
  { header: 'mode', value: (r) => r.mode },
  { header: 'target', value: (r) => r.target, maxWidth: 30 },
  { header: 'hosts', value: (r) => `${r.hostsDone}/${r.hostCount}`, align: 'right' },
  { header: 'status', value: (r) => r.status, colour: statusColour },
  ...countColumns<Run>((r) => r.counts),
  { header: 'duration', value: (r) => (r.finishedAt ? `${((r.finishedAt.getTime() - r.createdAt.getTime()) / 1000).toFixed(1)} s` : ''), align: 'right' },
  { header: 'state revision', value: (r) => r.stateRevision ?? '' },
];

/** A run in one line: `run ID (mode, target), state revision REV|none` (`enqueue --wait`'s recap, `npm run results`). */
export function describeRun(run: Run): string {
  return `run ${run.runId} (${run.mode}, ${run.target}), state revision ${run.stateRevision ?? 'none'}`;
}
