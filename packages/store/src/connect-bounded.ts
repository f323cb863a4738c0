import type { Client } from 'cassandra-driver';
import { ServiceUnavailableError, withinTimeout, type CassandraConfig } from '@simplecm/config';
import { errorMessage } from '@simplecm/kernel';
import { connectCassandra } from './connect';

/**
 * connectCassandra for one-shot commands: an unreachable Cassandra is a ServiceUnavailableError
 * within `timeoutMs`, naming the contact points and SIMPLECM_CASSANDRA_CONTACT_POINTS, with the
 * first line of the driver's error (its "all hosts tried" error carries a dump per node).
 */
export async function connectCassandraWithin(config: CassandraConfig, timeoutMs: number): Promise<Client> {
  const address = config.contactPoints.join(',');
  const setting = 'SIMPLECM_CASSANDRA_CONTACT_POINTS';
  const connecting = connectCassandra(config, { connectTimeoutMs: timeoutMs });
  try {
    return await withinTimeout(connecting, timeoutMs, () => new ServiceUnavailableError('Cassandra', address, setting, `no answer within ${Math.round(timeoutMs / 1000)} s`));
  } catch (error) {
    // A client that connects after the timeout is shut down rather than left holding the process open.
    connecting.then((client) => client.shutdown()).catch(() => undefined);
    if (error instanceof ServiceUnavailableError) throw error;
    throw new ServiceUnavailableError('Cassandra', address, setting, errorMessage(error).split('\n')[0] ?? 'unreachable', { cause: error });
  }
}
