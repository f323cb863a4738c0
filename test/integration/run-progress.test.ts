import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectionConfigFromEnv } from '@simplecm/config';
import { emptyCounts, type OutcomeCounts } from '@simplecm/domain';
import { readRunProgress, recordHostsProgress, redisConnection, runDoneKey } from '@simplecm/queue';
import { stackEnv } from '@simplecm/stack';

/**
 * The run progress script (progress.ts) on the stack's Redis, under a prefix of its own: a group
 * counts each host once, however often it appears in the group or in later groups, and adds up
 * the counts of exactly the hosts it counted (it sums them before it increments each field once).
 */
const prefix = `test-progress-${randomUUID().slice(0, 8)}`;
const config = connectionConfigFromEnv({ ...process.env, ...stackEnv('unused') }).redis;
const counts = (c: Partial<OutcomeCounts>): OutcomeCounts => ({ ...emptyCounts(), ...c });

describe('recordHostsProgress', () => {
  const redis: Redis = redisConnection(config);

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('counts each host once and sums the counts of the hosts counted now', async () => {
    const runId = randomUUID();
    const first = await recordHostsProgress(redis, prefix, runId, [
      { hostname: 'web1', status: 'changed', counts: counts({ ok: 2, changed: 1 }) },
      { hostname: 'web2', status: 'failed', counts: counts({ ok: 1, failed: 1, skipped: 3 }) },
      // The same host twice in one group (a redelivered result): the second is not counted.
      { hostname: 'web1', status: 'changed', counts: counts({ ok: 2, changed: 1 }) },
      { hostname: 'web3', status: 'ok', counts: counts({ ok: 4 }) },
    ]);
    expect(first.firstTime).toEqual([true, true, false, true]);
    expect(first.snapshot).toEqual({ hostsDone: 3, hostsFailed: 1, counts: counts({ ok: 7, changed: 1, failed: 1, skipped: 3 }) });

    // A later group: web2 again (not counted), two new hosts.
    const second = await recordHostsProgress(redis, prefix, runId, [
      { hostname: 'web2', status: 'failed', counts: counts({ ok: 1, failed: 1, skipped: 3 }) },
      { hostname: 'web4', status: 'unreachable', counts: counts({ unreachable: 5 }) },
      { hostname: 'web5', status: 'ok', counts: counts({ ok: 1 }) },
    ]);
    expect(second.firstTime).toEqual([false, true, true]);
    expect(second.snapshot).toEqual({ hostsDone: 5, hostsFailed: 2, counts: counts({ ok: 8, changed: 1, failed: 1, skipped: 3, unreachable: 5 }) });
    expect(await readRunProgress(redis, prefix, runId)).toEqual(second.snapshot);

    // A group of hosts all counted before moves nothing.
    const again = await recordHostsProgress(redis, prefix, runId, [{ hostname: 'web4', status: 'unreachable', counts: counts({ unreachable: 5 }) }]);
    expect(again).toEqual({ firstTime: [false], snapshot: second.snapshot });
    // Another run's keys are its own.
    expect((await readRunProgress(redis, prefix, randomUUID())).hostsDone).toBe(0);
  });

  it('sets the keys to expire when it makes them, and renews that as the done set passes each 32 hosts', async () => {
    const runId = randomUUID();
    const keys = [runDoneKey(prefix, runId), `${prefix}:run:${runId}:counts`];
    const week = 7 * 24 * 3600;
    const hosts = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ hostname: `h${from + i}`, status: 'ok' as const, counts: counts({ ok: 1 }) }));
    await recordHostsProgress(redis, prefix, runId, hosts(0, 3));
    for (const key of keys) expect(await redis.ttl(key)).toBeGreaterThan(week - 600);
    // Within the same 32 hosts the expiry is left alone (here: shortened by hand, and stays so).
    for (const key of keys) await redis.expire(key, 1_000);
    await recordHostsProgress(redis, prefix, runId, hosts(3, 20));
    for (const key of keys) expect(await redis.ttl(key)).toBeLessThanOrEqual(1_000);
    // Passing 32 renews it.
    await recordHostsProgress(redis, prefix, runId, hosts(23, 10));
    for (const key of keys) expect(await redis.ttl(key)).toBeGreaterThan(week - 600);
    expect((await readRunProgress(redis, prefix, runId)).hostsDone).toBe(33);
  });
});
