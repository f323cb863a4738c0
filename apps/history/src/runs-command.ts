import { z } from 'zod';
import { connectionConfigFromEnv, intFlag, parseCli } from '@simplecm/config';
import { connectCassandra, runStore } from '@simplecm/store';
import { formatTable, runColumns } from '@simplecm/terminal';

/** `npm run runs -- [--limit N] [--before RUN]`: recent runs, newest first. */
export async function runsCommand(argv: string[]): Promise<void> {
  const { flags } = parseCli(argv, { limit: { type: 'string' }, before: { type: 'string' } }, z.object({ limit: intFlag(1, 1000).optional(), before: z.string().uuid().optional() }));
  const config = connectionConfigFromEnv(process.env);
  const cassandra = await connectCassandra(config.cassandra);
  try {
    const runs = await runStore(cassandra, config.cassandra.keyspace).listRuns({ limit: flags.limit ?? 20, before: flags.before });
    console.log(runs.length === 0 ? 'no runs yet' : formatTable(runColumns, runs));
    const last = runs.at(-1);
    if (last && runs.length === (flags.limit ?? 20)) console.log(`next page: npm run runs -- --before ${last.runId}`);
  } finally {
    await cassandra.shutdown();
  }
}
