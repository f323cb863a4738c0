import type { CassandraConfig } from '@simplecm/config';
import { connectCassandra } from './connect';
import { sampleStateFile } from './cql-files';
import { applyCqlFile, applySchema } from './schema';

/**
 * How the sample's hosts are reached: at the local stack's loopback addresses (127.10.0.N), or
 * by name (hostN, as docker compose names them).
 */
export type SampleHostAddresses = 'loopback' | 'hostnames';

/**
 * The schema (if absent), then the sample desired state (cql/seed.cql) in the configured
 * keyspace. Returns how many statements of the sample were applied.
 */
export async function seedSampleState(config: CassandraConfig, addresses: SampleHostAddresses = 'loopback'): Promise<number> {
  const client = await connectCassandra(config);
  try {
    await applySchema(client, config.keyspace, config.replication);
    const rewrite = addresses === 'hostnames' ? (cql: string) => cql.replace(/'127\.10\.0\.(\d+)'/g, "'host$1'") : undefined;
    return await applyCqlFile(client, config.keyspace, sampleStateFile, rewrite);
  } finally {
    await client.shutdown();
  }
}
