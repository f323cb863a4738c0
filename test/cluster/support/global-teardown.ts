import { cassandraClusterDown, redisClusterDown } from '@simplecm/stack';

/** Stops the clusters the suite started (their data stays for the next run); the shared single-node stack keeps running. */
export default async function globalTeardown(): Promise<void> {
  const results = await Promise.allSettled([cassandraClusterDown(), redisClusterDown()]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  process.stderr.write('[stack] clusters stopped\n');
}
