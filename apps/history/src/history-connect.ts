import { CASSANDRA_ENV, CONNECT_TIMEOUT_ENV, connectionConfigFromEnv, connectTimeoutMs } from '@simplecm/config';
import { connectCassandraWithin } from '@simplecm/store';

/** The environment `runs` and `results` read, for their `--help`. */
export const HISTORY_ENV = [...CASSANDRA_ENV, CONNECT_TIMEOUT_ENV];

/** The connection settings and a Cassandra client, or a ServiceUnavailableError within the connect timeout. */
export async function connectHistory(env: NodeJS.ProcessEnv) {
  const config = connectionConfigFromEnv(env);
  const cassandra = await connectCassandraWithin(config.cassandra, connectTimeoutMs(env));
  return { keyspace: config.cassandra.keyspace, cassandra };
}
