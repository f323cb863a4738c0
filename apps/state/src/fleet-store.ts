import { connectionConfigFromEnv, connectTimeoutMs, type ConnectionConfig } from '@simplecm/config';
import { connectCassandraWithin, desiredStateStore, type CassandraClient, type DesiredStateStore } from '@simplecm/store';
import { desiredState, type DesiredState } from '@simplecm/state';

/** A Cassandra session for one command, with the desired-state store on the configured keyspace. */
export interface FleetSession {
  readonly client: CassandraClient;
  readonly config: ConnectionConfig['cassandra'];
  readonly store: DesiredStateStore;
}

/**
 * Connects (SIMPLECM_CASSANDRA_* / SIMPLECM_KEYSPACE) within the connect timeout
 * (SIMPLECM_CONNECT_TIMEOUT, which `state --connect-timeout` sets; else a ServiceUnavailableError
 * naming Cassandra, its address and the setting: exit 3), runs `fn`, and always shuts the client down.
 */
export async function withFleet<T>(env: NodeJS.ProcessEnv, fn: (session: FleetSession) => Promise<T>): Promise<T> {
  const { cassandra } = connectionConfigFromEnv(env);
  const client = await connectCassandraWithin(cassandra, connectTimeoutMs(env));
  try {
    return await fn({ client, config: cassandra, store: desiredStateStore(client, cassandra.keyspace) });
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

/** What Cassandra holds, in the desired state's normal form. */
export async function readFleet(store: DesiredStateStore): Promise<DesiredState> {
  return desiredState(await store.readAll());
}
