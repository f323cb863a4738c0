import { runStore } from '@simplecm/store';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';
import {
  allHostJobIds,
  closeFaultSystem,
  expectedOpsOf,
  killHard,
  linesOnHost,
  markerOp,
  recordFaultRow,
  restoreStack,
  startEnqueue,
  waitUntil,
} from '../support/faults';

const HOSTS = [1, 2, 3, 4, 5];

describe('several masters enqueue the same run', () => {
  let system: TestSystem;
  const file = '/root/faults/masters';
  const entries = HOSTS.map((n) => ({ host: stackHost(n), operations: [markerOp(0, file)] }));
  beforeAll(async () => {
    system = await createTestSystem('fault_masters');
    await putDesiredState(system, entries);
    system.startWorkers(2, ['--concurrency', '10']);
    system.startResults();
  });
  beforeEach(async () => {
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -f ${file}`)));
  });
  afterAll(async () => {
    try {
      await closeFaultSystem(system);
    } finally {
      await restoreStack();
    }
  });

  it('two enqueues started at once with one --run-key join one run: one job and one execution per host', async () => {
    const runsBefore = (await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 })).length;
    const key = `deploy-${Date.now()}`;
    const a = startEnqueue(system, ['--run-key', key, '--wait']);
    const b = startEnqueue(system, ['--run-key', key, '--wait']);
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
    const runId = await a.runId();
    expect(await b.runId()).toBe(runId);
    expect((await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 })).length).toBe(runsBefore + 1);
    expect((await allHostJobIds(system)).filter((id) => id.includes(runId))).toHaveLength(5);
    const executions = await Promise.all(HOSTS.map((n) => linesOnHost(n, file)));
    expect(executions.map((l) => l.length)).toEqual([1, 1, 1, 1, 1]);
    const row = await recordFaultRow(system.cassandra, system.keyspace, runId, 'two masters at once, same --run-key', expectedOpsOf(entries), { hostRerun: 0 });
    expect(row).toMatchObject({ hostsInRun: 5, hostsConverged: 5, resultsWritten: 5, duplicated: 0, lost: 0 });
  }, 120_000);

  it('an enqueue SIGKILLed half-way and retried with its --run-key completes the same run, no host twice', async () => {
    const key = `retry-${Date.now()}`;
    const jobsBefore = (await allHostJobIds(system)).length;
    // Two hosts per batch and a pause after each: the kill lands after the run and its first batch.
    const crashing = startEnqueue(system, ['--run-key', key], { SIMPLECM_ENQUEUE_BATCH_SIZE: '2', SIMPLECM_ENQUEUE_BATCH_PAUSE_MS: '10000' });
    const runId = await crashing.runId();
    await waitUntil('the first batch of host jobs', async () => (await allHostJobIds(system)).length - jobsBefore >= 2, { timeoutMs: 30_000 });
    await killHard(crashing);
    const afterCrash = (await allHostJobIds(system)).filter((id) => id.includes(runId));
    expect(afterCrash.length).toBeGreaterThanOrEqual(2);
    expect(afterCrash.length).toBeLessThan(5);

    const retried = startEnqueue(system, ['--run-key', key, '--wait']);
    expect(await retried.exited).toBe(0);
    expect(await retried.runId()).toBe(runId);
    expect((await allHostJobIds(system)).filter((id) => id.includes(runId))).toHaveLength(5);
    const executions = await Promise.all(HOSTS.map((n) => linesOnHost(n, file)));
    expect(executions.map((l) => l.length)).toEqual([1, 1, 1, 1, 1]);
    const run = await runStore(system.cassandra, system.keyspace).getRun(runId);
    expect(run).toMatchObject({ status: 'finished', hostCount: 5, hostsDone: 5 });
    const row = await recordFaultRow(system.cassandra, system.keyspace, runId, 'master SIGKILLed mid-enqueue, retried (--run-key)', expectedOpsOf(entries), { hostRerun: 0 });
    expect(row).toMatchObject({ hostsInRun: 5, hostsConverged: 5, resultsWritten: 5, duplicated: 0, lost: 0 });
  }, 120_000);
});
