import { auth, Client } from 'cassandra-driver';
import fs from 'node:fs';

/** Fully resolved Cassandra settings (see @simplecm/config for where they come from). */
export interface CassandraConfig {
  readonly contactPoints: readonly string[];
  readonly localDataCenter: string;
  readonly keyspace: string;
  /** CQL replication map, e.g. `{'class': 'SimpleStrategy', 'replication_factor': 1}`. */
  readonly replication: string;
  readonly username?: string;
  readonly password?: string;
  /** PEM CA file: when set, the driver connects with TLS and verifies the server. */
  readonly tlsCaFile?: string;
}

/** A driver client bound to no keyspace: every query names `keyspace.table`. */
export async function connectCassandra(config: CassandraConfig): Promise<Client> {
  const client = new Client({
    contactPoints: [...config.contactPoints],
    localDataCenter: config.localDataCenter,
    authProvider: config.username ? new auth.PlainTextAuthProvider(config.username, config.password ?? '') : undefined,
    sslOptions: config.tlsCaFile ? { ca: [fs.readFileSync(config.tlsCaFile)], rejectUnauthorized: true } : undefined,
    queryOptions: { prepare: true, fetchSize: 500 },
    socketOptions: { connectTimeout: 5_000, readTimeout: 20_000 },
  });
  await client.connect();
  return client;
}
