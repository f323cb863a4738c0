import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { RUN_REQUESTS_QUEUE, scheduleSchedulerId } from '@simplecm/queue';
import { runStore } from '@simplecm/store';
import { startProcess } from '@simplecm/stack';
import { startMaster } from '../support/master';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';
import { closeFaultSystem, killRedis, linesOnHost, markerOp, restoreStack, sleep, startRedis, waitUntil, withRedis } from '../support/faults';

/**
 * A schedule firing while Redis restarts (issue 17): redis-server SIGKILLed and restarted from
 * its AOF while a resident master fires a schedule every 2 s. The master rides out the outage,
 * the schedule (a BullMQ job scheduler, kept in Redis) keeps firing afterwards, and no host is
 * converged twice by one run. Stops and restarts the shared Redis: the lead runs it with the
 * fault suite, never next to other sessions.
 */
describe('a schedule firing while Redis restarts', () => {
  let system: TestSystem;
  const file = `/tmp/simplecm-faults-schedule-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    system = await createTestSystem('fault_schedule');
    await putDesiredState(system, [{ host: stackHost(1), operations: [markerOp(0, file)] }]);
    system.startWorkers(1, ['--concurrency', '4']);
    system.startResults();
  }, 120_000);
  afterAll(async () => {
    try {
      await restoreStack();
    } finally {
      await onHost(1, `rm -f ${file}`).catch(() => undefined);
      await closeFaultSystem(system);
    }
  });

  const scheduledRuns = async () => (await runStore(system.cassandra, system.keyspace).listRuns({ limit: 500 })).filter((r) => r.target.endsWith(' schedule:tick'));

  it('the master rides out the outage and the schedule fires again after it; no run converges its host twice', async () => {
    const master = await startMaster(system, 'fault-sched', ['--lock-duration', '5000', '--stalled-interval', '1000']);
    const add = startProcess('schedule', ['add', 'tick', '--every', '2s', '--limit', 'host1'], system.env);
    system.processes.push(add);
    expect(await add.exited).toBe(0);
    await waitUntil('a scheduled run to finish', async () => (await scheduledRuns()).some((r) => r.status === 'finished'), { timeoutMs: 60_000 });
    // A second passes so the scheduler's state is in the AOF (fsync every second), then the kill.
    await sleep(1_200);
    try {
      await killRedis();
      await sleep(3_000);
    } finally {
      await startRedis();
    }
    const before = new Set((await scheduledRuns()).map((r) => r.runId));
    await waitUntil('a run started after the restart to finish', async () => (await scheduledRuns()).some((r) => !before.has(r.runId) && r.status === 'finished'), { timeoutMs: 120_000, detail: master.output });
    expect(master.child.exitCode).toBeNull();
    const scheduler = await withRedis(system, async (connection) => {
      const queue = new Queue(RUN_REQUESTS_QUEUE, { connection, prefix: system.prefix });
      try {
        return await queue.getJobScheduler(scheduleSchedulerId('tick'));
      } finally {
        await queue.close();
      }
    });
    expect(scheduler).toMatchObject({ every: 2000 });

    const remove = startProcess('schedule', ['remove', 'tick'], system.env);
    system.processes.push(remove);
    expect(await remove.exited).toBe(0);
    // Every run converges host1 at most once: one line per finished run, none extra.
    const runs = await scheduledRuns();
    const finished = runs.filter((r) => r.status === 'finished');
    expect(finished.every((r) => r.hostCount === 1 && r.hostsDone === 1)).toBe(true);
    const lines = await linesOnHost(1, file);
    expect(lines.length).toBeGreaterThanOrEqual(finished.length);
    expect(lines.length).toBeLessThanOrEqual(runs.length);
  }, 300_000);
});
