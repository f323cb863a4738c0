import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectionConfigFromEnv } from '@simplecm/config';
import { hostLockKey, hostLocks, redisConnection } from '@simplecm/queue';
import { stackEnv } from '@simplecm/stack';

/**
 * The per-host lock (host-lock.ts) on the stack's Redis, under a prefix of its own: one holder
 * at a time, and only the holder renews or releases it (its scripts run by SHA1).
 */
const prefix = `test-hostlock-${randomUUID().slice(0, 8)}`;
const config = connectionConfigFromEnv({ ...process.env, ...stackEnv('unused') }).redis;

describe('hostLocks', () => {
  const redis: Redis = redisConnection(config);
  const locks = hostLocks(redis, prefix, { ttlMs: 60_000 });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('is held by one owner at a time; only the owner renews and releases it', async () => {
    expect(await locks.acquire('web1', 'job-a#1')).toEqual({ acquired: true });
    expect(await locks.acquire('web1', 'job-b#2')).toEqual({ acquired: false, holder: 'job-a#1' });
    // Another host is free.
    expect(await locks.acquire('web2', 'job-b#2')).toEqual({ acquired: true });

    expect(await locks.renew('web1', 'job-b#2')).toBe(false);
    await redis.pexpire(hostLockKey(prefix, 'web1'), 5_000);
    expect(await locks.renew('web1', 'job-a#1')).toBe(true);
    expect(await redis.pttl(hostLockKey(prefix, 'web1'))).toBeGreaterThan(5_000);

    await locks.release('web1', 'job-b#2');
    expect(await redis.get(hostLockKey(prefix, 'web1'))).toBe('job-a#1');
    await locks.release('web1', 'job-a#1');
    expect(await redis.exists(hostLockKey(prefix, 'web1'))).toBe(0);
    expect(await locks.renew('web1', 'job-a#1')).toBe(false);
    expect(await locks.acquire('web1', 'job-b#2')).toEqual({ acquired: true });
  });
});
