import { auth, Client, types } from 'cassandra-driver';
import fs from 'node:fs';
import { defaultConsistency, type CassandraConfig, type CassandraConsistency } from '@simplecm/config';

/** The driver's value for each consistency level SimpleCM may read and write at. */
const consistencyLevels: Record<CassandraConsistency, number> = {
  ONE: types.consistencies.one,
  LOCAL_ONE: types.consistencies.localOne,
  TWO: types.consistencies.two,
  THREE: types.consistencies.three,
  QUORUM: types.consistencies.quorum,
  LOCAL_QUORUM: types.consistencies.localQuorum,
  EACH_QUORUM: types.consistencies.eachQuorum,
  ALL: types.consistencies.all,
};

/** A driver client bound to no keyspace: every query names `keyspace.table`. `connectTimeoutMs`: per socket, default 5 s. */
export async function connectCassandra(config: CassandraConfig, { connectTimeoutMs = 5_000 }: { connectTimeoutMs?: number } = {}): Promise<Client> {
  const client = new Client({
    contactPoints: [...config.contactPoints],
    localDataCenter: config.localDataCenter,
    authProvider: config.username ? new auth.PlainTextAuthProvider(config.username, config.password ?? '') : undefined,
    sslOptions: config.tlsCaFile ? { ca: [fs.readFileSync(config.tlsCaFile)], rejectUnauthorized: true } : undefined,
    // Statements are not marked idempotent by default, so the driver never resends a write on its
    // own after a coordinator dies mid-request; SimpleCM's writers retry whole steps instead (the
    // results consumer's job is retried and its writes are idempotent).
    queryOptions: { prepare: true, fetchSize: 500, consistency: consistencyLevels[config.consistency ?? defaultConsistency] },
    socketOptions: { connectTimeout: connectTimeoutMs, readTimeout: 20_000 },
  });
  try {
    await client.connect();
  } catch (error) {
    // A connect that fails half-way (a node that accepts the socket while it is still starting)
    // leaves connections open; a caller that tries again would pile them up and hold its process.
    await client.shutdown().catch(() => undefined);
    throw error;
  }
  return client;
}
