import { ConfigError } from '@simplecm/config';
import { troubledHostStatuses, type HostStatus, type RunTarget } from '@simplecm/domain';
import { EmptyTargetError } from './enqueue';

/** The hosts that failed, were unreachable or had their job rejected in run `runId`, as a target (`--rerun-failed`); an EmptyTargetError when there are none. */
export async function failedHostsOf(
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
