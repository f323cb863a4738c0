import { types, type Client } from 'cassandra-driver';
import { countStatuses, type HostResult, type HostStatus, type OperationResult, type OutcomeCounts, type RunMode } from '@simplecm/domain';
import { countsFromRow, fromResultRow } from './rows';
import { driftStatements } from './drift';

/** One host's line in a run: its outcome without the operations' output. */
export interface RunHost {
  readonly runId: string;
  readonly hostname: string;
  readonly status: HostStatus;
  readonly worker: string;
  readonly startedAt: Date | null;
  readonly endedAt: Date | null;
  readonly cause: string | null;
  readonly counts: OutcomeCounts;
}

/** A host's entry in its history across runs. */
export interface HostRun {
  readonly runId: string;
  readonly mode: RunMode;
  readonly status: HostStatus;
  readonly startedAt: Date | null;
  readonly endedAt: Date | null;
  readonly cause: string | null;
}

/** A page of rows and the opaque token for the next page (absent on the last page). */
export interface Page<T> {
  readonly items: T[];
  readonly nextPage?: string;
}

export interface PageOptions {
  readonly pageSize: number;
  /** Token from the previous page's `nextPage`. */
  readonly page?: string;
}

/** A host's result and the mode of its run: what the results consumer writes. */
export interface HostResultWrite {
  readonly result: HostResult;
  readonly mode: RunMode;
}

export interface ResultStore {
  /** Writes a host's outcome and every operation's result; replaying it leaves the same rows. */
  recordHostResult(result: HostResult, mode: RunMode): Promise<void>;
  /**
   * Writes several hosts' outcomes and operation results in one unlogged batch (one request,
   * so Cassandra parses, routes and acknowledges once for all of them). All or nothing is not
   * promised (unlogged), but every row is idempotent: replaying the call leaves the same rows.
   * A multi-partition batch is checked against Cassandra's `batch_size_fail_threshold`, so keep
   * it well under that (see `hostResultBytes`); one host alone takes `recordHostResult`'s path,
   * whose operation batch is a single partition and so is never size-checked.
   */
  recordHostResults(writes: readonly HostResultWrite[]): Promise<void>;
  pageRunHosts(runId: string, opts: PageOptions & { status?: HostStatus }): Promise<Page<RunHost>>;
  getOperationResults(runId: string, hostname: string): Promise<OperationResult[]>;
  /** One host's line in a run (status, worker, times, cause), if it has finished. */
  getRunHost(runId: string, hostname: string): Promise<RunHost | undefined>;
  pageHostHistory(hostname: string, opts: PageOptions): Promise<Page<HostRun>>;
}

