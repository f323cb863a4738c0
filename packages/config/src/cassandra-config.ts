import { z } from 'zod';

/**
 * Consistency levels SimpleCM accepts for its Cassandra reads and writes (the driver's names,
 * upper case). `LOCAL_QUORUM` (the default) on both sides gives read-your-writes in the local
 * data center whenever the replication factor is 3 (2 + 2 > 3) and tolerates one replica down;
 * with replication factor 1 it is the same as `ONE`.
 */
export const CassandraConsistency = {
  one: 'ONE',
  localOne: 'LOCAL_ONE',
  two: 'TWO',
  three: 'THREE',
  quorum: 'QUORUM',
  localQuorum: 'LOCAL_QUORUM',
  eachQuorum: 'EACH_QUORUM',
  all: 'ALL',
} as const;
export type CassandraConsistency = (typeof CassandraConsistency)[keyof typeof CassandraConsistency];
export const cassandraConsistencySchema = z.enum(CassandraConsistency);
export const defaultConsistency: CassandraConsistency = CassandraConsistency.localQuorum;

export const keyspaceSchema = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'lower-case letters, digits, underscores');
export const contactPointSchema = z.string().regex(/^[A-Za-z0-9.:_-]+$/, 'host or host:port');
export const contactPointsSchema = z.array(contactPointSchema).min(1);
export const replicationSchema = z.string().regex(/^\{.*\}$/, "a CQL map like {'class': 'SimpleStrategy', 'replication_factor': 1}");

/** Fully resolved Cassandra settings (`connectionConfigFromEnv` reads them from the environment). */
export const cassandraConfigSchema = z
  .object({
    /** Every node the driver may start from (`host` or `host:port`); it discovers the rest of the ring. */
    contactPoints: contactPointsSchema.readonly(),
    localDataCenter: z.string().min(1),
    keyspace: keyspaceSchema,
    /** CQL replication map, e.g. `{'class': 'SimpleStrategy', 'replication_factor': 1}`. */
    replication: replicationSchema,
    /**
     * Consistency level of every read and write. Default `LOCAL_QUORUM`: with replication factor 3
     * a write and a later read each reach 2 of 3 replicas, so a read sees every acknowledged write
     * and one node may be down; with replication factor 1 it is one replica, as `ONE` would be.
     */
    consistency: cassandraConsistencySchema.optional(),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    /** PEM CA file: when set, the driver connects with TLS and verifies the server. */
    tlsCaFile: z.string().min(1).optional(),
  })
  .readonly();
export type CassandraConfig = z.infer<typeof cassandraConfigSchema>;
