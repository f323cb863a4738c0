import { ConfigError, wantsHelp } from '@simplecm/config';
import { troubledHostStatuses, type HostStatus, type RunTarget } from '@simplecm/domain';
import { EmptyTargetError } from './enqueue';
import { compileEnqueueOptions, enqueueHelp } from './enqueue-options';
import { exitWith, runMaster } from './master-run';

/** Exit codes (EXIT_CODES_HELP): 0 done (and with --wait, nothing failed); 1 hosts failed; 2 bad input or empty target; 3 Redis or Cassandra unavailable. */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(enqueueHelp(process.env.SIMPLECM_COMMAND_NAME === undefined ? undefined : `${process.env.SIMPLECM_COMMAND_NAME} [options]`));
    return 0;
  }
  const options = compileEnqueueOptions(argv, process.env);
  return runMaster(options, {
    name: 'enqueue',
    target: async ({ runs, results }) => (options.rerunFailed === undefined ? options.target : failedHostsOf(options.rerunFailed, runs.getRun, results.pageRunHosts)),
    source: (inventory) => inventory,
    recordsStateRevision: true,
    showOutput: false,
  });
}

/** The hosts that failed, were unreachable or had their job rejected in run `runId`, as a target; an EmptyTargetError when there are none. */
async function failedHostsOf(
  runId: string,
  getRun: (runId: string) => Promise<unknown>,
  pageRunHosts: (runId: string, o: { pageSize: number; page?: string; status: HostStatus }) => Promise<{ items: ReadonlyArray<{ hostname: string }>; nextPage?: string }>,
): Promise<RunTarget> {
  if ((await getRun(runId)) === undefined) throw new ConfigError(`--rerun-failed: there is no run ${runId}`);
  const hosts: string[] = [];
  for (const status of troubledHostStatuses) {
    let page: string | undefined;
    do {
      const p = await pageRunHosts(runId, { pageSize: 500, page, status });
      hosts.push(...p.items.map((h) => h.hostname));
      page = p.nextPage;
    } while (page !== undefined);
  }
  if (hosts.length === 0) throw new EmptyTargetError(`--rerun-failed: run ${runId} has no failed, unreachable or rejected host; nothing was recorded or enqueued`);
  return { kind: 'hosts', hosts: [...new Set(hosts)].sort() };
}

exitWith('enqueue', main);
