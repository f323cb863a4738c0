import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectionConfigFromEnv } from '@simplecm/config';
import { ackResults, ensureResultGroup, handOffResult, isResultHandedOff, readNewResults, redisConnection, resultStreamKey, runHandedKey } from '@simplecm/queue';
import { stackEnv } from '@simplecm/stack';

/**
 * The worker's hand-off (result-stream.ts) and its check before it converges a host job
 * (result-handed-off.ts), on the stack's Redis under a prefix of its own: a hand-off appends the
 * result once per (run, host) however often it is called; the host is handed off from then on,
 * whether its entry waits, is being written, or was written and deleted; not before.
 */
const prefix = `test-handoff-${randomUUID().slice(0, 8)}`;
const config = connectionConfigFromEnv({ ...process.env, ...stackEnv('unused') }).redis;

describe('handOffResult and isResultHandedOff', () => {
  const redis: Redis = redisConnection(config);
  const runId = randomUUID();
  const handedOff = (hostname: string) => isResultHandedOff(redis, prefix, runId, hostname);
  const wire = (hostname: string) => ({ payload: JSON.stringify({ hostname }), mac: 'mac' });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('appends a host result once, however often it is handed off, and says so', async () => {
    expect(await handedOff('web1')).toBe(false);
    expect(await handOffResult(redis, prefix, runId, 'web1', wire('web1'))).toBe(true);
    expect(await handedOff('web1')).toBe(true);
    // A redelivered host job hands the same result off again: nothing is appended.
    expect(await handOffResult(redis, prefix, runId, 'web1', wire('web1'))).toBe(false);
    expect(await redis.xlen(resultStreamKey(prefix))).toBe(1);
    // Another host of the same run, and the same host in another run, are not handed off.
    expect(await handedOff('web2')).toBe(false);
    expect(await isResultHandedOff(redis, prefix, randomUUID(), 'web1')).toBe(false);
    // The handed set expires (a week), set by its first member.
    expect(await redis.ttl(runHandedKey(prefix, runId))).toBeGreaterThan(0);
  });

  it('stays true once the entry was read, written and deleted', async () => {
    await handOffResult(redis, prefix, runId, 'web3', wire('web3'));
    await ensureResultGroup(redis, prefix);
    const blocking = redisConnection(config, { blocking: true });
    try {
      const entries = await readNewResults(blocking, prefix, 'test-consumer', 10, 100);
      expect(entries.map((e) => e.resultId)).toEqual([`result.${runId}.host.web1`, `result.${runId}.host.web3`]);
      await ackResults(redis, prefix, entries.map((e) => e.entryId));
    } finally {
      blocking.disconnect();
    }
    expect(await redis.xlen(resultStreamKey(prefix))).toBe(0);
    expect(await handedOff('web1')).toBe(true);
    expect(await handedOff('web3')).toBe(true);
    expect(await handOffResult(redis, prefix, runId, 'web3', wire('web3'))).toBe(false);
    expect(await redis.xlen(resultStreamKey(prefix))).toBe(0);
    expect(await handedOff('web5')).toBe(false);
  });
});
