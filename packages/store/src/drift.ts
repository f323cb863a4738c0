import { types, type Client } from 'cassandra-driver';
import type { HostResult, RunMode } from '@simplecm/domain';
import { scanPages } from './scan-pages';

/**
 * Drift: what a check run found on each host, kept per host (tables host_drift and
 * host_drift_history, see cql/schema.cql). A check is conclusive when the host was reached and
 * no operation failed (host status ok or changed); its pending operations are those that
 * would change. An apply that converged the host (ok or changed) clears its drift. Failed or
 * unreachable hosts leave the last conclusive check in place.
 */

/** A host's latest conclusive check. */
export interface HostDrift {
  readonly hostname: string;
  readonly checkedAt: Date;
  readonly runId: string;
  /** `check`, or `apply` when an apply run converged the host since. */
  readonly mode: RunMode;
  readonly pending: number;
  /** Names of the operations that would change. */
  readonly pendingOperations: readonly string[];
  /** The latest time the host was found (or made) clean; null when never. */
  readonly lastCleanAt: Date | null;
}

type Statement = { query: string; params: unknown[] };

/** The statements that record a host's result as drift, to go in the same batch as its result rows; none when inconclusive. */
export function driftStatements(keyspace: string, result: HostResult, mode: RunMode, runId: types.Uuid): Statement[] {
  if (result.status !== 'ok' && result.status !== 'changed') return [];
  const at = new Date(result.endedAt);
  // Write time = the host's end: the newest check wins whatever order results are recorded in.
  const ts = types.Long.fromNumber(result.endedAt).multiply(1000);
  const pendingOps = mode === 'check' ? result.operations.filter((o) => o.status === 'changed').map((o) => o.name) : [];
  if (pendingOps.length === 0) {
    return [
      {
        query: `UPDATE ${keyspace}.host_drift USING TIMESTAMP ? SET checked_at = ?, run_id = ?, mode = ?, pending = 0, pending_ops = null, last_clean_at = ? WHERE hostname = ?`,
        params: [ts, at, runId, mode, at, result.hostname],
      },
    ];
  }
  return [
    {
      query: `UPDATE ${keyspace}.host_drift USING TIMESTAMP ? SET checked_at = ?, run_id = ?, mode = ?, pending = ?, pending_ops = ? WHERE hostname = ?`,
      params: [ts, at, runId, mode, pendingOps.length, pendingOps, result.hostname],
    },
    { query: `INSERT INTO ${keyspace}.host_drift_history (hostname, checked_at, run_id, pending) VALUES (?, ?, ?, ?)`, params: [result.hostname, at, runId, pendingOps.length] },
  ];
}

/** A drifted host with since when it has drifted (its first drifted check after it was last clean). */
export interface DriftedHost extends HostDrift {
  readonly driftedSince: Date;
}

/** A host's latest conclusive check with since when it has drifted; null when it is in sync. */
export interface HostDriftStatus extends HostDrift {
  readonly driftedSince: Date | null;
}

export interface DriftStore {
  /** Every host whose latest conclusive check found something to change, in host name order. */
  listDrifted(): Promise<DriftedHost[]>;
  getHostDrift(hostname: string): Promise<HostDriftStatus | undefined>;
}

export function driftStore(client: Client, keyspace: string): DriftStore {
  const q = {
    all: `SELECT hostname, checked_at, run_id, mode, pending, pending_ops, last_clean_at FROM ${keyspace}.host_drift`,
    one: `SELECT hostname, checked_at, run_id, mode, pending, pending_ops, last_clean_at FROM ${keyspace}.host_drift WHERE hostname = ?`,
    since: `SELECT checked_at FROM ${keyspace}.host_drift_history WHERE hostname = ? AND checked_at > ? LIMIT 1`,
  };
  const fromRow = (row: types.Row): HostDrift => ({
    hostname: String(row.get('hostname')),
    checkedAt: row.get('checked_at') as Date,
    runId: String(row.get('run_id')),
    mode: row.get('mode') === 'apply' ? 'apply' : 'check',
    pending: Number(row.get('pending') ?? 0),
    pendingOperations: (row.get('pending_ops') as string[] | null) ?? [],
    lastCleanAt: (row.get('last_clean_at') as Date | null) ?? null,
  });
  /** The first drifted check after the host was last clean (the latest check when history has none). */
  const driftedSince = async (d: HostDrift): Promise<Date> => {
    const first = (await client.execute(q.since, [d.hostname, d.lastCleanAt ?? new Date(0)], { prepare: true })).first();
    return (first?.get('checked_at') as Date | undefined) ?? d.checkedAt;
  };
  return {
    async listDrifted() {
      const drifted: HostDrift[] = [];
      for await (const rows of scanPages(client, q.all, [], 1_000)) {
        for (const row of rows) if (Number(row.get('pending') ?? 0) > 0) drifted.push(fromRow(row));
      }
      drifted.sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
      return Promise.all(drifted.map(async (d) => ({ ...d, driftedSince: await driftedSince(d) })));
    },
    async getHostDrift(hostname) {
      const row = (await client.execute(q.one, [hostname], { prepare: true })).first();
      if (!row) return undefined;
      const drift = fromRow(row);
      return { ...drift, driftedSince: drift.pending > 0 ? await driftedSince(drift) : null };
    },
  };
}
