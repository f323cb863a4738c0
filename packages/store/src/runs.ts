import { types, type Client } from 'cassandra-driver';
import type { OutcomeCounts, Run, RunMode } from '@simplecm/domain';
import { fromRunRow } from './rows';
import { MAX_RUN_BUCKETS, runBucketCount } from './run-buckets';

/** A new run id: a time-based UUID, so ids sort by creation time. */
export function newRunId(): string {
  return types.TimeUuid.now().toString();
}

export function runCreatedAt(runId: string): Date {
  return types.TimeUuid.fromString(runId).getDate();
}

function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 2, 1));
  return monthOf(d);
}

export interface NewRun {
  readonly runId: string;
  readonly mode: RunMode;
  readonly target: string;
  readonly hostCount: number;
  /** The latest state revision when the run was planned (latestStateRevision), null when none. */
  readonly stateRevision?: string | null;
  /**
   * B, the partitions the run's host rows are spread over (run-buckets.ts); default
   * runBucketCount(hostCount). Recorded on the run row when above 1; none recorded means 1.
   */
  readonly bucketCount?: number;
}

export interface RunProgress {
  readonly hostsDone: number;
  readonly counts: OutcomeCounts;
  readonly finished: boolean;
}

/** The end of a cancelled run: its counts once the hosts that were running finished. */
export interface RunCancellation {
  readonly hostCount: number;
  readonly hostsDone: number;
  readonly hostsCancelled: number;
  readonly counts: OutcomeCounts;
}

export interface RunStore {
  createRun(run: NewRun): Promise<void>;
  /**
   * Records counts after `hostsDone` hosts. Written with a timestamp that grows with
   * hostsDone, so concurrent or replayed writers can only move progress forward.
   */
  recordRunProgress(runId: string, progress: RunProgress): Promise<void>;
  /**
   * Marks the run cancelled with its final counts, written with a timestamp above any progress
   * write (those stop at t0 + 2·hostCount + 1), so a late progress write cannot undo it.
   */
  recordRunCancelled(runId: string, c: RunCancellation): Promise<void>;
  getRun(runId: string): Promise<Run | undefined>;
  /** Newest first; pass the last id of a page as `before` for the next one. */
  listRuns(opts: { limit: number; before?: string }): Promise<Run[]>;
}

/** Months without runs that listRuns walks back through before it stops. */
const MAX_EMPTY_MONTHS = 24;

export function runStore(client: Client, keyspace: string): RunStore {
  const ks = keyspace;
  const q = {
    insertRun: `INSERT INTO ${ks}.runs (run_id, created_at, mode, target, host_count, status, count_ok, count_changed, count_failed, count_skipped, count_unreachable, count_rejected, hosts_done, state_revision) VALUES (?, ?, ?, ?, ?, 'running', 0, 0, 0, 0, 0, 0, 0, ?) USING TIMESTAMP ?`,
    // B > 1 only: a run of B = 1 writes exactly the row it wrote before buckets existed.
    insertBuckets: `UPDATE ${ks}.runs USING TIMESTAMP ? SET bucket_count = ? WHERE run_id = ?`,
    insertIndex: `INSERT INTO ${ks}.runs_by_month (month, run_id) VALUES (?, ?)`,
    progress: `UPDATE ${ks}.runs USING TIMESTAMP ? SET count_ok = ?, count_changed = ?, count_failed = ?, count_skipped = ?, count_unreachable = ?, count_rejected = ?, hosts_done = ?, status = ?, finished_at = ? WHERE run_id = ?`,
    cancelled: `UPDATE ${ks}.runs USING TIMESTAMP ? SET count_ok = ?, count_changed = ?, count_failed = ?, count_skipped = ?, count_unreachable = ?, count_rejected = ?, hosts_done = ?, hosts_cancelled = ?, status = 'cancelled', finished_at = ? WHERE run_id = ?`,
    getRun: `SELECT * FROM ${ks}.runs WHERE run_id = ?`,
    page: `SELECT run_id FROM ${ks}.runs_by_month WHERE month = ? LIMIT ?`,
    pageBefore: `SELECT run_id FROM ${ks}.runs_by_month WHERE month = ? AND run_id < ? LIMIT ?`,
  };
  const prepared = { prepare: true };

  // Microsecond write timestamps: creation at t0, progress at t0 + hostsDone (+1 when finished).
  const t0 = (runId: string) => types.Long.fromNumber(runCreatedAt(runId).getTime()).multiply(1000);

  async function createRun(run: NewRun): Promise<void> {
    const createdAt = runCreatedAt(run.runId);
    const buckets = run.bucketCount ?? runBucketCount(run.hostCount);
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > MAX_RUN_BUCKETS) throw new RangeError(`run ${run.runId}: bucket count ${buckets} is not in 1…${MAX_RUN_BUCKETS}`);
    await client.batch(
      [
        { query: q.insertRun, params: [run.runId, createdAt, run.mode, run.target, run.hostCount, run.stateRevision ?? null, t0(run.runId)] },
        ...(buckets > 1 ? [{ query: q.insertBuckets, params: [t0(run.runId), buckets, run.runId] }] : []),
        { query: q.insertIndex, params: [monthOf(createdAt), run.runId] },
      ],
      { prepare: true, logged: true },
    );
  }

  async function recordRunProgress(runId: string, p: RunProgress): Promise<void> {
    const c = p.counts;
    const ts = t0(runId).add(p.hostsDone * 2 + (p.finished ? 1 : 0));
    await client.execute(
      q.progress,
      [ts, c.ok, c.changed, c.failed, c.skipped, c.unreachable, c.rejected, p.hostsDone, p.finished ? 'finished' : 'running', p.finished ? new Date() : null, runId],
      prepared,
    );
  }

  async function recordRunCancelled(runId: string, r: RunCancellation): Promise<void> {
    const c = r.counts;
    const ts = t0(runId).add(r.hostCount * 2 + 2);
    await client.execute(q.cancelled, [ts, c.ok, c.changed, c.failed, c.skipped, c.unreachable, c.rejected, r.hostsDone, r.hostsCancelled, new Date(), runId], prepared);
  }

  async function getRun(runId: string): Promise<Run | undefined> {
    const row = (await client.execute(q.getRun, [runId], prepared)).first();
    return row ? fromRunRow(row) : undefined;
  }

  async function listRuns({ limit, before }: { limit: number; before?: string }): Promise<Run[]> {
    const ids: string[] = [];
    let month = monthOf(before ? runCreatedAt(before) : new Date());
    let emptyMonths = 0;
    let cursor = before;
    while (ids.length < limit && emptyMonths < MAX_EMPTY_MONTHS) {
      const rs = cursor
        ? await client.execute(q.pageBefore, [month, cursor, limit - ids.length], prepared)
        : await client.execute(q.page, [month, limit - ids.length], prepared);
      emptyMonths = rs.rows.length === 0 ? emptyMonths + 1 : 0;
      for (const row of rs.rows) ids.push(row.get('run_id').toString());
      month = previousMonth(month);
      cursor = undefined;
    }
    const runs = await Promise.all(ids.map(getRun));
    return runs.filter((r): r is Run => r !== undefined);
  }

  return { createRun, recordRunProgress, recordRunCancelled, getRun, listRuns };
}
