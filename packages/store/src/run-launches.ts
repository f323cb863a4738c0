import type { CassandraClient } from './cassandra-client';

/** Who launched a run from the dashboard, when and from where. */
export interface RunLaunch {
  readonly runId: string;
  readonly launchedBy: string;
  readonly launchedAt: Date;
  readonly address: string;
  /** The run whose failed hosts this one relaunched; null for a new launch. */
  readonly relaunchOf: string | null;
}

export interface RunLaunchStore {
  recordLaunch(launch: RunLaunch): Promise<void>;
  /** The launches of these runs (runs launched elsewhere have none), by run id. */
  getLaunches(runIds: readonly string[]): Promise<Map<string, RunLaunch>>;
}

export function runLaunchStore(client: CassandraClient, keyspace: string): RunLaunchStore {
  const q = {
    insert: `INSERT INTO ${keyspace}.run_launches (run_id, launched_by, launched_at, address, relaunch_of) VALUES (?, ?, ?, ?, ?)`,
    get: `SELECT run_id, launched_by, launched_at, address, relaunch_of FROM ${keyspace}.run_launches WHERE run_id = ?`,
  };
  const prepared = { prepare: true };
  return {
    async recordLaunch(launch) {
      await client.execute(q.insert, [launch.runId, launch.launchedBy, launch.launchedAt, launch.address, launch.relaunchOf], prepared);
    },
    async getLaunches(runIds) {
      const rows = await Promise.all(runIds.map(async (id) => (await client.execute(q.get, [id], prepared)).first()));
      const out = new Map<string, RunLaunch>();
      for (const row of rows) {
        if (!row) continue;
        const runId = String(row.get('run_id'));
        const relaunchOf = row.get('relaunch_of') as unknown;
        out.set(runId, {
          runId,
          launchedBy: String(row.get('launched_by') ?? ''),
          launchedAt: (row.get('launched_at') as Date | null) ?? new Date(0),
          address: String(row.get('address') ?? ''),
          relaunchOf: relaunchOf === null || relaunchOf === undefined ? null : String(relaunchOf),
        });
      }
      return out;
    },
  };
}
