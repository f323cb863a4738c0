import { auth, Client, types } from 'cassandra-driver';
import fs from 'node:fs';

/** The consistency levels SimpleCM may read and write at, by their CQL names. */
const consistencyLevels = {
  ONE: types.consistencies.one,
  LOCAL_ONE: types.consistencies.localOne,
  TWO: types.consistencies.two,
  THREE: types.consistencies.three,
  QUORUM: types.consistencies.quorum,
  LOCAL_QUORUM: types.consistencies.localQuorum,
  EACH_QUORUM: types.consistencies.eachQuorum,
  ALL: types.consistencies.all,
} as const;
export type ConsistencyName = keyof typeof consistencyLevels;

/** Fully resolved Cassandra settings (see @simplecm/config for where they come from). */
export interface CassandraConfig {
  /** Every node the driver may start from (`host` or `host:port`); it discovers the rest of the ring. */
  readonly contactPoints: readonly string[];
  readonly localDataCenter: string;
  readonly keyspace: string;
  /** CQL replication map, e.g. `{'class': 'SimpleStrategy', 'replication_factor': 1}`. */
  readonly replication: string;
  /**
   * Consistency level of every read and write. Default `LOCAL_QUORUM`: with replication factor 3
   * a write and a later read each reach 2 of 3 replicas, so a read sees every acknowledged write
   * and one node may be down; with replication factor 1 it is one replica, as `ONE` would be.
   */
  readonly consistency?: ConsistencyName;
  readonly username?: string;
  readonly password?: string;
  /** PEM CA file: when set, the driver connects with TLS and verifies the server. */
  readonly tlsCaFile?: string;
}

export const defaultConsistency: ConsistencyName = 'LOCAL_QUORUM';

/** A driver client bound to no keyspace: every query names `keyspace.table`. */
export async function connectCassandra(config: CassandraConfig): Promise<Client> {
  const client = new Client({
    contactPoints: [...config.contactPoints],
    localDataCenter: config.localDataCenter,
    authProvider: config.username ? new auth.PlainTextAuthProvider(config.username, config.password ?? '') : undefined,
    sslOptions: config.tlsCaFile ? { ca: [fs.readFileSync(config.tlsCaFile)], rejectUnauthorized: true } : undefined,
    // Statements are not marked idempotent by default, so the driver never resends a write on its
    // own after a coordinator dies mid-request; SimpleCM's writers retry whole steps instead (the
    // results consumer's job is retried and its writes are idempotent).
    queryOptions: { prepare: true, fetchSize: 500, consistency: consistencyLevels[config.consistency ?? defaultConsistency] },
    socketOptions: { connectTimeout: 5_000, readTimeout: 20_000 },
  });
  await client.connect();
  return client;
}
