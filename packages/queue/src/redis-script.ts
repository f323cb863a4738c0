import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run by its SHA1: its text crosses the wire (and is hashed by Redis) only when Redis lacks it. */
export interface RedisScript {
  run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/**
 * EVALSHA, falling back to EVAL once when Redis answers NOSCRIPT (a restart, a failover, a
 * SCRIPT FLUSH); EVAL caches the script again. A plain EVAL would send the whole text and make
 * Redis hash it on every call.
 */
export function redisScript(text: string): RedisScript {
  const sha = createHash('sha1').update(text).digest('hex');
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return redis.eval(text, keys.length, ...keys, ...args);
      }
    },
  };
}