export function resultStore(client: Client, keyspace: string): ResultStore {
  const ks = keyspace;
  const q = {
    insertResult: `INSERT INTO ${ks}.operation_results (run_id, hostname, seq, name, module, status, exit_code, stdout, stdout_truncated, stderr, stderr_truncated, changes, started_at, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    insertRunHost: `INSERT INTO ${ks}.run_hosts (run_id, hostname, status, worker, started_at, ended_at, cause, count_ok, count_changed, count_failed, count_skipped, count_unreachable, count_rejected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    insertByStatus: `INSERT INTO ${ks}.run_hosts_by_status (run_id, status, hostname) VALUES (?, ?, ?)`,
    insertHostRun: `INSERT INTO ${ks}.host_runs (hostname, run_id, mode, status, started_at, ended_at, cause) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    runHosts: `SELECT * FROM ${ks}.run_hosts WHERE run_id = ?`,
    runHostsByStatus: `SELECT hostname FROM ${ks}.run_hosts_by_status WHERE run_id = ? AND status = ?`,
    runHost: `SELECT * FROM ${ks}.run_hosts WHERE run_id = ? AND hostname = ?`,
    results: `SELECT * FROM ${ks}.operation_results WHERE run_id = ? AND hostname = ?`,
    history: `SELECT * FROM ${ks}.host_runs WHERE hostname = ?`,
  };

  type Statement = { query: string; params: unknown[] };

  // The run id parsed once per host rather than by the driver once per row.
  function operationRows(result: HostResult, runId: types.Uuid): Statement[] {
    const { hostname } = result;
    return result.operations.map((o) => ({
      query: q.insertResult,
      params: [runId, hostname, o.seq, o.name, o.module, o.status, o.exitCode, o.stdout, o.stdoutTruncated, o.stderr, o.stderrTruncated, o.changes, o.startedAt === null ? null : new Date(o.startedAt), o.durationMs],
    }));
  }

  function hostRows(result: HostResult, mode: RunMode, runId: types.Uuid): Statement[] {
    const { hostname } = result;
    const counts = countStatuses(result.operations.map((o) => o.status));
    const started = new Date(result.startedAt);
    const ended = new Date(result.endedAt);
    return [
      {
        query: q.insertRunHost,
        params: [runId, hostname, result.status, result.worker, started, ended, result.cause, counts.ok, counts.changed, counts.failed, counts.skipped, counts.unreachable, counts.rejected],
      },
      { query: q.insertByStatus, params: [runId, result.status, hostname] },
      { query: q.insertHostRun, params: [hostname, runId, mode, result.status, started, ended, result.cause] },
      // A check is a drift probe; an apply that converged the host clears its drift (drift.ts).
      ...driftStatements(ks, result, mode, runId),
    ];
  }

  async function recordHostResult(result: HostResult, mode: RunMode): Promise<void> {
    // The operation rows share one partition: an unlogged batch is one write there, and a
    // single-partition batch is not size-checked, so 10 × 2 × 64 KiB of output still fits.
    const runId = types.Uuid.fromString(result.runId);
    if (result.operations.length > 0) await client.batch(operationRows(result, runId), { prepare: true, logged: false });
    await client.batch(hostRows(result, mode, runId), { prepare: true, logged: false });
  }

  async function recordHostResults(writes: readonly HostResultWrite[]): Promise<void> {
    if (writes.length === 0) return;
    if (writes.length === 1) return recordHostResult(writes[0]!.result, writes[0]!.mode);
    await client.batch(
      writes.flatMap(({ result, mode }) => {
        const runId = types.Uuid.fromString(result.runId);
        return [...operationRows(result, runId), ...hostRows(result, mode, runId)];
      }),
      { prepare: true, logged: false },
    );
  }

  function fromRunHostRow(row: types.Row): RunHost {
    return {
      runId: row.get('run_id').toString(),
      hostname: row.get('hostname'),
      status: row.get('status'),
      worker: row.get('worker') ?? '',
      startedAt: row.get('started_at') ?? null,
      endedAt: row.get('ended_at') ?? null,
      cause: row.get('cause') ?? null,
      counts: countsFromRow(row),
    };
  }

  async function pageRunHosts(runId: string, { pageSize, page, status }: PageOptions & { status?: HostStatus }): Promise<Page<RunHost>> {
    const options = { prepare: true, fetchSize: pageSize, pageState: page };
    if (status === undefined) {
      const rs = await client.execute(q.runHosts, [runId], options);
      return { items: rs.rows.map(fromRunHostRow), nextPage: rs.pageState ?? undefined };
    }
    const rs = await client.execute(q.runHostsByStatus, [runId, status], options);
    const rows = await Promise.all(rs.rows.map((r) => client.execute(q.runHost, [runId, r.get('hostname')], { prepare: true })));
    const items = rows.map((r) => r.first()).filter((r): r is types.Row => r !== null).map(fromRunHostRow);
    return { items, nextPage: rs.pageState ?? undefined };
  }

  async function getOperationResults(runId: string, hostname: string): Promise<OperationResult[]> {
    const results: OperationResult[] = [];
    for await (const row of await client.execute(q.results, [runId, hostname], { prepare: true, fetchSize: 100 })) results.push(fromResultRow(row));
    return results;
  }

  async function getRunHost(runId: string, hostname: string): Promise<RunHost | undefined> {
    const row = (await client.execute(q.runHost, [runId, hostname], { prepare: true })).first();
    return row ? fromRunHostRow(row) : undefined;
  }

  async function pageHostHistory(hostname: string, { pageSize, page }: PageOptions): Promise<Page<HostRun>> {
    const rs = await client.execute(q.history, [hostname], { prepare: true, fetchSize: pageSize, pageState: page });
    return {
      items: rs.rows.map((row) => ({
        runId: row.get('run_id').toString(),
        mode: row.get('mode'),
        status: row.get('status'),
        startedAt: row.get('started_at') ?? null,
        endedAt: row.get('ended_at') ?? null,
        cause: row.get('cause') ?? null,
      })),
      nextPage: rs.pageState ?? undefined,
    };
  }

  return { recordHostResult, recordHostResults, pageRunHosts, getOperationResults, getRunHost, pageHostHistory };
}

/**
 * About how many bytes a host's rows add to a batch, as Cassandra sizes a batch (cell values):
 * the outputs and changes in UTF-8 plus a fixed allowance per row for keys, names, numbers and
 * timestamps. An overestimate is harmless (smaller batches); it only has to keep multi-host
 * batches below `batch_size_warn_threshold`.
 */
export function hostResultBytes(result: HostResult): number {
  const key = 16 + result.hostname.length;
  // Three host rows plus, at most, two drift rows (drift.ts) that may name every operation.
  let bytes = 5 * (key + 64) + result.worker.length + (result.cause?.length ?? 0);
  for (const o of result.operations) {
    bytes += key + 64 + 2 * o.name.length + o.module.length + Buffer.byteLength(o.stdout) + Buffer.byteLength(o.stderr);
    for (const c of o.changes) bytes += 4 + Buffer.byteLength(c);
  }
  return bytes;
}
