import { types, type Client } from 'cassandra-driver';
import type { HostResult, HostStatus, OperationResult, RunMode } from '@simplecm/domain';
import { fromResultRow } from './rows';
import { driftStatements } from './drift';
import { runBucketLookup } from './run-bucket-lookup';
import { runHostRows, type Page, type PageOptions, type RunHost, type Statement } from './run-host-rows';

export type { Page, PageOptions, RunHost } from './run-host-rows';

/** A host's entry in its history across runs. */
export interface HostRun {
  readonly runId: string;
  readonly mode: RunMode;
  readonly status: HostStatus;
  readonly startedAt: Date | null;
  readonly endedAt: Date | null;
  readonly cause: string | null;
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
    insertHostRun: `INSERT INTO ${ks}.host_runs (hostname, run_id, mode, status, started_at, ended_at, cause) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    results: `SELECT * FROM ${ks}.operation_results WHERE run_id = ? AND hostname = ?`,
    history: `SELECT * FROM ${ks}.host_runs WHERE hostname = ?`,
  };

  // Where a run's host rows go and are read from depends on its bucket count B (run-host-rows.ts).
  const runHosts = runHostRows(client, ks);
  const bucketsOf = runBucketLookup(client, ks);

  // The run id parsed once per host rather than by the driver once per row.
  function operationRows(result: HostResult, runId: types.Uuid): Statement[] {
    const { hostname } = result;
    return result.operations.map((o) => ({
      query: q.insertResult,
      params: [runId, hostname, o.seq, o.name, o.module, o.status, o.exitCode, o.stdout, o.stdoutTruncated, o.stderr, o.stderrTruncated, o.changes, o.startedAt === null ? null : new Date(o.startedAt), o.durationMs],
    }));
  }

  function hostRows(result: HostResult, mode: RunMode, runId: types.Uuid, buckets: number): Statement[] {
    const { hostname } = result;
    return [
      ...runHosts.statements(result, runId, buckets),
      { query: q.insertHostRun, params: [hostname, runId, mode, result.status, new Date(result.startedAt), new Date(result.endedAt), result.cause] },
      // A check is a drift probe; an apply that converged the host clears its drift (drift.ts).
      ...driftStatements(ks, result, mode, runId),
    ];
  }

  async function recordHostResult(result: HostResult, mode: RunMode): Promise<void> {
    // The operation rows share one partition: an unlogged batch is one write there, and a
    // single-partition batch is not size-checked, so 10 × 2 × 64 KiB of output still fits.
    const runId = types.Uuid.fromString(result.runId);
    const buckets = await bucketsOf(result.runId);
    if (result.operations.length > 0) await client.batch(operationRows(result, runId), { prepare: true, logged: false });
    await client.batch(hostRows(result, mode, runId, buckets), { prepare: true, logged: false });
  }

  async function recordHostResults(writes: readonly HostResultWrite[]): Promise<void> {
    if (writes.length === 0) return;
    if (writes.length === 1) return recordHostResult(writes[0]!.result, writes[0]!.mode);
    const runIds = [...new Set(writes.map((w) => w.result.runId))];
    const buckets = new Map(await Promise.all(runIds.map(async (id) => [id, await bucketsOf(id)] as const)));
    await client.batch(
      writes.flatMap(({ result, mode }) => {
        const runId = types.Uuid.fromString(result.runId);
        return [...operationRows(result, runId), ...hostRows(result, mode, runId, buckets.get(result.runId)!)];
      }),
      { prepare: true, logged: false },
    );
  }

  async function pageRunHosts(runId: string, opts: PageOptions & { status?: HostStatus }): Promise<Page<RunHost>> {
    return runHosts.page(runId, await bucketsOf(runId), opts);
  }

  async function getOperationResults(runId: string, hostname: string): Promise<OperationResult[]> {
    const results: OperationResult[] = [];
    for await (const row of await client.execute(q.results, [runId, hostname], { prepare: true, fetchSize: 100 })) results.push(fromResultRow(row));
    return results;
  }

  async function getRunHost(runId: string, hostname: string): Promise<RunHost | undefined> {
    return runHosts.get(runId, await bucketsOf(runId), hostname);
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
