import fs from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConfig {
  readonly url: string;
  readonly tlsCaFile?: string;
  readonly prefix: string;
}

/**
 * A new ioredis connection. `blocking` connections (BullMQ workers) must retry commands
 * forever (maxRetriesPerRequest null) so a Redis restart pauses them instead of failing jobs.
 * TLS comes from a rediss:// URL; the CA file, when given, is the only trusted root.
 */
export function redisConnection(config: RedisConfig, { blocking = false }: { blocking?: boolean } = {}): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: blocking ? null : 20,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    lazyConnect: false,
  };
  if (config.url.startsWith('rediss://')) {
    options.tls = config.tlsCaFile ? { ca: [fs.readFileSync(config.tlsCaFile)], rejectUnauthorized: true } : { rejectUnauthorized: true };
  }
  return new Redis(config.url, options);
}
