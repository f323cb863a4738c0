/**
 * Enqueue at scale: a 100,000-host inventory (10 operation rows each) in a keyspace of its own,
 * `enqueue` without --wait on a queue prefix of its own that no worker consumes, timed from
 * spawn to exit with its CPU and peak RSS; the queue's keys are deleted afterwards. The
 * inventory stays (it takes a minute to load) and is reused while it matches.
 */
import { createHash } from 'node:crypto';
import { connectionConfigFromEnv } from '@simplecm/config';
import { applySchema, connectCassandra, inventoryStore } from '@simplecm/store';
import { stackEnv } from '@simplecm/stack';
import type { BenchOptions } from '../bench-options';
import { createBenchSystem } from '../bench-system';
import { bulkLoadInventory } from '../bulk-load';
import { infraCpu, infraDelta } from '../infra-cpu';
import type { EnqueueScaleSample } from '../samples';
import { benchOperations, OPERATIONS_PER_HOST } from '../workload';

export const SCALE_KEYSPACE = 'bench_scale';

export async function runEnqueueScale(options: BenchOptions, log: (line: string) => void): Promise<EnqueueScaleSample> {
  const n = options.scaleHosts;
  const operations = benchOperations('scale');
  const fingerprint = createHash('sha256').update(JSON.stringify(operations)).digest('hex').slice(0, 16);
  const config = connectionConfigFromEnv(stackEnv(SCALE_KEYSPACE));
  const client = await connectCassandra(config.cassandra);
  let loadMs: number | undefined;
  try {
    await applySchema(client, SCALE_KEYSPACE, config.cassandra.replication);
    await client.execute(`CREATE TABLE IF NOT EXISTS ${SCALE_KEYSPACE}.bench_load (name text PRIMARY KEY, hosts int, fingerprint text, loaded_at timestamp)`);
    const marker = (await client.execute(`SELECT hosts, fingerprint FROM ${SCALE_KEYSPACE}.bench_load WHERE name = 'inventory'`)).first();
    if (options.reloadScale || !marker || marker.get('hosts') !== n || marker.get('fingerprint') !== fingerprint) {
      log(`enqueue: loading ${n.toLocaleString('en')} hosts and ${(n * OPERATIONS_PER_HOST).toLocaleString('en')} operation rows into ${SCALE_KEYSPACE}`);
      await client.execute(`DELETE FROM ${SCALE_KEYSPACE}.bench_load WHERE name = 'inventory'`);
      for (const table of ['hosts', 'operations', 'hosts_by_group']) await client.execute(`TRUNCATE ${SCALE_KEYSPACE}.${table}`);
      const t0 = Date.now();
      await bulkLoadInventory(client, SCALE_KEYSPACE, {
        hosts: n,
        operations,
        onProgress: (done) => {
          if (done % 20_000 === 0) log(`enqueue: ${done.toLocaleString('en')}/${n.toLocaleString('en')} hosts loaded (${Math.round(done / ((Date.now() - t0) / 1000))} hosts/s)`);
        },
      });
      loadMs = Date.now() - t0;
      await client.execute(`INSERT INTO ${SCALE_KEYSPACE}.bench_load (name, hosts, fingerprint, loaded_at) VALUES ('inventory', ?, ?, toTimestamp(now()))`, [n, fingerprint], { prepare: true });
      log(`enqueue: loaded in ${(loadMs / 1000).toFixed(1)} s (${Math.round((n * (OPERATIONS_PER_HOST + 1)) / (loadMs / 1000)).toLocaleString('en')} rows/s)`);
    } else {
      log(`enqueue: ${SCALE_KEYSPACE} already holds the ${n.toLocaleString('en')}-host inventory (--reload-scale loads it again)`);
    }

    // enqueue's read of the inventory alone (the store's token-range scan join, which pass one
    // runs), as the floor of what reading costs; it also warms the caches for what follows.
    const t = Date.now();
    const scanInfra0 = infraCpu(0);
    const joined = { hosts: 0, operations: 0 };
    for await (const entry of inventoryStore(client, SCALE_KEYSPACE).scanInventory()) {
      joined.hosts++;
      joined.operations += entry.error ? 0 : entry.operations.length;
    }
    const scanJoinMs = Date.now() - t;
    const scanCassandraCpuSeconds = infraDelta(scanInfra0, infraCpu(0)).cassandra;
    log(`enqueue: the inventory scan alone read ${joined.hosts} hosts / ${joined.operations} operations in ${(scanJoinMs / 1000).toFixed(1)} s (Cassandra CPU ${scanCassandraCpuSeconds.toFixed(1)} s)`);

    const system = await createBenchSystem('scale', { keyspace: SCALE_KEYSPACE });
    try {
      log(`enqueue: timing enqueue of ${n.toLocaleString('en')} hosts (queue prefix ${system.prefix}, no workers)`);
      const infra0 = infraCpu(0);
      const outcome = await system.enqueue([]);
      const infra = infraDelta(infra0, infraCpu(0));
      const wallMs = outcome.exitedAt - outcome.spawnedAt;
      const enqueued = Number(/(\d+) host job\(s\) enqueued/.exec(outcome.output)?.[1] ?? 0);
      if (outcome.code !== 0 || enqueued !== n) throw new Error(`enqueue exited ${outcome.code} with ${enqueued} jobs: ${outcome.output.slice(-2000)}`);
      log(`enqueue: ${n.toLocaleString('en')} hosts in ${(wallMs / 1000).toFixed(1)} s, CPU ${outcome.cost?.cpuSeconds.toFixed(1)} s, peak RSS ${outcome.cost?.peakRssMb.toFixed(0)} MB (Cassandra CPU ${infra.cassandra.toFixed(1)} s, Redis CPU ${infra.redis.toFixed(1)} s); deleting the queue`);
      return {
        hosts: n,
        operations: n * OPERATIONS_PER_HOST,
        wallMs,
        exitCode: outcome.code,
        cpuSeconds: outcome.cost?.cpuSeconds ?? Number.NaN,
        peakRssMb: outcome.cost?.peakRssMb ?? Number.NaN,
        loadMs,
        validateMs: outcome.firstProgressAt === undefined ? undefined : outcome.firstProgressAt - outcome.spawnedAt,
        cassandraCpuSeconds: infra.cassandra,
        redisCpuSeconds: infra.redis,
        scanJoinMs,
        scanCassandraCpuSeconds,
      };
    } finally {
      await system.close();
    }
  } finally {
    await client.shutdown();
  }
}
