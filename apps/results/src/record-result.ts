import { countStatuses } from '@simplecm/domain';
import type { RunProgressSnapshot, ResultJobData } from '@simplecm/queue';
import type { ResultStore, RunStore } from '@simplecm/store';

/** The storage a result needs, as functions: logic here never sees a driver or a connection. */
export interface RecordResultDeps {
  readonly recordHostResult: ResultStore['recordHostResult'];
  readonly recordRunProgress: RunStore['recordRunProgress'];
  /** Counts the host once per run, however often its result is delivered. */
  readonly countHost: (data: ResultJobData) => Promise<RunProgressSnapshot>;
}

/**
 * Stores one host's result. Each step is idempotent, in an order that makes a crash at any
 * point safe to replay: rows first (same keys, same values), then the run's progress.
 */
export async function recordResult(data: ResultJobData, deps: RecordResultDeps): Promise<{ finished: boolean; snapshot: RunProgressSnapshot }> {
  const { result, mode, hostCount } = data;
  await deps.recordHostResult(result, mode);
  const snapshot = await deps.countHost(data);
  const finished = snapshot.hostsDone >= hostCount;
  await deps.recordRunProgress(result.runId, { hostsDone: snapshot.hostsDone, counts: snapshot.counts, finished });
  return { finished, snapshot };
}

export function hostCounts(data: ResultJobData) {
  return countStatuses(data.result.operations.map((o) => o.status));
}
