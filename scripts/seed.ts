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
    return await applyCqlFile(client, cassandra.keyspace, path.join(repoRoot, 'cql', 'seed.cql'));
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
