import path from 'node:path';
import { connectionConfigFromEnv } from '@simplecm/config';
import { applyCqlFile, applySchema, connectCassandra } from '@simplecm/store';
import { repoRoot } from './stack/paths';

/** `npm run seed`: the schema (if absent) and the sample desired state of the stack's five hosts. */
export async function seed(env: NodeJS.ProcessEnv): Promise<number> {
  const { cassandra } = connectionConfigFromEnv(env);
  const client = await connectCassandra(cassandra);
  try {
    await applySchema(client, cassandra.keyspace, cassandra.replication);
    // In docker compose the hosts are reached by name (host1…), not the stack's loopback addresses.
    const rewrite = env.SIMPLECM_SEED_ADDRESSES === 'hostnames' ? (cql: string) => cql.replace(/'127\.10\.0\.(\d+)'/g, "'host$1'") : undefined;
    return await applyCqlFile(client, cassandra.keyspace, path.join(repoRoot, 'cql', 'seed.cql'), rewrite);
  } finally {
    await client.shutdown();
  }
}

if (require.main === module) {
  seed(process.env).then(
    (n) => console.log(`seed: ${n} statements applied`),
    (error: unknown) => {
      console.error(`seed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
