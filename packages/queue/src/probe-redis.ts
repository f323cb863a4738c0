import { Redis } from 'ioredis';
import { ServiceUnavailableError, withinTimeout, type RedisConfig } from '@simplecm/config';
import { errorMessage } from '@simplecm/kernel';
import { redactRedisUrl, redisConnectionOptions } from './connection';

/**
 * Checks that Redis answers a PING within `timeoutMs` with a connection that tries once (no
 * retries, no offline queue), then closes it. One-shot commands call it before they record
 * anything, so an unreachable Redis is a ServiceUnavailableError naming the address and the
 * setting instead of a client retrying forever. On a cluster, the first seed node is tried.
 */
export async function probeRedis(config: RedisConfig, timeoutMs: number): Promise<void> {
  const [seed] = config.clusterNodes ?? [];
  const address = seed ?? redactRedisUrl(config.url);
  const setting = seed === undefined ? 'SIMPLECM_REDIS_URL' : 'SIMPLECM_REDIS_CLUSTER';
  const [seedHost, seedPort] = seed?.split(':') ?? [];
  const options = seed === undefined ? redisConnectionOptions(config) : { host: seedHost, port: Number(seedPort) };
  const client = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Connection errors come back from connect(); the event would otherwise be reported as unhandled.
  let lastError: unknown;
  client.on('error', (error: unknown) => (lastError = error));
  try {
    await withinTimeout(
      client.connect().then(() => client.ping()),
      timeoutMs,
      () => new ServiceUnavailableError('Redis', address, setting, `no answer within ${Math.round(timeoutMs / 1000)} s`),
    );
  } catch (error) {
    if (error instanceof ServiceUnavailableError) throw error;
    throw new ServiceUnavailableError('Redis', address, setting, errorMessage(lastError ?? error), { cause: lastError ?? error });
  } finally {
    client.disconnect();
  }
}
