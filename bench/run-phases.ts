/** Splits a SimpleCM run's wall time into phases, from the rows it wrote in Cassandra. */
import { resultStore, type RunHost } from '@simplecm/store';
import type { BenchSystem, EnqueueOutcome } from './bench-system';
import type { SimplecmPhases } from './samples';
import { spread } from './stats';

export async function runPhases(system: BenchSystem, runId: string, enqueue: EnqueueOutcome, finishedAt: number): Promise<SimplecmPhases> {
  const store = resultStore(system.cassandra, system.keyspace);
  const hosts: RunHost[] = [];
  let page: string | undefined;
  do {
    const p = await store.pageRunHosts(runId, { pageSize: 1000, page });
    hosts.push(...p.items);
    page = p.nextPage;
  } while (page);
  const setup: number[] = [];
  const ops: number[] = [];
  const tail: number[] = [];
  const sums: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < hosts.length) {
        const h = hosts[next++]!;
        const results = await store.getOperationResults(runId, h.hostname);
        const started = results.filter((r) => r.startedAt !== null);
        if (started.length === 0 || !h.startedAt || !h.endedAt) continue;
        const first = started[0]!.startedAt!;
        const last = started[started.length - 1]!;
        const lastEnd = last.startedAt! + last.durationMs;
        setup.push(first - h.startedAt.getTime());
        ops.push(lastEnd - first);
        tail.push(h.endedAt.getTime() - lastEnd);
        sums.push(started.reduce((s, r) => s + r.durationMs, 0));
      }
    }),
  );
  const firstStart = Math.min(...hosts.map((h) => h.startedAt?.getTime() ?? Infinity));
  const lastEnd = Math.max(...hosts.map((h) => h.endedAt?.getTime() ?? -Infinity));
  return {
    enqueueMs: enqueue.exitedAt - enqueue.spawnedAt,
    toFirstHostMs: firstStart - enqueue.spawnedAt,
    hostsSpanMs: lastEnd - firstStart,
    resultsTailMs: finishedAt - lastEnd,
    hostSetupMedMs: spread(setup).median,
    hostOpsMedMs: spread(ops).median,
    hostTailMedMs: spread(tail).median,
    opsSumMedMs: spread(sums).median,
  };
}
