import fc from 'fast-check';
import { hostStatuses, type HostResult, type HostStatus } from '@simplecm/domain';
import { hostBucket, isInvalidPageState, newRunId, resultStore, runStore, type ResultStore } from '@simplecm/store';
import { createTestSystem, type TestSystem } from '../support/system';

/**
 * Bucketed run partitions on the real Cassandra (issue 20): a run's host rows written by the
 * results consumer's store path over B buckets and read back a page at a time, as `simplecm
 * results`, the dashboard and --rerun-failed read them.
 */
describe('run host rows over B buckets', () => {
  let system: TestSystem;
  let results: ResultStore;

  beforeAll(async () => {
    system = await createTestSystem('buckets');
    results = resultStore(system.cassandra, system.keyspace);
  });
  afterAll(async () => {
    await system?.close();
  });

  const hostnameArb = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,10}[A-Za-z0-9])?$/);

  function hostResult(runId: string, hostname: string, status: HostStatus): HostResult {
    const at = Date.UTC(2026, 10, 29, 12);
    return { runId, hostname, status, worker: 'w1', startedAt: at, endedAt: at + 7, cause: status === 'unreachable' ? 'unreachable: test' : null, operations: [] };
  }

  /** A run of `hosts` with `buckets` buckets, its results written in groups of 16 as the consumer writes them. */
  async function recordRun(hosts: ReadonlyArray<readonly [string, HostStatus]>, buckets: number): Promise<string> {
    const runId = newRunId();
    await runStore(system.cassandra, system.keyspace).createRun({ runId, mode: 'apply', target: 'all', hostCount: Math.max(1, hosts.length), bucketCount: buckets });
    for (let i = 0; i < hosts.length; i += 16) {
      await results.recordHostResults(hosts.slice(i, i + 16).map(([h, s]) => ({ result: hostResult(runId, h, s), mode: 'apply' as const })));
    }
    return runId;
  }

  async function readAll(runId: string, pageSize: number, status?: HostStatus): Promise<{ hosts: string[]; pages: number }> {
    const hosts: string[] = [];
    let page: string | undefined;
    let pages = 0;
    do {
      const got = await results.pageRunHosts(runId, { pageSize, page, status });
      expect(got.items.length).toBeLessThanOrEqual(pageSize);
      for (const h of got.items) {
        expect(h.runId).toBe(runId);
        if (status) expect(h.status).toBe(status);
      }
      hosts.push(...got.items.map((h) => h.hostname));
      page = got.nextPage;
      pages++;
    } while (page !== undefined);
    return { hosts, pages };
  }

  it('pages every host exactly once, in host order, all of them and by status (property: random hosts, B 1…7, page sizes)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(hostnameArb, fc.constantFrom(...hostStatuses)), { maxLength: 120, selector: ([h]) => h }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 30 }),
        async (hosts, buckets, pageSize) => {
          const runId = await recordRun(hosts, buckets);
          const all = await readAll(runId, pageSize);
          expect(all.hosts).toEqual(hosts.map(([h]) => h).sort());
          for (const status of hostStatuses) {
            const byStatus = await readAll(runId, pageSize, status);
            expect(byStatus.hosts).toEqual(hosts.filter(([, s]) => s === status).map(([h]) => h).sort());
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('writes B = 1 runs exactly as before buckets (run_hosts, run_hosts_by_status) and B > 1 runs to their buckets only', async () => {
    const hosts = Array.from({ length: 40 }, (_, i) => [`host-${i}`, i % 4 === 0 ? 'failed' : 'ok'] as const);
    const count = async (cql: string, params: unknown[]) => Number((await system.cassandra.execute(cql, params, { prepare: true })).first()!.get(0));
    const ks = system.keyspace;

    const one = await recordRun(hosts, 1);
    expect(await count(`SELECT count(*) FROM ${ks}.run_hosts WHERE run_id = ?`, [one])).toBe(40);
    expect(await count(`SELECT count(*) FROM ${ks}.run_hosts_by_status WHERE run_id = ? AND status = ?`, [one, 'failed'])).toBe(10);
    const row = (await system.cassandra.execute(`SELECT bucket_count FROM ${ks}.runs WHERE run_id = ?`, [one], { prepare: true })).first()!;
    expect(row.get('bucket_count')).toBeNull();

    const five = await recordRun(hosts, 5);
    expect(await count(`SELECT count(*) FROM ${ks}.run_hosts WHERE run_id = ?`, [five])).toBe(0);
    let total = 0;
    for (let b = 0; b < 5; b++) {
      const rows = (await system.cassandra.execute(`SELECT hostname FROM ${ks}.run_hosts_bucketed WHERE run_id = ? AND bucket = ?`, [five, b], { prepare: true })).rows;
      for (const r of rows) expect(hostBucket(r.get('hostname'), 5)).toBe(b);
      total += rows.length;
    }
    expect(total).toBe(40);
    expect((await system.cassandra.execute(`SELECT bucket_count FROM ${ks}.runs WHERE run_id = ?`, [five], { prepare: true })).first()!.get('bucket_count')).toBe(5);

    // One host's line, and a page token of another layout or forged, refused as a bad token.
    expect((await results.getRunHost(five, 'host-4'))?.status).toBe('failed');
    expect(await results.getRunHost(five, 'host-999')).toBeUndefined();
    const first = await results.pageRunHosts(five, { pageSize: 7 });
    expect(first.items.map((h) => h.hostname)).toEqual(hosts.map(([h]) => h).sort().slice(0, 7));
    const refusal = (page: Promise<unknown>) => page.then(() => 'accepted', (error: unknown) => (isInvalidPageState(error) ? 'bad token' : error));
    expect(await refusal(results.pageRunHosts(five, { pageSize: 7, page: 'ff00' }))).toBe('bad token');
    expect(await refusal(results.pageRunHosts(one, { pageSize: 7, page: first.nextPage }))).toBe('bad token');
  });
});
