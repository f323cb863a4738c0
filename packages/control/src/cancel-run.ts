import { ConfigError } from '@simplecm/config';
import type { OutcomeCounts, Run } from '@simplecm/domain';
import type { PendingRunJobs, RunProgressSnapshot } from '@simplecm/queue';
import type { RunCancellation } from '@simplecm/store';

/** What cancelling reads and writes, as functions (Redis and Cassandra behind them). */
export interface CancelDeps {
  readonly getRun: (runId: string) => Promise<Run | undefined>;
  readonly markCancelling: (runId: string) => Promise<void>;
  readonly markCancelled: (runId: string, hostsCancelled: number) => Promise<void>;
  readonly pendingJobs: (runId: string) => Promise<PendingRunJobs>;
  /** Removes a waiting host job; false when a worker took it meanwhile (it then runs to its end). */
  readonly removeHostJob: (jobId: string) => Promise<boolean>;
  readonly readProgress: (runId: string) => Promise<RunProgressSnapshot>;
  readonly recordRunCancelled: (runId: string, c: RunCancellation) => Promise<void>;
  /** Called while hosts are still running or results still being recorded. */
  readonly onWaiting?: (running: number, results: number) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface CancelOutcome {
  readonly runId: string;
  /** `cancelled`: this call cancelled it; `already-cancelled` / `already-finished`: nothing was done. */
  readonly result: 'cancelled' | 'already-cancelled' | 'already-finished';
  readonly hostCount: number;
  readonly hostsDone: number;
  readonly hostsCancelled: number;
  /** Waiting host jobs this call removed. */
  readonly jobsRemoved: number;
  readonly counts: OutcomeCounts;
}

/** Passes in a row that must find nothing waiting, running or unrecorded before the counts are final. */
const QUIET_PASSES = 2;

/**
 * Cancels a run: marks it cancelling (a master still planning it adds no further batch), removes
 * its waiting host jobs pass after pass, lets the hosts already running finish and their results
 * be recorded, then records the run `cancelled` with hostsDone + hostsCancelled = hostCount
 * (hostsCancelled counts the hosts removed and those never enqueued). Safe to run again: a run
 * left `cancelling` by a cancel that died is finished by the next one.
 */
export async function cancelRun(deps: CancelDeps, runId: string, { pollMs = 500 }: { pollMs?: number } = {}): Promise<CancelOutcome> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const run = await deps.getRun(runId);
  if (!run) throw new ConfigError(`cancel: there is no run ${runId}`);
  const unchanged = (result: 'already-cancelled' | 'already-finished'): CancelOutcome => ({
    runId,
    result,
    hostCount: run.hostCount,
    hostsDone: run.hostsDone,
    hostsCancelled: run.hostsCancelled ?? 0,
    jobsRemoved: 0,
    counts: run.counts,
  });
  if (run.status === 'cancelled') return unchanged('already-cancelled');
  if (run.status !== 'running') return unchanged('already-finished');
  await deps.markCancelling(runId);
  let jobsRemoved = 0;
  for (let quiet = 0; quiet < QUIET_PASSES; ) {
    const pending = await deps.pendingJobs(runId);
    for (const id of pending.waiting) if (await deps.removeHostJob(id)) jobsRemoved += 1;
    const busy = pending.active.length + pending.results;
    quiet = pending.waiting.length === 0 && busy === 0 ? quiet + 1 : 0;
    if (busy > 0) deps.onWaiting?.(pending.active.length, pending.results);
    if (quiet < QUIET_PASSES) await sleep(pollMs);
  }
  const progress = await deps.readProgress(runId);
  // The hosts that did not finish never will: removed, or never enqueued (a master stopped planning).
  const hostsDone = Math.min(progress.hostsDone, run.hostCount);
  const hostsCancelled = run.hostCount - hostsDone;
  await deps.recordRunCancelled(runId, { hostCount: run.hostCount, hostsDone, hostsCancelled, counts: progress.counts });
  await deps.markCancelled(runId, hostsCancelled);
  return { runId, result: 'cancelled', hostCount: run.hostCount, hostsDone, hostsCancelled, jobsRemoved, counts: progress.counts };
}
