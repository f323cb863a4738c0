import { runStore } from '@simplecm/store';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';
import {
  closeFaultSystem,
  expectedOpsOf,
  hostJobsOf,
  killRedis,
  linesOnHost,
  markerOp,
  recordFaultRow,
  restoreStack,
  sleep,
  sleepOp,
  startEnqueue,
  startRedis,
  waitUntil,
} from '../support/faults';

const HOSTS = [1, 2, 3, 4, 5];

describe('Redis dies mid-run', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await createTestSystem('fault_redis');
  });
  afterAll(async () => {
    try {
      await restoreStack();
    } finally {
      await closeFaultSystem(system);
    }
  });

  it('redis-server SIGKILLed and restarted from its AOF: workers, consumer and enqueue --wait reconnect; no job lost', async () => {
    const file = '/root/faults/redis-outage';
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -f ${file}`)));
    const entries = HOSTS.map((n) => ({ host: stackHost(n), operations: [markerOp(0, file), sleepOp(1, 4), sleepOp(2, 1)] }));
    await putDesiredState(system, entries);
    system.startWorkers(2, ['--concurrency', '10']);
    system.startResults();
    const enqueue = startEnqueue(system, ['--hosts', HOSTS.map((n) => `host${n}`).join(','), '--wait']);
    const runId = await enqueue.runId();
    await waitUntil('every host to start', async () => (await Promise.all(HOSTS.map((n) => linesOnHost(n, file)))).every((l) => l.length >= 1), { timeoutMs: 60_000 });
    // A second passes so the enqueued jobs are in the AOF (fsync every second), then the kill.
    await sleep(1_200);
    try {
      await killRedis();
      await sleep(3_000); // hosts keep running their operations while Redis is gone
    } finally {
      await startRedis();
    }
    expect(await enqueue.exited).toBe(0);
    expect(enqueue.output()).toMatch(/waiting for Redis/);

    const jobs = await hostJobsOf(system, runId, HOSTS.map((n) => `host${n}`));
    expect(jobs.map((j) => j.state)).toEqual(HOSTS.map(() => 'completed'));
    const run = await runStore(system.cassandra, system.keyspace).getRun(runId);
    expect(run).toMatchObject({ status: 'finished', hostsDone: 5 });
    const executions = await Promise.all(HOSTS.map((n) => linesOnHost(n, file)));
    const row = await recordFaultRow(system.cassandra, system.keyspace, runId, 'redis-server SIGKILLed, restarted (AOF)', expectedOpsOf(entries), {
      hostRerun: executions.reduce((sum, l) => sum + l.length - 1, 0),
    });
    expect(row).toMatchObject({ hostsInRun: 5, hostsRecorded: 5, hostsConverged: 5, resultsExpected: 15, resultsWritten: 15, duplicated: 0, lost: 0 });
  }, 180_000);
});
