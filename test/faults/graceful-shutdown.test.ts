import { resultStore } from '@simplecm/store';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';
import {
  closeFaultSystem,
  expectedOpsOf,
  hostJobsOf,
  linesOnHost,
  markerOp,
  pauseCassandra,
  progressOf,
  resultBacklog,
  recordFaultRow,
  restoreStack,
  sleep,
  sleepOp,
  startEnqueue,
  waitUntil,
} from '../support/faults';
import { stopStarted } from '@simplecm/stack';

describe('SIGTERM', () => {
  let system: TestSystem;
  const file = '/root/faults/sigterm';
  beforeAll(async () => {
    system = await createTestSystem('fault_sigterm');
  });
  afterAll(async () => {
    try {
      await restoreStack();
    } finally {
      await closeFaultSystem(system);
    }
  });
  afterEach(async () => {
    await Promise.all(system.processes.splice(0).map((p) => stopStarted(p, 20_000)));
  });

  async function runOn(n: number, operations: ReturnType<typeof markerOp>[]): Promise<{ runId: string; entries: Array<{ host: ReturnType<typeof stackHost>; operations: ReturnType<typeof markerOp>[] }> }> {
    await onHost(n, `rm -f ${file}`);
    const entries = [{ host: stackHost(n), operations }];
    await putDesiredState(system, entries);
    const enqueue = startEnqueue(system, ['--hosts', `host${n}`]);
    const runId = await enqueue.runId();
    expect(await enqueue.exited).toBe(0);
    return { runId, entries };
  }

  it('a worker finishes the host it is converging, hands its result off, then exits 0', async () => {
    const [worker] = system.startWorkers(1, ['--concurrency', '5']);
    system.startResults();
    const { runId, entries } = await runOn(1, [markerOp(0, file), sleepOp(1, 5)]);
    await waitUntil('host1 to start', async () => (await linesOnHost(1, file)).length === 1);
    worker!.child.kill('SIGTERM');
    expect(await worker!.exited).toBe(0);
    expect(worker!.output()).toMatch(/SIGTERM, finishing current hosts/);
    // No other worker ever ran: the result is the terminated worker's own.
    await waitUntil('host1 result', async () => (await progressOf(system, runId)).hostsDone === 1);
    const [host] = (await resultStore(system.cassandra, system.keyspace).pageRunHosts(runId, { pageSize: 5 })).items;
    expect(host).toMatchObject({ hostname: 'host1', status: 'changed', worker: worker!.output().match(/worker (\S+): consuming/)![1] });
    expect(await linesOnHost(1, file)).toHaveLength(1);
    const row = await recordFaultRow(system.cassandra, system.keyspace, runId, 'worker SIGTERM: host finished first', expectedOpsOf(entries), { hostRerun: 0 });
    expect(row).toMatchObject({ hostsConverged: 1, resultsWritten: 2, duplicated: 0, lost: 0 });
  }, 120_000);

  it('past its grace period a worker hands the host back (no attempt used); another worker converges it', async () => {
    const [worker] = system.startWorkers(1, ['--concurrency', '5', '--shutdown-grace', '1000']);
    system.startResults();
    const { runId, entries } = await runOn(2, [markerOp(0, file), sleepOp(1, 8)]);
    await waitUntil('host2 to start', async () => (await linesOnHost(2, file)).length === 1);
    worker!.child.kill('SIGTERM');
    expect(await worker!.exited).toBe(0);
    expect(worker!.output()).toMatch(/host2: shutting down, host job .* handed back/);
    const [job] = await hostJobsOf(system, runId, ['host2']);
    expect(job).toMatchObject({ state: 'waiting', attemptsMade: 0 });
    const [next] = system.startWorkers(1, ['--concurrency', '5']);
    await waitUntil('host2 result', async () => (await progressOf(system, runId)).hostsDone === 1, { timeoutMs: 60_000 });
    const [host] = (await resultStore(system.cassandra, system.keyspace).pageRunHosts(runId, { pageSize: 5 })).items;
    expect(host!.worker).toBe(next!.output().match(/worker (\S+): consuming/)![1]);
    // The next worker attached to the host's journal: the marker ran once.
    expect(await linesOnHost(2, file)).toHaveLength(1);
    const row = await recordFaultRow(system.cassandra, system.keyspace, runId, 'worker SIGTERM past grace: handed back', expectedOpsOf(entries), { hostRerun: 0, opsRunTwice: 0 });
    expect(row).toMatchObject({ hostsConverged: 1, resultsWritten: 2, duplicated: 0, lost: 0 });
  }, 120_000);

  it('the results consumer writes the results it holds before it exits', async () => {
    system.startWorkers(1, ['--concurrency', '5']);
    const consumer = system.startResults();
    await waitUntil('results consumer to start', () => /writing results/.test(consumer.output()));
    const { runId, entries } = await runOn(3, [markerOp(0, file), sleepOp(1, 3)]);
    // Cassandra frozen while host3 runs: the consumer takes its result and the write hangs.
    pauseCassandra(true);
    try {
      await waitUntil('the consumer to hold the result', async () => (await resultBacklog(system)).pending === 1, { timeoutMs: 30_000 });
      consumer.child.kill('SIGTERM');
      await sleep(2_000);
      expect(consumer.child.exitCode).toBeNull(); // still flushing, not gone
    } finally {
      pauseCassandra(false);
    }
    expect(await consumer.exited).toBe(0);
    expect(consumer.output()).toMatch(/SIGTERM, flushing[\s\S]*flushed, exiting/);
    expect(await resultBacklog(system)).toEqual({ waiting: 0, pending: 0 });
    expect((await progressOf(system, runId)).hostsDone).toBe(1);
    const row = await recordFaultRow(system.cassandra, system.keyspace, runId, 'results consumer SIGTERM mid-write', expectedOpsOf(entries));
    expect(row).toMatchObject({ hostsConverged: 1, resultsWritten: 2, duplicated: 0, lost: 0 });
  }, 120_000);
});
