import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { hostPartition, partitionPrefixes, servedPartitions, type RedisConfig } from '@simplecm/config';
import { HOSTS_QUEUE } from './names';

/**
 * The queue layout of an installation of K partitions (SIMPLECM_QUEUE_PARTITIONS, see
 * @simplecm/config's partition-tags.ts):
 *
 * - per partition, under the partition's prefix: the hosts queue, the result stream
 *   (result-stream.ts), host locks, and a run's hand-offs and progress (`<p>:run:<id>:handed`,
 *   `:done`, `:counts`) for the hosts of the partition. A host's job, lock, result and progress
 *   are all in partition hostPartition(host, K).
 * - under the queue prefix itself, whatever K: what belongs to a run or the installation, not
 *   to a host: the run-requests queue, run keys, run events, cancel marks, master heartbeats,
 *   schedules and live output. So those keys never move when K changes.
 *
 * K = 1: the one partition's prefix is the queue prefix, so every key is where it was before
 * partitions existed.
 */
export interface QueuePartition {
  readonly index: number;
  readonly prefix: string;
}

/** K: the installation's partition count (1 when unset). */
export function partitionCount(config: Pick<RedisConfig, 'partitions'>): number {
  return config.partitions ?? 1;
}

/** Every partition's prefix, in partition order (K = 1: the queue prefix alone). */
export function queuePartitionPrefixes(config: Pick<RedisConfig, 'prefix' | 'partitions'>): string[] {
  return partitionPrefixes(config.prefix, partitionCount(config));
}

/** The partitions a worker or results consumer serves (`--partitions`; all by default). */
export function servedQueuePartitions(config: Pick<RedisConfig, 'prefix' | 'partitions'>, subset?: readonly number[]): QueuePartition[] {
  const prefixes = queuePartitionPrefixes(config);
  return servedPartitions(prefixes.length, subset).map((index) => ({ index, prefix: prefixes[index]! }));
}

/** The prefix of the partition that holds `hostname`'s job, lock and progress. */
export function hostQueuePrefix(config: Pick<RedisConfig, 'prefix' | 'partitions'>, hostname: string): string {
  const prefixes = queuePartitionPrefixes(config);
  return prefixes[hostPartition(hostname, prefixes.length)]!;
}

/**
 * The queue of `hostname`'s partition among `queues`: one per partition, in partition order, or
 * a single queue (an installation of one partition).
 */
export function queueOfHost<Q extends object>(queues: Q | readonly Q[], hostname: string): Q {
  const list: readonly Q[] = Array.isArray(queues) ? queues : [queues as Q];
  return list[hostPartition(hostname, list.length)]!;
}

/**
 * The partition of `queue` among `queues`, which hold one queue of each name per partition in
 * partition order (partitionQueues); undefined when it is the only queue of its name (K = 1), so
 * that what names or labels queues (metrics, Bull Board) shows nothing new then.
 */
export function partitionOfQueue<Q extends { readonly name: string }>(queues: readonly Q[], queue: Q): number | undefined {
  const sameName = queues.filter((other) => other.name === queue.name);
  return sameName.length > 1 ? sameName.indexOf(queue) : undefined;
}

/**
 * A process's `concurrency` shared by the `served` partitions it serves (a worker's BullMQ
 * Workers, a results consumer's stream readers): as
 * evenly as whole numbers allow (the first ones one more), at least 1 each. Hosts spread evenly
 * over the partitions (hostPartition), so each partition's Worker has about the same work.
 */
export function concurrencyShares(concurrency: number, served: number): number[] {
  return Array.from({ length: served }, (_, i) => Math.max(1, Math.floor(concurrency / served) + (i < concurrency % served ? 1 : 0)));
}

/**
 * One BullMQ queue of `name` per partition, in partition order (the master adds each host's job
 * to `queues[hostPartition(host, K)]`; the dashboard shows them all).
 */
export function partitionQueues<T = unknown>(connection: Redis, config: Pick<RedisConfig, 'prefix' | 'partitions'>, name: typeof HOSTS_QUEUE): Queue<T>[] {
  return queuePartitionPrefixes(config).map((prefix) => new Queue<T>(name, { connection, prefix }));
}

/**
 * Closes the Workers of every partition a process serves at once, so that none keeps taking jobs
 * while another closes; throws the first failure once every one has closed.
 */
export async function closeTogether(closables: readonly { close(): Promise<void> }[]): Promise<void> {
  const outcomes = await Promise.allSettled(closables.map((c) => c.close()));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}
