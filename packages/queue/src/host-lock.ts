import type { Redis } from 'ioredis';
import { redisScript } from './redis-script';

/**
 * One run at a time per host: a worker holds `<prefix>:host-lock:<hostname>` while it operates
 * on the host. The value names the holder (the host job and the worker's lock token), so only
 * the holder can renew or release it; the TTL frees the host if the holder dies.
 */
export function hostLockKey(prefix: string, hostname: string): string {
  return `${prefix}:host-lock:${hostname}`;
}

// Renews or releases only when the caller still holds the lock.
const renewScript = redisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);
const releaseScript = redisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

export type HostLockAttempt = { readonly acquired: true } | { readonly acquired: false; readonly holder: string | null };

export interface HostLocks {
  /** Takes the host for `owner` for `ttlMs`, unless someone else holds it. */
  acquire(hostname: string, owner: string): Promise<HostLockAttempt>;
  /** Extends the owner's lock; false when it is no longer the owner's (expired or taken). */
  renew(hostname: string, owner: string): Promise<boolean>;
  /** Frees the host if the owner still holds it. */
  release(hostname: string, owner: string): Promise<void>;
}

export function hostLocks(redis: Redis, prefix: string, { ttlMs }: { ttlMs: number }): HostLocks {
  return {
    async acquire(hostname, owner) {
      const key = hostLockKey(prefix, hostname);
      const set = await redis.set(key, owner, 'PX', ttlMs, 'NX');
      if (set === 'OK') return { acquired: true };
      return { acquired: false, holder: await redis.get(key) };
    },
    async renew(hostname, owner) {
      return (await renewScript.run(redis, [hostLockKey(prefix, hostname)], [owner, ttlMs])) === 1;
    },
    async release(hostname, owner) {
      await releaseScript.run(redis, [hostLockKey(prefix, hostname)], [owner]);
    },
  };
}
