import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { types } from 'cassandra-driver';
import type { Redis } from 'ioredis';
import { connectionConfigFromEnv } from '@simplecm/config';
import type { Operation } from '@simplecm/domain';
import { HOSTS_QUEUE, readResultStreamBacklog, redisClient, type RedisClient } from '@simplecm/queue';
import { clusterStackEnv, repoRoot } from '@simplecm/stack';
import { putDesiredState, stackHost, stackHostKey, systemOn, type TestSystem } from '../../support/system';

/** Nodes of the ring the suite's global setup starts. */
export const RING_NODES = 3;

export interface ClusterSystem extends TestSystem {
  /** A Redis Cluster client of the test's own (closed by `close`). */
  readonly redis: RedisClient;
}

/**
 * A SimpleCM installation of its own on the clusters: a keyspace with replication factor 3 on
 * the Cassandra ring, a hash-tagged queue prefix on the Redis Cluster, and the processes it runs;
 * `extraEnv`: more settings of the installation (SIMPLECM_QUEUE_PARTITIONS).
 */
export async function createClusterSystem(name: string, extraEnv: Record<string, string> = {}): Promise<ClusterSystem> {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
  const keyspace = `c_${name.replace(/[^a-z0-9]/g, '_').slice(0, 20)}_${suffix}`;
  const prefix = `{t-${name}-${suffix}}`;
  const env = { ...clusterStackEnv(keyspace, { cassandraNodes: RING_NODES, redisCluster: true }), SIMPLECM_QUEUE_PREFIX: prefix, ...extraEnv };
  const system = await systemOn(keyspace, prefix, env);
  const redis = redisClient(connectionConfigFromEnv(env).redis);
  return {
    ...system,
    redis,
    async close() {
      redis.disconnect();
      await system.close();
    },
  };
}

/**
 * `perStackHost` inventory hosts on each of the five SSH hosts (names `<name>-<n>-<i>`, host key
 * pinned), each with `operations`: enough hosts and sleeps that a run lasts while a node fails.
 */
export async function putFleet(system: TestSystem, name: string, perStackHost: number, operations: Operation[]): Promise<string[]> {
  const entries = [1, 2, 3, 4, 5].flatMap((n) =>
    Array.from({ length: perStackHost }, (_, i) => ({
      host: stackHost(n, { hostname: `${name}-${n}-${i}`, hostKeys: [stackHostKey(n)] }),
      operations,
    })),
  );
  await putDesiredState(system, entries);
  return entries.map((e) => e.host.hostname);
}

/** Polls until `check` is true (no timing is asserted; `timeoutMs` only bounds a hung test). */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 240_000, intervalMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Options of the suite's own reads: idempotent, so the driver retries one on another node when
 * its coordinator is the node being killed (SimpleCM's store does not mark its reads so; see docs/scaling.md).
 */
const readOptions = (consistency: number) => ({ prepare: true, isIdempotent: true, consistency, fetchSize: 10_000 });

/** The run row as the test reads it (status, host count, hosts done, counts by outcome). */
export async function readRun(system: TestSystem, runId: string, consistency = types.consistencies.localQuorum) {
  const row = (await system.cassandra.execute(`SELECT * FROM ${system.keyspace}.runs WHERE run_id = ?`, [runId], readOptions(consistency))).first();
  if (!row) return undefined;
  const counts = ['ok', 'changed', 'failed', 'skipped', 'unreachable'].map((k) => Number(row.get(`count_${k}`) ?? 0));
  return {
    status: String(row.get('status')),
    hostCount: Number(row.get('host_count')),
    hostsDone: Number(row.get('hosts_done') ?? 0),
    outcomes: counts.reduce((a, b) => a + b, 0),
  };
}

/** Hosts done so far according to the run row; 0 while it cannot be read. */
export async function hostsDone(system: TestSystem, runId: string): Promise<number> {
  return (await readRun(system, runId).catch(() => undefined))?.hostsDone ?? 0;
}

/**
 * Everything a finished run left behind, counted: result rows (per host and in total, read at
 * `consistency`), run_hosts rows, the run row, and the BullMQ job counts of both queues.
 */
export async function runTally(system: ClusterSystem, runId: string, hostnames: readonly string[], consistency = types.consistencies.localQuorum) {
  const ks = system.keyspace;
  const opts = readOptions(consistency);
  const rowsPerHost = await Promise.all(
    hostnames.map(async (h) => (await system.cassandra.execute(`SELECT seq FROM ${ks}.operation_results WHERE run_id = ? AND hostname = ?`, [runId, h], opts)).rows.length),
  );
  const runHosts = (await system.cassandra.execute(`SELECT hostname FROM ${ks}.run_hosts WHERE run_id = ?`, [runId], opts)).rows.length;
  const jobCounts = async (name: string) => {
    const queue = new Queue(name, { connection: system.redis, prefix: system.prefix });
    try {
      return await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed');
    } finally {
      await queue.close();
    }
  };
  return {
    resultRows: rowsPerHost.reduce((a, b) => a + b, 0),
    rowsPerHost: new Set(rowsPerHost),
    runHosts,
    run: await readRun(system, runId, consistency),
    hostsJobs: await jobCounts(HOSTS_QUEUE),
    // Results handed off and not yet written (result-stream.ts): unread, and read but not acknowledged.
    resultBacklog: await readResultStreamBacklog(system.redis as Redis, system.prefix),
  };
}

/** What the SimpleCM processes logged about errors and retries (for the test's log; never asserted). */
export function problemSummary(system: TestSystem): string {
  const lines = system.processes.flatMap((p) => p.output().split('\n')).filter((line) => /error|not written|will retry|failed[: ]/i.test(line));
  const distinct = [...new Set(lines.map((l) => l.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>').slice(0, 160)))];
  return `${lines.length} error/retry lines from the processes${distinct.length ? `, e.g.:\n  ${distinct.slice(0, 6).join('\n  ')}` : ''}`;
}

/** Keeps every process's output in artifacts/cluster/<name>.log (read it when a fault test fails). */
export function saveProcessLogs(system: TestSystem, name: string): string {
  const dir = path.join(repoRoot, 'artifacts', 'cluster');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.log`);
  fs.writeFileSync(file, system.processes.map((p, i) => `=== process ${i} (pid ${p.child.pid}): ${p.child.spawnargs.slice(2).join(' ')}\n${p.output()}`).join('\n'));
  return file;
}
