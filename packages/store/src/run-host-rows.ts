import type { Client, types } from 'cassandra-driver';
import { countStatuses, type HostResult, type HostStatus, type OutcomeCounts } from '@simplecm/domain';
import { countsFromRow } from './rows';
import { hostBucket } from './run-buckets';
import { mergeBucketPages, type BucketSlice } from './merge-bucket-pages';
import { decodeMergedPageToken, encodeMergedPageToken } from './merged-page-token';

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

/** A statement of a batch. */
export interface Statement {
  readonly query: string;
  readonly params: unknown[];
}

/** A host's line of a run and the run's bucket count B (runBucketLookup). */
export interface RunHostRows {
  /** The host's rows in `run_hosts` and `run_hosts_by_status` (B = 1) or their bucketed tables. */
  statements(result: HostResult, runId: types.Uuid, buckets: number): Statement[];
  /** The run's hosts in host name order, a page at a time, all of them or those of one status. */
  page(runId: string, buckets: number, opts: PageOptions & { status?: HostStatus }): Promise<Page<RunHost>>;
  get(runId: string, buckets: number, hostname: string): Promise<RunHost | undefined>;
}

/**
 * A run's host rows in either layout. B = 1 (every run of up to 50,000 hosts, and every run
 * recorded before migration 0001) is the original layout, unchanged: one partition per run in
 * `run_hosts` (and per run and status in `run_hosts_by_status`), paged with the driver's paging
 * state. B > 1: partitions (run_id, bucket) in `run_hosts_bucketed` and (run_id, bucket, status)
 * in `run_hosts_by_status_bucketed`, a host in bucket hostBucket(hostname, B); a page is merged
 * across the buckets in host name order and its token is the page's last host name.
 */
export function runHostRows(client: Client, keyspace: string): RunHostRows {
  const ks = keyspace;
  const columns = 'status, worker, started_at, ended_at, cause, count_ok, count_changed, count_failed, count_skipped, count_unreachable, count_rejected';
  const q = {
    insert: `INSERT INTO ${ks}.run_hosts (run_id, hostname, ${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    insertByStatus: `INSERT INTO ${ks}.run_hosts_by_status (run_id, status, hostname) VALUES (?, ?, ?)`,
    all: `SELECT * FROM ${ks}.run_hosts WHERE run_id = ?`,
    byStatus: `SELECT hostname FROM ${ks}.run_hosts_by_status WHERE run_id = ? AND status = ?`,
    one: `SELECT * FROM ${ks}.run_hosts WHERE run_id = ? AND hostname = ?`,
    bucketInsert: `INSERT INTO ${ks}.run_hosts_bucketed (run_id, bucket, hostname, ${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    bucketInsertByStatus: `INSERT INTO ${ks}.run_hosts_by_status_bucketed (run_id, bucket, status, hostname) VALUES (?, ?, ?, ?)`,
    bucketAll: `SELECT * FROM ${ks}.run_hosts_bucketed WHERE run_id = ? AND bucket = ? LIMIT ?`,
    bucketAllAfter: `SELECT * FROM ${ks}.run_hosts_bucketed WHERE run_id = ? AND bucket = ? AND hostname > ? LIMIT ?`,
    bucketByStatus: `SELECT hostname FROM ${ks}.run_hosts_by_status_bucketed WHERE run_id = ? AND bucket = ? AND status = ? LIMIT ?`,
    bucketByStatusAfter: `SELECT hostname FROM ${ks}.run_hosts_by_status_bucketed WHERE run_id = ? AND bucket = ? AND status = ? AND hostname > ? LIMIT ?`,
    bucketOne: `SELECT * FROM ${ks}.run_hosts_bucketed WHERE run_id = ? AND bucket = ? AND hostname = ?`,
  };
  const prepared = { prepare: true };

  function statements(result: HostResult, runId: types.Uuid, buckets: number): Statement[] {
    const { hostname, status } = result;
    const c = countStatuses(result.operations.map((o) => o.status));
    const line = [status, result.worker, new Date(result.startedAt), new Date(result.endedAt), result.cause, c.ok, c.changed, c.failed, c.skipped, c.unreachable, c.rejected];
    if (buckets === 1) {
      return [
        { query: q.insert, params: [runId, hostname, ...line] },
        { query: q.insertByStatus, params: [runId, status, hostname] },
      ];
    }
    const bucket = hostBucket(hostname, buckets);
    return [
      { query: q.bucketInsert, params: [runId, bucket, hostname, ...line] },
      { query: q.bucketInsertByStatus, params: [runId, bucket, status, hostname] },
    ];
  }

  async function get(runId: string, buckets: number, hostname: string): Promise<RunHost | undefined> {
    const rs = buckets === 1 ? await client.execute(q.one, [runId, hostname], prepared) : await client.execute(q.bucketOne, [runId, hostBucket(hostname, buckets), hostname], prepared);
    const row = rs.first();
    return row ? fromRunHostRow(row) : undefined;
  }

  /** A page's hosts, looked up by name: a by-status entry whose host row is missing is left out. */
  async function linesOf(runId: string, buckets: number, hostnames: readonly string[]): Promise<RunHost[]> {
    const lines = await Promise.all(hostnames.map((h) => get(runId, buckets, h)));
    return lines.filter((l): l is RunHost => l !== undefined);
  }

  async function page(runId: string, buckets: number, { pageSize, page: token, status }: PageOptions & { status?: HostStatus }): Promise<Page<RunHost>> {
    if (buckets === 1) {
      const options = { prepare: true, fetchSize: pageSize, pageState: token };
      if (status === undefined) {
        const rs = await client.execute(q.all, [runId], options);
        return { items: rs.rows.map(fromRunHostRow), nextPage: rs.pageState ?? undefined };
      }
      const rs = await client.execute(q.byStatus, [runId, status], options);
      return { items: await linesOf(runId, 1, rs.rows.map((r) => r.get('hostname'))), nextPage: rs.pageState ?? undefined };
    }
    const after = token === undefined ? undefined : decodeMergedPageToken(token);
    const slice = (bucket: number) => async (from: string | undefined, limit: number): Promise<types.Row[]> => {
      const params = status === undefined ? [runId, bucket] : [runId, bucket, status];
      const query = status === undefined ? (from === undefined ? q.bucketAll : q.bucketAllAfter) : from === undefined ? q.bucketByStatus : q.bucketByStatusAfter;
      return (await client.execute(query, [...params, ...(from === undefined ? [] : [from]), limit], { prepare: true, fetchSize: limit })).rows;
    };
    const slices: Array<BucketSlice<types.Row>> = Array.from({ length: buckets }, (_, b) => slice(b));
    const merged = await mergeBucketPages(slices, (row) => String(row.get('hostname')), after, pageSize);
    const last = merged.items.at(-1);
    const nextPage = merged.more && last !== undefined ? encodeMergedPageToken(String(last.get('hostname'))) : undefined;
    const items = status === undefined ? merged.items.map(fromRunHostRow) : await linesOf(runId, buckets, merged.items.map((r) => String(r.get('hostname'))));
    return { items, nextPage };
  }

  return { statements, page, get };
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
