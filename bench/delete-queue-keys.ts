/**
 * Deletes a bench installation's Redis keys when it is done: every key whose name starts with
 * `{tag` (its queue prefix `{tag}` and, with queue partitions, `{tag-n}`), on every master of a
 * cluster or on the one Redis. SCAN, never KEYS; one DEL per key, since keys of several
 * partitions may sit on one master in different slots.
 */
import { Cluster, type Redis } from 'ioredis';
import type { RedisConfig } from '@simplecm/config';
import { redisConnection } from '@simplecm/queue';

export async function deleteQueueKeys(config: RedisConfig, tag: string): Promise<void> {
  const redis = redisConnection(config);
  try {
    const client: unknown = redis;
    // A new Cluster client knows no node until it has the slot map.
    if (client instanceof Cluster && client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
    const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [redis];
    for (const node of nodes) {
      for await (const keys of node.scanStream({ match: `{${tag}*`, count: 1_000 }) as AsyncIterable<string[]>) for (const key of keys) await node.del(key);
    }
  } finally {
    redis.disconnect();
  }
}
