import { CASSANDRA_ENV, connectionConfigFromEnv, intFlag } from '@simplecm/config';
import { connectCassandraWithin } from '@simplecm/store';

/** SIMPLECM_CONNECT_TIMEOUT (seconds, default 10): how long `runs` and `results` wait for Cassandra before exit 3. */
export const HISTORY_ENV = [...CASSANDRA_ENV, 'SIMPLECM_CONNECT_TIMEOUT (seconds, default 10): give up on Cassandra after it (exit 3)'];

/** The connection settings and a Cassandra client, or a ServiceUnavailableError within the connect timeout. */
export async function connectHistory(env: NodeJS.ProcessEnv) {
  const config = connectionConfigFromEnv(env);
  const seconds = env.SIMPLECM_CONNECT_TIMEOUT ? intFlag(1, 600).parse(env.SIMPLECM_CONNECT_TIMEOUT) : 10;
  const cassandra = await connectCassandraWithin(config.cassandra, seconds * 1000);
  return { keyspace: config.cassandra.keyspace, cassandra };
}
