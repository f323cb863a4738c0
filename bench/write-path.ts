/**
 * The results consumer's Cassandra writes without the consumer around them (no BullMQ, no
 * Redis, no payload parsing), from the bench process, to size what the queue costs and what
 * a different write shape would gain:
 * - `store`: ResultStore.recordHostResult as the consumer calls it (two unlogged batches);
 * - `store + progress`: plus RunStore.recordRunProgress per host, as the consumer does;
 * - `one batch`: the same rows as one unlogged batch per host;
 * - `packed`: one batch per host as well, but the ten operation results as one JSON row of a
 *   bench-only table (a schema idea: one row per host instead of one per operation);
 * each with `concurrency` hosts in flight.
 */
import type { Client } from 'cassandra-driver';
import { countStatuses, type HostResult } from '@simplecm/domain';
import { newRunId, resultStore, runStore } from '@simplecm/store';

export type WriteShape = 'store' | 'store + progress' | 'one batch' | 'packed';

export async function writeResults(client: Client, keyspace: string, shape: WriteShape, results: (runId: string) => HostResult[], concurrency: number): Promise<{ ms: number; operations: number }> {
  const runId = newRunId();
  const all = results(runId);
  const store = resultStore(client, keyspace);
  const runs = runStore(client, keyspace);
  await runs.createRun({ runId, mode: 'apply', target: 'bench write path', hostCount: all.length });
  const insertResult = `INSERT INTO ${keyspace}.operation_results (run_id, hostname, seq, name, module, status, exit_code, stdout, stdout_truncated, stderr, stderr_truncated, changes, started_at, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
  const insertRunHost = `INSERT INTO ${keyspace}.run_hosts (run_id, hostname, status, worker, started_at, ended_at, cause, count_ok, count_changed, count_failed, count_skipped, count_unreachable) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
  const insertByStatus = `INSERT INTO ${keyspace}.run_hosts_by_status (run_id, status, hostname) VALUES (?, ?, ?)`;
  const insertHostRun = `INSERT INTO ${keyspace}.host_runs (hostname, run_id, mode, status, started_at, ended_at, cause) VALUES (?, ?, ?, ?, ?, ?, ?)`;
  if (shape === 'packed') {
    await client.execute(`CREATE TABLE IF NOT EXISTS ${keyspace}.bench_packed_results (run_id timeuuid, hostname text, results text, PRIMARY KEY ((run_id, hostname)))`);
  }
  const insertPacked = `INSERT INTO ${keyspace}.bench_packed_results (run_id, hostname, results) VALUES (?, ?, ?)`;
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < all.length) {
        const r = all[next++]!;
        if (shape === 'one batch' || shape === 'packed') {
          const c = countStatuses(r.operations.map((o) => o.status));
          const started = new Date(r.startedAt);
          const ended = new Date(r.endedAt);
          await client.batch(
            [
              ...(shape === 'packed' ? [{ query: insertPacked, params: [r.runId, r.hostname, JSON.stringify(r.operations)] }] : []),
              ...(shape === 'packed' ? [] : r.operations).map((o) => ({
                query: insertResult,
                params: [r.runId, r.hostname, o.seq, o.name, o.module, o.status, o.exitCode, o.stdout, o.stdoutTruncated, o.stderr, o.stderrTruncated, o.changes, o.startedAt === null ? null : new Date(o.startedAt), o.durationMs],
              })),
              { query: insertRunHost, params: [r.runId, r.hostname, r.status, r.worker, started, ended, r.cause, c.ok, c.changed, c.failed, c.skipped, c.unreachable] },
              { query: insertByStatus, params: [r.runId, r.status, r.hostname] },
              { query: insertHostRun, params: [r.hostname, r.runId, 'apply', r.status, started, ended, r.cause] },
            ],
            { prepare: true, logged: false },
          );
        } else {
          await store.recordHostResult(r, 'apply');
          done++;
          if (shape === 'store + progress') await runs.recordRunProgress(runId, { hostsDone: done, counts: countStatuses([]), finished: done === all.length });
        }
      }
    }),
  );
  return { ms: performance.now() - t0, operations: all.reduce((s, r) => s + r.operations.length, 0) };
}
