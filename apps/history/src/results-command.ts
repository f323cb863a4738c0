import { z } from 'zod';
import { ConfigError, EXIT_CODES_HELP, intFlag, parseCli, wantsHelp } from '@simplecm/config';
import { hostnameSchema, hostStatusSchema, type OperationResult } from '@simplecm/domain';
import { resultStore, runStore } from '@simplecm/store';
import { connectHistory, HISTORY_ENV } from './history-connect';
import { describeRun, formatOperationOutput, formatTable, operationDiff, painterFor, runHostColumns, statusColour, type Column, type Painter } from '@simplecm/terminal';

/** One host's operations in a run: `npm run results -- <runId> --host h`. */
const operationColumns: Column<OperationResult>[] = [
  { header: '#', value: (o) => o.seq, align: 'right' },
  { header: 'operation', value: (o) => o.name, maxWidth: 30 },
  { header: 'module', value: (o) => o.module },
  { header: 'status', value: (o) => o.status, colour: statusColour },
  { header: 'exit', value: (o) => (o.exitCode === null ? '' : o.exitCode), align: 'right' },
  { header: 'ms', value: (o) => o.durationMs, align: 'right' },
  { header: 'changes', value: (o) => o.changes.join('; '), maxWidth: 40 },
  { header: 'stderr', value: (o) => `${o.stderr}${o.stderrTruncated ? ' [truncated]' : ''}`, maxWidth: 100 },
];

const RESULTS_HELP = `usage: simplecm results <runId> [options]

A run's hosts a page at a time, or with --host one host's operations.

options:
  --host HOST        one host's operations (status, exit code, changes, stderr)
  --status STATUS    only hosts with this status: ok|changed|failed|unreachable
  --page-size N      hosts per page; default 50
  --page TOKEN       the page token printed by the previous page
  --output           each operation's stdout and stderr (controls made visible), after the table
  --diff             each operation's diff: what file_content, file_contains and line_absent would
                     change (recorded by check runs: simplecm run --check)
  --json             one JSON object: {"run", "items", "nextPage"}, or with --host {"run", "host", "operations"}
  -h, --help         this help

environment:
${HISTORY_ENV.map((e) => `  ${e}`).join('\n')}

examples:
  simplecm results <run id> --status failed
  simplecm results <run id> --host host5 --output
  simplecm results <run id> --diff
  simplecm results <run id> --host host5 --json

${EXIT_CODES_HELP}
`;

/**
 * `npm run results -- <runId> [--host h] [--status failed] [--page-size N] [--page T]`:
 * a run's hosts a page at a time (Cassandra paging state as the page token), or one host's operations.
 */
export async function resultsCommand(argv: string[]): Promise<void> {
  if (wantsHelp(argv)) {
    console.log(RESULTS_HELP);
    return;
  }
  const { flags, positionals } = parseCli(
    argv,
    { host: { type: 'string' }, status: { type: 'string' }, 'page-size': { type: 'string' }, page: { type: 'string' }, json: { type: 'boolean' }, output: { type: 'boolean' }, diff: { type: 'boolean' } },
    z.object({
      host: hostnameSchema.optional(),
      status: hostStatusSchema.optional(),
      'page-size': intFlag(1, 5000).optional(),
      page: z.string().regex(/^[0-9a-f]+$/, 'a page token printed by a previous call').optional(),
      json: z.boolean().optional(),
      output: z.boolean().optional(),
      diff: z.boolean().optional(),
    }),
    { positionals: true },
  );
  const runId = z.string().uuid('must be a run id').safeParse(positionals[0]);
  if (!runId.success || positionals.length !== 1) throw new ConfigError(`usage: simplecm results <runId> [--host h] [--status s] [--page-size N] [--page T] [--json] (--help for more)`);
  const { cassandra, keyspace } = await connectHistory(process.env);
  try {
    const results = resultStore(cassandra, keyspace);
    // First the run itself (mode, target, state revision), then its hosts or one host's operations.
    const run = await runStore(cassandra, keyspace).getRun(runId.data);
    if (flags.json) {
      const body = flags.host
        ? { run: run ?? null, host: flags.host, operations: await results.getOperationResults(runId.data, flags.host) }
        : { run: run ?? null, ...(await results.pageRunHosts(runId.data, { pageSize: flags['page-size'] ?? 50, page: flags.page, status: flags.status })) };
      console.log(JSON.stringify(body));
      return;
    }
    const paint = painterFor(process.stdout, process.env);
    const details = { output: flags.output ?? false, diff: flags.diff ?? false, paint };
    console.log(run ? describeRun(run) : `run ${runId.data}: not recorded`);
    if (flags.host) {
      const ops = await results.getOperationResults(runId.data, flags.host);
      console.log(ops.length === 0 ? `no results for host ${flags.host} in run ${runId.data}` : formatTable(operationColumns, ops, paint));
      printDetails(flags.host, ops, details);
      return;
    }
    const page = await results.pageRunHosts(runId.data, { pageSize: flags['page-size'] ?? 50, page: flags.page, status: flags.status });
    console.log(page.items.length === 0 ? 'no hosts on this page' : formatTable(runHostColumns, page.items, paint));
    if (details.output || details.diff) {
      for (const h of page.items) printDetails(h.hostname, await results.getOperationResults(runId.data, h.hostname), details);
    }
    if (page.nextPage) console.log(`next page: npm run results -- ${runId.data}${flags.status ? ` --status ${flags.status}` : ''} --page-size ${flags['page-size'] ?? 50} --page ${page.nextPage}`);
  } finally {
    await cassandra.shutdown();
  }
}

/** With --output or --diff: a block per operation that has something to show (see formatOperationOutput). */
function printDetails(hostname: string, ops: readonly OperationResult[], options: { readonly output: boolean; readonly diff: boolean; readonly paint: Painter }): void {
  const shown = ops.filter((op) => (options.output && (op.stdout !== '' || op.stderr !== '')) || (options.diff && operationDiff(op) !== undefined));
  for (const op of shown) console.log(`\n${formatOperationOutput(hostname, op, options)}`);
}
