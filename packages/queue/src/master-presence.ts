import type { Redis } from 'ioredis';

/**
 * Which resident masters are alive: each one keeps its name in the sorted set
 * `<prefix>:masters` with the time its heartbeat expires as score, renewing it well before. A
 * master that dies stops renewing and counts as gone once its score is past; `simplecm run` then
 * plans in-process. One key under the queue prefix (its hash tag), so it works on a cluster.
 */
export const MASTER_HEARTBEAT_TTL_MS = 10_000;

export function mastersKey(prefix: string): string {
  return `${prefix}:masters`;
}

/** Records `name` alive until now + ttlMs (and drops masters whose heartbeat is long past). */
export async function beatMaster(redis: Redis, prefix: string, name: string, ttlMs = MASTER_HEARTBEAT_TTL_MS, now = Date.now()): Promise<void> {
  const key = mastersKey(prefix);
  await redis.multi().zadd(key, now + ttlMs, name).zremrangebyscore(key, '-inf', now - 24 * 3600_000).pexpire(key, 24 * 3600_000).exec();
}

/** Removes `name` at once (a master shutting down cleanly). */
export async function leaveMasters(redis: Redis, prefix: string, name: string): Promise<void> {
  await redis.zrem(mastersKey(prefix), name);
}

/** The names of the masters whose heartbeat has not expired. */
export async function liveMasters(redis: Redis, prefix: string, now = Date.now()): Promise<string[]> {
  return redis.zrangebyscore(mastersKey(prefix), now, '+inf');
}
