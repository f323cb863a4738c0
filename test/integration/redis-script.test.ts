import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectionConfigFromEnv } from '@simplecm/config';
import { redisConnection, redisScript } from '@simplecm/queue';
import { stackEnv } from '@simplecm/stack';

/**
 * Scripts run by SHA1 (redis-script.ts) on the stack's Redis: a script Redis has never seen (its
 * text made unique by a comment) runs through the NOSCRIPT fallback, which caches it; the next
 * call finds it by its SHA1. Nothing is flushed: the stack's Redis is shared.
 */
const config = connectionConfigFromEnv({ ...process.env, ...stackEnv('unused') }).redis;

describe('redisScript', () => {
  const redis: Redis = redisConnection(config);
  afterAll(() => redis.disconnect());

  it('runs a script Redis lacks (EVAL after NOSCRIPT), then by its SHA1', async () => {
    const text = `-- ${randomUUID()}\nreturn {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}`;
    const sha = createHash('sha1').update(text).digest('hex');
    const script = redisScript(text);
    expect(await redis.script('EXISTS', sha)).toEqual([0]);
    expect(await script.run(redis, ['k'], ['a', 41])).toEqual(['k', 'a', 42]);
    expect(await redis.script('EXISTS', sha)).toEqual([1]);
    expect(await script.run(redis, ['k2'], ['b', 1])).toEqual(['k2', 'b', 2]);
  });

  it('passes a script error through', async () => {
    const script = redisScript(`-- ${randomUUID()}\nreturn redis.error_reply('refused here')`);
    await expect(script.run(redis, [], [])).rejects.toThrow('refused here');
  });
});
