import { buildStaleApps, stackUp } from '@simplecm/stack';

/** Jest global setup of the cluster suite: the local stack (for its SSH hosts) plus a 3-node Cassandra ring and a Redis Cluster. */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  await buildStaleApps();
  await stackUp({ hosts: 5, atLeast: true, cassandraNodes: 3, redisCluster: true, log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  process.stderr.write(`[stack] clusters ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
