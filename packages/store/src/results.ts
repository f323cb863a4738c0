import type { Client, types } from 'cassandra-driver';
import { countStatuses, type HostResult, type HostStatus, type OperationResult, type OutcomeCounts, type RunMode } from '@simplecm/domain';
import { fromResultRow } from './rows';

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

export interface ResultStore {
  /** Writes a host's outcome and every operation's result; replaying it leaves the same rows. */
  recordHostResult(result: HostResult, mode: RunMode): Promise<void>;
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
    insertRunHost: `INSERT INTO ${ks}.run_hosts (run_id, hostname, status, worker, started_at, ended_at, cause, count_ok, count_changed, count_failed, count_skipped, count_unreachable) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    insertByStatus: `INSERT INTO ${ks}.run_hosts_by_status (run_id, status, hostname) VALUES (?, ?, ?)`,
    insertHostRun: `INSERT INTO ${ks}.host_runs (hostname, run_id, mode, status, started_at, ended_at, cause) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    runHosts: `SELECT * FROM ${ks}.run_hosts WHERE run_id = ?`,
    runHostsByStatus: `SELECT hostname FROM ${ks}.run_hosts_by_status WHERE run_id = ? AND status = ?`,
    runHost: `SELECT * FROM ${ks}.run_hosts WHERE run_id = ? AND hostname = ?`,
    results: `SELECT * FROM ${ks}.operation_results WHERE run_id = ? AND hostname = ?`,
    history: `SELECT * FROM ${ks}.host_runs WHERE hostname = ?`,
  };

  async function recordHostResult(result: HostResult, mode: RunMode): Promise<void> {
    const { runId, hostname } = result;
    const counts = countStatuses(result.operations.map((o) => o.status));
    const started = new Date(result.startedAt);
    const ended = new Date(result.endedAt);
    // The operation rows share one partition: an unlogged batch is one write there.
    if (result.operations.length > 0) {
      await client.batch(
        result.operations.map((o) => ({
          query: q.insertResult,
          params: [runId, hostname, o.seq, o.name, o.module, o.status, o.exitCode, o.stdout, o.stdoutTruncated, o.stderr, o.stderrTruncated, o.changes, o.startedAt === null ? null : new Date(o.startedAt), o.durationMs],
        })),
        { prepare: true, logged: false },
      );
    }
    await client.batch(
      [
        {
          query: q.insertRunHost,
          params: [runId, hostname, result.status, result.worker, started, ended, result.cause, counts.ok, counts.changed, counts.failed, counts.skipped, counts.unreachable],
        },
        { query: q.insertByStatus, params: [runId, result.status, hostname] },
        { query: q.insertHostRun, params: [hostname, runId, mode, result.status, started, ended, result.cause] },
      ],
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
      counts: {
        ok: row.get('count_ok') ?? 0,
        changed: row.get('count_changed') ?? 0,
        failed: row.get('count_failed') ?? 0,
        skipped: row.get('count_skipped') ?? 0,
        unreachable: row.get('count_unreachable') ?? 0,
      },
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

  return { recordHostResult, pageRunHosts, getOperationResults, getRunHost, pageHostHistory };
}
