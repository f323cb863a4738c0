import { countStatuses } from '@simplecm/domain';
import type { HostProgress, RunProgressSnapshot, ResultJobData } from '@simplecm/queue';
import { isStoreUnavailable, type HostResultWrite, type ResultStore, type RunStore } from '@simplecm/store';

/** The storage results need, as functions: logic here never sees a driver or a connection. */
export interface RecordResultDeps {
  /** Writes these hosts' rows in one request (see ResultStore.recordHostResults). */
  readonly recordHostResults: ResultStore['recordHostResults'];
  readonly recordRunProgress: RunStore['recordRunProgress'];
  /** Counts each host once per run, however often its result is delivered; returns the run's totals. */
  readonly countHosts: (runId: string, hosts: readonly HostProgress[]) => Promise<RunProgressSnapshot>;
  /**
   * Tells the run's waiters its totals once the runs row covers them (a run event, see
   * @simplecm/queue's run-events.ts); best effort: waiters re-read the totals now and then.
   */
  readonly announceProgress?: (runId: string, snapshot: RunProgressSnapshot) => Promise<void>;
}

/**
 * What became of one result: written and counted, with the run's totals after it, or the error.
 * `finishedRun` is true for one result of each group whose progress write marked its run
 * finished, so that the run's end is reported once, not once per result of the group.
 */
export type RecordOutcome =
  | { readonly ok: true; readonly finishedRun: boolean; readonly snapshot: RunProgressSnapshot }
  | { readonly ok: false; readonly error: unknown };

/**
 * Stores a group of host results. Each step is idempotent, in an order that makes a crash at
 * any point safe to replay: a host's rows first (same keys, same values), then — only for hosts
 * whose rows are written — counting it in Redis, then the run's progress row. A host's outcome
 * is `ok` only once all three are done for it, so a result job completes only when the runs
 * row already covers its host.
 *
 * `batches` is the group cut into write requests (see packBatches). A failed multi-host request
 * is retried host by host, unless Cassandra is unavailable (then every host of it fails and
 * waits for its job's retry), so one bad result (say, one the coordinator refuses) fails alone
 * instead of failing every result that shares its batch.
 */
export async function recordResults(batches: readonly (readonly ResultJobData[])[], deps: RecordResultDeps): Promise<Map<ResultJobData, RecordOutcome>> {
  const outcomes = new Map<ResultJobData, RecordOutcome>();
  const written: ResultJobData[] = [];
  const toWrite = (d: ResultJobData): HostResultWrite => ({ result: d.result, mode: d.mode });

  await Promise.all(
    batches.map(async (batch) => {
      try {
        await deps.recordHostResults(batch.map(toWrite));
        written.push(...batch);
        return;
      } catch (error) {
        if (batch.length === 1 || isStoreUnavailable(error)) {
          for (const d of batch) outcomes.set(d, { ok: false, error });
          return;
        }
      }
      await Promise.all(
        batch.map(async (d) => {
          try {
            await deps.recordHostResults([toWrite(d)]);
            written.push(d);
          } catch (error) {
            outcomes.set(d, { ok: false, error });
          }
        }),
      );
    }),
  );

  const byRun = new Map<string, ResultJobData[]>();
  for (const d of written) {
    const list = byRun.get(d.result.runId);
    if (list) list.push(d);
    else byRun.set(d.result.runId, [d]);
  }
  await Promise.all(
    [...byRun].map(async ([runId, group]) => {
      try {
        const snapshot = await deps.countHosts(
          runId,
          group.map((d) => ({ hostname: d.result.hostname, status: d.result.status, counts: hostCounts(d) })),
        );
        const hostCount = Math.max(...group.map((d) => d.hostCount));
        const finished = snapshot.hostsDone >= hostCount;
        await deps.recordRunProgress(runId, { hostsDone: snapshot.hostsDone, counts: snapshot.counts, finished });
        // After the runs row: a waiter told the run finished reads it finished.
        await deps.announceProgress?.(runId, snapshot).catch(() => undefined);
        group.forEach((d, i) => outcomes.set(d, { ok: true, finishedRun: finished && i === 0, snapshot }));
      } catch (error) {
        for (const d of group) outcomes.set(d, { ok: false, error });
      }
    }),
  );
  return outcomes;
}

export function hostCounts(data: ResultJobData) {
  return countStatuses(data.result.operations.map((o) => o.status));
}
