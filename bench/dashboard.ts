/**
 * `npx tsx bench/dashboard.ts [--hosts 1000] [--page-size 100] [--samples 20] [--keep]`
 *
 * Writes one run of N hosts (4 operations each, every 10th failing with a long stderr, every
 * 25th unreachable) into a scratch keyspace on the local stack, serves the dashboard on it,
 * and times over HTTP: the first page of /runs/:id, paging through every host, the failed-hosts
 * filter, a host's operations, the runs list and the JSON progress. Prints a table; asserts nothing.
 * The scratch keyspace is dropped at the end unless --keep.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { connectionConfigFromEnv, intFlag, parseCli } from '@simplecm/config';
import { resolveDashboardOptions, startDashboard, writeSyntheticRun } from '@simplecm/dashboard';
import { applySchema, connectCassandra, resultStore, runStore } from '@simplecm/store';
import { formatTable } from '@simplecm/terminal';
import { stackEnv } from '@simplecm/stack';
import { errorMessage } from '@simplecm/kernel';
import { runMain } from './run-main';

interface Row {
  readonly what: string;
  readonly requests: number;
  readonly totalMs: number;
  readonly medianMs: number;
  readonly maxMs: number;
  readonly detail: string;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function row(what: string, times: readonly number[], detail: string): Row {
  return { what, requests: times.length, totalMs: times.reduce((a, b) => a + b, 0), medianMs: median(times), maxMs: Math.max(...times), detail };
}

async function main(): Promise<void> {
  const { flags } = parseCli(
    process.argv.slice(2),
    { hosts: { type: 'string' }, 'page-size': { type: 'string' }, samples: { type: 'string' }, keep: { type: 'boolean' } },
    z.object({ hosts: intFlag(1, 100_000).optional(), 'page-size': intFlag(1, 1_000).optional(), samples: intFlag(1, 1_000).optional(), keep: z.boolean().optional() }),
  );
  const hosts = flags.hosts ?? 1_000;
  const pageSize = flags['page-size'] ?? 100;
  const samples = flags.samples ?? 20;
  const keyspace = `bench_dashboard_${randomBytes(4).toString('hex')}`;
  const env = { ...process.env, ...stackEnv(keyspace), SIMPLECM_QUEUE_PREFIX: `bench-${keyspace}` };
  const connections = connectionConfigFromEnv(env);
  const cassandra = await connectCassandra(connections.cassandra);
  const password = randomBytes(18).toString('base64url');
  const authorization = `Basic ${Buffer.from(`bench:${password}`).toString('base64')}`;
  let dashboard: Awaited<ReturnType<typeof startDashboard>> | undefined;
  try {
    await applySchema(cassandra, keyspace, connections.cassandra.replication);
    const writeStart = performance.now();
    const run = await writeSyntheticRun({ ...runStore(cassandra, keyspace), ...resultStore(cassandra, keyspace) }, { hosts, longOutput: true });
    const writeMs = performance.now() - writeStart;
    dashboard = await startDashboard(resolveDashboardOptions({ user: 'bench', password, port: 0, hostsPageSize: pageSize }), connections, { log: (l) => console.error(l) });

    const url = dashboard.url;
    const get = async (path: string): Promise<{ ms: number; text: string }> => {
      const start = performance.now();
      const res = await fetch(new URL(path, url), { headers: { authorization } });
      const text = await res.text();
      const ms = performance.now() - start;
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 200)}`);
      return { ms, text };
    };
    const repeat = async (path: string): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < samples; i += 1) times.push((await get(path)).ms);
      return times;
    };
    const pageAll = async (first: string): Promise<{ times: number[]; hosts: number }> => {
      const times: number[] = [];
      let count = 0;
      let next: string | undefined = first;
      while (next) {
        const { ms, text } = await get(next);
        times.push(ms);
        count += (text.match(/<tr class="row-/g) ?? []).length;
        next = /<a href="([^"]+)" rel="next">/.exec(text)?.[1]?.replaceAll('&amp;', '&');
      }
      return { times, hosts: count };
    };

    const runPath = `/runs/${run.runId}`;
    const cold = await get(runPath);
    const rows: Row[] = [row('first page of /runs/:id, cold (first request)', [cold.ms], `${pageSize} hosts, ${(cold.text.length / 1024).toFixed(0)} KiB of HTML`)];
    rows.push(row('first page of /runs/:id, warm', await repeat(runPath), `median of ${samples}`));
    const all = await pageAll(runPath);
    rows.push(row('page through all hosts', all.times, `${all.hosts} hosts in ${all.times.length} pages`));
    const failed = await pageAll(`${runPath}?status=failed`);
    rows.push(row('page through ?status=failed', failed.times, `${failed.hosts} hosts (status index + one read per host)`));
    rows.push(row('/runs/:id/hosts/:host (long stderr)', await repeat(`${runPath}/hosts/${run.truncated[0] ?? run.hostnames[0]}`), '4 operations, ~30 KiB stderr'));
    rows.push(row('/ (runs list)', await repeat('/'), 'runs newest first'));
    rows.push(row('/api/runs/:id', await repeat(`/api/runs/${run.runId}`), 'Cassandra + Redis'));

    console.log(`dashboard bench: ${hosts} hosts written in ${(writeMs / 1000).toFixed(1)} s to keyspace ${keyspace}; page size ${pageSize}; local stack, one process`);
    console.log(
      formatTable(
        [
          { header: 'measure', value: (r: Row) => r.what },
          { header: 'requests', value: (r: Row) => r.requests, align: 'right' },
          { header: 'total ms', value: (r: Row) => r.totalMs.toFixed(0), align: 'right' },
          { header: 'median ms', value: (r: Row) => r.medianMs.toFixed(1), align: 'right' },
          { header: 'max ms', value: (r: Row) => r.maxMs.toFixed(1), align: 'right' },
          { header: 'notes', value: (r: Row) => r.detail },
        ],
        rows,
      ),
    );
    if (all.hosts !== hosts) throw new Error(`paging saw ${all.hosts} hosts, expected ${hosts}`);
  } finally {
    await dashboard?.close();
    if (!flags.keep) await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await cassandra.shutdown();
  }
}

runMain('dashboard', main);
