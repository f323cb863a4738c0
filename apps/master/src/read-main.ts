import { z } from 'zod';
import { ConfigError, connectionConfigFromEnv, intFlag, parseCli } from '@simplecm/config';
import { hostnameSchema, hostStatusSchema } from '@simplecm/domain';
import { connectCassandra, resultStore, runStore } from '@simplecm/store';
import { formatTable } from '@simplecm/terminal';
import { errorMessage } from '@simplecm/kernel';
import { runColumns, runHostColumns } from './recap';

/** `npm run runs -- [--limit N] [--before RUN]`: recent runs, newest first. */
async function runsCommand(argv: string[]): Promise<void> {
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

/**
 * `npm run results -- <runId> [--host h] [--status failed] [--page-size N] [--page T]`:
 * a run's hosts a page at a time (Cassandra paging state as the page token), or one host's operations.
 */
async function resultsCommand(argv: string[]): Promise<void> {
  const { flags, positionals } = parseCli(
    argv,
    { host: { type: 'string' }, status: { type: 'string' }, 'page-size': { type: 'string' }, page: { type: 'string' } },
    z.object({ host: hostnameSchema.optional(), status: hostStatusSchema.optional(), 'page-size': intFlag(1, 5000).optional(), page: z.string().regex(/^[0-9a-f]+$/, 'a page token printed by a previous call').optional() }),
    { positionals: true },
  );
  const runId = z.string().uuid('must be a run id').safeParse(positionals[0]);
  if (!runId.success || positionals.length !== 1) throw new ConfigError('usage: npm run results -- <runId> [--host h] [--status s] [--page-size N] [--page T]');
  const config = connectionConfigFromEnv(process.env);
  const cassandra = await connectCassandra(config.cassandra);
  try {
    const results = resultStore(cassandra, config.cassandra.keyspace);
    if (flags.host) {
      const ops = await results.getOperationResults(runId.data, flags.host);
      if (ops.length === 0) console.log(`no results for host ${flags.host} in run ${runId.data}`);
      else
        console.log(
          formatTable(
            [
              { header: '#', value: (o) => o.seq, align: 'right' },
              { header: 'operation', value: (o) => o.name, maxWidth: 30 },
              { header: 'module', value: (o) => o.module },
              { header: 'status', value: (o) => o.status },
              { header: 'exit', value: (o) => (o.exitCode === null ? '' : o.exitCode), align: 'right' },
              { header: 'ms', value: (o) => o.durationMs, align: 'right' },
              { header: 'changes', value: (o) => o.changes.join('; '), maxWidth: 40 },
              { header: 'stderr', value: (o) => `${o.stderr}${o.stderrTruncated ? ' [truncated]' : ''}`, maxWidth: 100 },
            ],
            ops,
          ),
        );
      return;
    }
    const page = await results.pageRunHosts(runId.data, { pageSize: flags['page-size'] ?? 50, page: flags.page, status: flags.status });
    console.log(page.items.length === 0 ? 'no hosts on this page' : formatTable(runHostColumns, page.items));
    if (page.nextPage) console.log(`next page: npm run results -- ${runId.data}${flags.status ? ` --status ${flags.status}` : ''} --page-size ${flags['page-size'] ?? 50} --page ${page.nextPage}`);
  } finally {
    await cassandra.shutdown();
  }
}

const commands: Record<string, (argv: string[]) => Promise<void>> = { runs: runsCommand, results: resultsCommand };
const [name, ...rest] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  console.error('usage: read-main.ts runs|results …');
  process.exit(2);
}
command(rest).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`${name}: ${errorMessage(error)}`);
    process.exit(error instanceof ConfigError ? 2 : 3);
  },
);
