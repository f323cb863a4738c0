import { randomUUID } from 'node:crypto';
import { runKeyKey } from '@simplecm/queue';
import { runStore } from '@simplecm/store';
import { startMaster } from '../support/master';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';
import { allHostJobIds, closeFaultSystem, expectedOpsOf, killHard, linesOnHost, markerOp, recordFaultRow, startEnqueue, waitUntil, withRedis } from '../support/faults';

const HOSTS = [1, 2, 3, 4, 5];

/**
 * Two resident masters, one SIGKILLed mid-plan. Kills only the test's own master process: no
 * shared service is stopped, so this file may run against a stack others use.
 */
describe('resident masters: one killed mid-plan', () => {
  let system: TestSystem;
  const file = `/tmp/simplecm-faults-masters-${randomUUID().slice(0, 8)}`;
  const entries = HOSTS.map((n) => ({ host: stackHost(n), operations: [markerOp(0, file)] }));
  // Short locks: a dead master's request goes back to the queue ~3 s after its last renewal.
  const lockArgs = ['--lock-duration', '3000', '--stalled-interval', '1000'];
  beforeAll(async () => {
    system = await createTestSystem('fault_resident');
    await putDesiredState(system, entries);
    system.startWorkers(1, ['--concurrency', '10']);
    system.startResults();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -f ${file}`).catch(() => undefined)));
    await closeFaultSystem(system);
  });

  it('the request goes to the other master, which joins the same run: no host enqueued or converged twice', async () => {
    // m1 alone takes the request; two hosts per batch and a pause after each, so the kill lands mid-plan.
    const m1 = await startMaster(system, 'm1', lockArgs, { SIMPLECM_ENQUEUE_BATCH_SIZE: '2', SIMPLECM_ENQUEUE_BATCH_PAUSE_MS: '60000' });
    const key = `resident-${Date.now()}`;
    const runsBefore = (await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 })).length;
    const submitter = startEnqueue(system, ['--run-key', key, '--wait']);
    const runId = await waitUntil('m1 to claim the run key', () => withRedis(system, (redis) => redis.get(runKeyKey(system.prefix, key))), { timeoutMs: 60_000 });
    await waitUntil('the first batch of host jobs', async () => (await allHostJobIds(system)).filter((id) => id.includes(runId)).length >= 2, { timeoutMs: 60_000 });
    await startMaster(system, 'm2', lockArgs);
    await killHard(m1);
    const afterCrash = (await allHostJobIds(system)).filter((id) => id.includes(runId));
    expect(afterCrash.length).toBeGreaterThanOrEqual(2);
    expect(afterCrash.length).toBeLessThan(5);

    expect(await submitter.exited).toBe(0);
    expect(await submitter.runId()).toBe(runId);
    expect((await allHostJobIds(system)).filter((id) => id.includes(runId))).toHaveLength(5);
    expect((await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 })).length).toBe(runsBefore + 1);
    const executions = await Promise.all(HOSTS.map((n) => linesOnHost(n, file)));
    expect(executions.map((l) => l.length)).toEqual([1, 1, 1, 1, 1]);
    expect(await runStore(system.cassandra, system.keyspace).getRun(runId)).toMatchObject({ status: 'finished', hostCount: 5, hostsDone: 5 });
    const row = await recordFaultRow(system.cassandra, system.keyspace, runId, 'resident master SIGKILLed mid-plan, request redelivered to another', expectedOpsOf(entries), { hostRerun: 0 });
    expect(row).toMatchObject({ hostsInRun: 5, hostsConverged: 5, resultsWritten: 5, duplicated: 0, lost: 0 });
  }, 180_000);
});
