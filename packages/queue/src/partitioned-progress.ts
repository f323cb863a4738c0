import type { Redis } from 'ioredis';
import { hostPartition, type RedisConfig } from '@simplecm/config';
import { addSnapshots, readRunProgress, recordHostsProgress, type HostProgress, type RunProgressSnapshot } from './progress';
import { queuePartitionPrefixes } from './queue-partitions';

/**
 * Counts a group of hosts of one run in the progress of their queue partitions (each host in
 * hostPartition(host, K): one progress script per partition the group touches, each in its own
 * slot) and returns the run's totals: the touched partitions' as their scripts returned them,
 * plus a read of the others (one SCARD + HGETALL each). K = 1: the one script, nothing more.
 *
 * When two consumers count the last hosts of a run in different partitions at once, at least one
 * of them sees the run complete: each reads the other partitions only after its own writes, so
 * the later of the two reads sees both writes.
 */
export async function recordPartitionedHostsProgress(
  redis: Redis,
  config: Pick<RedisConfig, 'prefix' | 'partitions'>,
  runId: string,
  hosts: readonly HostProgress[],
): Promise<RunProgressSnapshot> {
  const prefixes = queuePartitionPrefixes(config);
  if (prefixes.length === 1) return (await recordHostsProgress(redis, prefixes[0]!, runId, hosts)).snapshot;
  const groups = new Map<number, HostProgress[]>();
  for (const host of hosts) {
    const index = hostPartition(host.hostname, prefixes.length);
    const group = groups.get(index);
    if (group) group.push(host);
    else groups.set(index, [host]);
  }
  const touched = await Promise.all([...groups].map(async ([index, group]) => (await recordHostsProgress(redis, prefixes[index]!, runId, group)).snapshot));
  const others = prefixes.filter((_, index) => !groups.has(index));
  const rest = others.length > 0 ? [await readRunProgress(redis, others, runId)] : [];
  return [...touched, ...rest].reduce(addSnapshots);
}
