import type { Client } from 'cassandra-driver';
import { InvalidRowError } from './rows';
import { MAX_RUN_BUCKETS } from './run-buckets';

/** A run's bucket count B, as recorded on its run row (`runs.bucket_count`). */
export type RunBucketLookup = (runId: string) => Promise<number>;

/** Runs whose B is remembered before the memory starts again empty. */
const MAX_REMEMBERED = 10_000;

/**
 * Reads a run's B from its run row, once per run: B never changes after the run is created, so
 * it is remembered. A run without `bucket_count` has B = 1 and its rows in the unbucketed tables:
 * every run created before migration 0001, every run of up to 50,000 hosts, and a run whose row
 * is missing (not remembered, in case the row is still on its way). `SELECT *` rather than the
 * column alone, so a keyspace not yet migrated still reads (every run there has B = 1).
 */
export function runBucketLookup(client: Client, keyspace: string): RunBucketLookup {
  const query = `SELECT * FROM ${keyspace}.runs WHERE run_id = ?`;
  const known = new Map<string, number>();
  return async (runId) => {
    const remembered = known.get(runId);
    if (remembered !== undefined) return remembered;
    const row = (await client.execute(query, [runId], { prepare: true })).first();
    if (row === null) return 1;
    const value: unknown = row.get('bucket_count') ?? 1;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_RUN_BUCKETS) {
      throw new InvalidRowError(`runs row for run ${runId}: field "bucket_count": ${String(value)} is not a bucket count (1…${MAX_RUN_BUCKETS})`);
    }
    if (known.size >= MAX_REMEMBERED) known.clear();
    known.set(runId, value);
    return value;
  };
}
