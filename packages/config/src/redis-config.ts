import { z } from 'zod';
import { MAX_QUEUE_PARTITIONS } from './partition-tags';

export const redisUrlSchema = z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL');
export const hostPortSchema = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'host:port');
/** Redis Cluster seed nodes, `host:port` each. */
export const clusterNodesSchema = z.array(hostPortSchema).min(1, 'at least one host:port');
export const queuePrefixSchema = z.string().regex(/^[A-Za-z0-9_{}-]{1,64}$/, 'letters, digits, _ - { }');

/** Where Redis is and how SimpleCM's keys are named there. */
export const redisConfigSchema = z
  .object({
    /** `redis://host:port` or, for TLS + ACL, `rediss://user:password@host:port[/db]`. Secret: never log it, log `redactRedisUrl(url)`. */
    url: redisUrlSchema,
    /** PEM file of the CA that signed the server's certificate; only meaningful with `rediss://`. */
    tlsCaFile: z.string().min(1).optional(),
    /** BullMQ key prefix; on a Redis Cluster it must carry a hash tag (`{simplecm}`), see `hashTag`. */
    prefix: z.string().min(1),
    /**
     * Seed nodes (`host:port`) of a Redis Cluster. When present the connection is an ioredis
     * `Cluster` (it finds every shard from any seed) and `url` is not used.
     */
    clusterNodes: clusterNodesSchema.readonly().optional(),
    /**
     * K, the queue partitions (partition-tags.ts): host and result queues, host locks and run
     * progress are split over K prefixes derived from `prefix`, each with its own hash tag. Absent
     * means 1: everything under `prefix`, the layout from before partitions.
     */
    partitions: z.number().int().min(1).max(MAX_QUEUE_PARTITIONS).optional(),
  })
  .readonly();
export type RedisConfig = z.infer<typeof redisConfigSchema>;

/** The queue prefix used on a Redis Cluster when SIMPLECM_QUEUE_PREFIX is unset: one hash tag, one slot. */
export const defaultClusterQueuePrefix = '{simplecm}';
