import { z } from 'zod';
import { cassandraConsistencySchema, contactPointsSchema, defaultConsistency, keyspaceSchema, replicationSchema, type CassandraConfig, type CassandraConsistency } from './cassandra-config';
import { intFlag } from './cli';
import { ConfigError, zodIssues } from './errors';
import { prefixHasHashTag } from './hash-tag';
import { MAX_QUEUE_PARTITIONS } from './partition-tags';
import { clusterNodesSchema, defaultClusterQueuePrefix, queuePrefixSchema, redisUrlSchema, type RedisConfig } from './redis-config';

/**
 * Where Redis and Cassandra are. Each field's environment variable and default:
 * - SIMPLECM_REDIS_URL: `redis://127.0.0.1:6380` (the local stack). `rediss://user:password@host:port` for TLS + ACL.
 * - SIMPLECM_REDIS_CA: PEM file of the CA that signed Redis' certificate (TLS only).
 * - SIMPLECM_REDIS_CLUSTER: none. Comma-separated `host:port` seed nodes of a Redis Cluster; when set,
 *   every process uses ioredis' Cluster client and SIMPLECM_REDIS_URL is not used (plaintext, no ACL user:
 *   TLS and credentials on a cluster are not supported yet).
 * - SIMPLECM_QUEUE_PREFIX: `simplecm`, or `{simplecm}` on a cluster; BullMQ key prefix, so several
 *   installations can share a Redis. On a cluster it must carry a hash tag (`{…}`) so that every key of
 *   a BullMQ script or of the progress script lands in one slot.
 * - SIMPLECM_QUEUE_PARTITIONS: 1. K, the queue partitions (1 to 64): with K > 1 the host and result
 *   queues, host locks and run progress are split over K prefixes, each with its own hash tag, so a
 *   Redis Cluster spreads them over its masters (partition-tags.ts). Every process of an
 *   installation must be given the same K.
 * - SIMPLECM_CASSANDRA_CONTACT_POINTS: `127.0.0.1:9042`, comma-separated; list several nodes of a cluster.
 * - SIMPLECM_CASSANDRA_DC: `datacenter1`, the driver's local data center.
 * - SIMPLECM_KEYSPACE: `simplecm`.
 * - SIMPLECM_CASSANDRA_REPLICATION: `{'class': 'SimpleStrategy', 'replication_factor': 1}`; used when the
 *   keyspace is created, e.g. `{'class': 'NetworkTopologyStrategy', 'datacenter1': 3}` on a 3-node cluster.
 * - SIMPLECM_CASSANDRA_CONSISTENCY: `LOCAL_QUORUM`; the consistency level of every read and write.
 * - SIMPLECM_CASSANDRA_USERNAME / SIMPLECM_CASSANDRA_PASSWORD: none.
 * - SIMPLECM_CASSANDRA_CA: PEM CA file; turns on TLS to Cassandra.
 */
export interface ConnectionConfig {
  readonly redis: RedisConfig;
  readonly cassandra: CassandraConfig & { readonly consistency: CassandraConsistency };
}

const envSchema = z.object({
  SIMPLECM_REDIS_URL: redisUrlSchema.default('redis://127.0.0.1:6380'),
  SIMPLECM_REDIS_CA: z.string().min(1).optional(),
  SIMPLECM_REDIS_CLUSTER: z
    .string()
    .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean))
    .pipe(clusterNodesSchema)
    .optional(),
  SIMPLECM_QUEUE_PREFIX: queuePrefixSchema.optional(),
  SIMPLECM_QUEUE_PARTITIONS: intFlag(1, MAX_QUEUE_PARTITIONS).optional(),
  SIMPLECM_CASSANDRA_CONTACT_POINTS: z
    .string()
    .default('127.0.0.1:9042')
    .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean))
    .pipe(contactPointsSchema),
  SIMPLECM_CASSANDRA_DC: z.string().min(1).default('datacenter1'),
  SIMPLECM_KEYSPACE: keyspaceSchema.default('simplecm'),
  SIMPLECM_CASSANDRA_REPLICATION: replicationSchema.default("{'class': 'SimpleStrategy', 'replication_factor': 1}"),
  SIMPLECM_CASSANDRA_CONSISTENCY: z
    .string()
    .transform((s) => s.trim().toUpperCase())
    .pipe(cassandraConsistencySchema)
    .default(defaultConsistency),
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
  const clusterNodes = e.SIMPLECM_REDIS_CLUSTER;
  const prefix = e.SIMPLECM_QUEUE_PREFIX ?? (clusterNodes ? defaultClusterQueuePrefix : 'simplecm');
  if (clusterNodes) {
    if (!prefixHasHashTag(prefix)) {
      throw new ConfigError(
        `invalid environment:\nSIMPLECM_QUEUE_PREFIX: "${prefix}" has no hash tag; on a Redis Cluster (SIMPLECM_REDIS_CLUSTER) use one like {${prefix}} so each script's keys share a slot`,
      );
    }
    if (e.SIMPLECM_REDIS_CA) {
      throw new ConfigError('invalid environment:\nSIMPLECM_REDIS_CA: TLS to a Redis Cluster (SIMPLECM_REDIS_CLUSTER) is not supported');
    }
  }
  return {
    redis: {
      url: e.SIMPLECM_REDIS_URL,
      tlsCaFile: e.SIMPLECM_REDIS_CA,
      prefix,
      ...(clusterNodes ? { clusterNodes } : {}),
      ...(e.SIMPLECM_QUEUE_PARTITIONS === undefined ? {} : { partitions: e.SIMPLECM_QUEUE_PARTITIONS }),
    },
    cassandra: {
      contactPoints: e.SIMPLECM_CASSANDRA_CONTACT_POINTS,
      localDataCenter: e.SIMPLECM_CASSANDRA_DC,
      keyspace: e.SIMPLECM_KEYSPACE,
      replication: e.SIMPLECM_CASSANDRA_REPLICATION,
      consistency: e.SIMPLECM_CASSANDRA_CONSISTENCY,
      username: e.SIMPLECM_CASSANDRA_USERNAME,
      password: e.SIMPLECM_CASSANDRA_PASSWORD,
      tlsCaFile: e.SIMPLECM_CASSANDRA_CA,
    },
  };
}
