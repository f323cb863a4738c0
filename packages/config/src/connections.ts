import { z } from 'zod';
import { ConfigError, zodIssues } from './errors';

/**
 * Where Redis and Cassandra are. Each field's environment variable and default:
 * - SIMPLECM_REDIS_URL: `redis://127.0.0.1:6380` (the local stack). `rediss://user:password@host:port` for TLS + ACL.
 * - SIMPLECM_REDIS_CA: PEM file of the CA that signed Redis' certificate (TLS only).
 * - SIMPLECM_QUEUE_PREFIX: `simplecm`; BullMQ key prefix, so several installations can share a Redis.
 * - SIMPLECM_CASSANDRA_CONTACT_POINTS: `127.0.0.1:9042`, comma-separated.
 * - SIMPLECM_CASSANDRA_DC: `datacenter1`, the driver's local data center.
 * - SIMPLECM_KEYSPACE: `simplecm`.
 * - SIMPLECM_CASSANDRA_REPLICATION: `{'class': 'SimpleStrategy', 'replication_factor': 1}`.
 * - SIMPLECM_CASSANDRA_USERNAME / SIMPLECM_CASSANDRA_PASSWORD: none.
 * - SIMPLECM_CASSANDRA_CA: PEM CA file; turns on TLS to Cassandra.
 */
export interface ConnectionConfig {
  readonly redis: { readonly url: string; readonly tlsCaFile?: string; readonly prefix: string };
  readonly cassandra: {
    readonly contactPoints: readonly string[];
    readonly localDataCenter: string;
    readonly keyspace: string;
    readonly replication: string;
    readonly username?: string;
    readonly password?: string;
    readonly tlsCaFile?: string;
  };
}

const envSchema = z.object({
  SIMPLECM_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6380'),
  SIMPLECM_REDIS_CA: z.string().min(1).optional(),
  SIMPLECM_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_{}-]{1,64}$/, 'letters, digits, _ - { }').default('simplecm'),
  SIMPLECM_CASSANDRA_CONTACT_POINTS: z
    .string()
    .default('127.0.0.1:9042')
    .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9.:_-]+$/, 'host or host:port')).min(1)),
  SIMPLECM_CASSANDRA_DC: z.string().min(1).default('datacenter1'),
  SIMPLECM_KEYSPACE: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'lower-case letters, digits, underscores').default('simplecm'),
  SIMPLECM_CASSANDRA_REPLICATION: z.string().regex(/^\{.*\}$/, "a CQL map like {'class': 'SimpleStrategy', 'replication_factor': 1}").default("{'class': 'SimpleStrategy', 'replication_factor': 1}"),
  SIMPLECM_CASSANDRA_USERNAME: z.string().min(1).optional(),
  SIMPLECM_CASSANDRA_PASSWORD: z.string().optional(),
  SIMPLECM_CASSANDRA_CA: z.string().min(1).optional(),
});

export function connectionConfigFromEnv(env: NodeJS.ProcessEnv): ConnectionConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`invalid environment:\n${zodIssues(parsed.error, (p) => `${String(p[0])}`)}`);
  }
  const e = parsed.data;
  return {
    redis: { url: e.SIMPLECM_REDIS_URL, tlsCaFile: e.SIMPLECM_REDIS_CA, prefix: e.SIMPLECM_QUEUE_PREFIX },
    cassandra: {
      contactPoints: e.SIMPLECM_CASSANDRA_CONTACT_POINTS,
      localDataCenter: e.SIMPLECM_CASSANDRA_DC,
      keyspace: e.SIMPLECM_KEYSPACE,
      replication: e.SIMPLECM_CASSANDRA_REPLICATION,
      username: e.SIMPLECM_CASSANDRA_USERNAME,
      password: e.SIMPLECM_CASSANDRA_PASSWORD,
      tlsCaFile: e.SIMPLECM_CASSANDRA_CA,
    },
  };
}
