import { resultStore } from '@simplecm/store';
import { createTestSystem, putDesiredState, stackHost, type TestSystem } from '../support/system';
import {
  closeFaultSystem,
  expectedOpsOf,
  hostJobsOf,
  killHard,
  linesOnHost,
  markerOp,
  outputOf,
  recordFaultRow,
  restoreStack,
  sleepOp,
  startEnqueue,
  waitUntil,
} from '../support/faults';
import { onHost } from '../support/system';

// Short locks so a dead worker's host is taken over within seconds (production: 60 s / 30 s).
const LOCKS = ['--lock-duration', '2000', '--stalled-interval', '1000'];

describe('a worker dies in the middle of a host', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await createTestSystem('fault_worker');
    system.startResults();
  });
  afterAll(async () => {
    try {
      await closeFaultSystem(system);
    } finally {
      await restoreStack();
    }
  });

  it('SIGKILL mid-operations: another worker takes the hosts over and each operation has one result', async () => {
    const file = '/root/faults/worker-crash';
    await Promise.all([1, 2, 3].map((n) => onHost(n, `rm -f ${file}`)));
    const entries = [1, 2, 3].map((n) => ({ host: stackHost(n), operations: [markerOp(0, file), sleepOp(1, 4), sleepOp(2, 1)] }));
    await putDesiredState(system, entries);
    const [doomed] = system.startWorkers(1, [...LOCKS, '--concurrency', '5']);
    const enqueue = startEnqueue(system, ['--hosts', 'host1,host2,host3', '--wait']);
    const runId = await enqueue.runId();
    // Every host has started its operations on the doomed worker (its marker line is there).
    await waitUntil('all three hosts to start on the first worker', async () => (await Promise.all([1, 2, 3].map((n) => linesOnHost(n, file)))).every((l) => l.length === 1), { timeoutMs: 60_000 });
    await killHard(doomed!);
    const [survivor] = system.startWorkers(1, [...LOCKS, '--concurrency', '5']);
    expect(await enqueue.exited).toBe(0);

    const jobs = await hostJobsOf(system, runId, ['host1', 'host2', 'host3']);
    expect(jobs.map((j) => j.state)).toEqual(['completed', 'completed', 'completed']);
    expect(jobs.every((j) => j.stalledCounter >= 1)).toBe(true); // taken over through stall detection
    const hostRuns = await Promise.all([1, 2, 3].map((n) => linesOnHost(n, file)));
    // Each host ran twice (the dead worker's attempt, then the survivor's): modules are idempotent.
    expect(hostRuns.map((l) => l.length)).toEqual([2, 2, 2]);
    // The survivor (w2) recorded every host; the dead worker (w1) none.
    const recorded = (await resultStore(system.cassandra, system.keyspace).pageRunHosts(runId, { pageSize: 10 })).items;
    expect(recorded.map((h) => h.worker)).toEqual(['w2', 'w2', 'w2']);
    expect(outputOf([survivor!])).toMatch(/consuming host jobs/);

    const row = await recordFaultRow(system.cassandra, system.keyspace, runId, 'worker SIGKILLed mid-host (stall takeover)', expectedOpsOf(entries), {
      hostRerun: hostRuns.reduce((sum, l) => sum + l.length - 1, 0),
    });
    expect(row).toMatchObject({ hostsInRun: 3, hostsRecorded: 3, hostsConverged: 3, resultsExpected: 9, resultsWritten: 9, duplicated: 0, lost: 0 });
  }, 180_000);

  it('a host running for many lock durations keeps its lock: with two workers it runs once', async () => {
    const file = '/root/faults/long-host';
    await onHost(4, `rm -f ${file}`);
    // 12 s on the host, with a 2 s lock checked every second: six lock durations.
    const entries = [{ host: stackHost(4), operations: [markerOp(0, file), sleepOp(1, 12)] }];
    await putDesiredState(system, entries);
    system.startWorkers(2, [...LOCKS, '--concurrency', '5']);
    const { code, runId } = await system.enqueue(['--hosts', 'host4', '--wait']);
    expect(code).toBe(0);
    expect(await linesOnHost(4, file)).toHaveLength(1);
    const [job] = await hostJobsOf(system, runId!, ['host4']);
    expect(job).toMatchObject({ state: 'completed', stalledCounter: 0 });
    const row = await recordFaultRow(system.cassandra, system.keyspace, runId!, 'none: host busy 6× lock duration, 2 workers', expectedOpsOf(entries), { hostRerun: 0 });
    expect(row).toMatchObject({ hostsConverged: 1, resultsWritten: 2, duplicated: 0, lost: 0 });
  }, 120_000);
});
