import { pendingJobsOfRun, readRunEvents, RUN_EVENTS_START } from '@simplecm/queue';
import { runStore } from '@simplecm/store';
import { startProcess } from '@simplecm/stack';
import { allHostJobIds, sleepOp, startEnqueue, waitUntil, withRedis } from '../support/faults';
import { createTestSystem, putDesiredState, stackHost, type TestSystem } from '../support/system';

const HOSTS = [1, 2, 3];

async function cancel(system: TestSystem, args: string[]): Promise<{ code: number | string; output: string }> {
  const started = startProcess('cancel', args, system.env);
  system.processes.push(started);
  return { code: await started.exited, output: started.output() };
}

describe('simplecm cancel', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await createTestSystem('cancel');
    // One host at a time, each sleeping: one runs while the others wait.
    await putDesiredState(system, HOSTS.map((n) => ({ host: stackHost(n), operations: [sleepOp(0, 8)] })));
    system.startWorkers(1, ['--concurrency', '1']);
    system.startResults();
  }, 120_000);
  afterAll(async () => {
    await system?.close();
  });

  it('removes the waiting hosts, lets the running one finish, and records the run cancelled with counts that add up', async () => {
    const waiter = startEnqueue(system, ['--wait']);
    const runId = await waiter.runId();
    await waitUntil('a host of the run to be running', () => withRedis(system, async (redis) => (await pendingJobsOfRun(redis, system.prefix, runId)).active.length === 1), { timeoutMs: 60_000 });

    const { code, output } = await cancel(system, [runId]);
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toContain(`run ${runId}: cancelled (2 waiting host job(s) removed); hosts: 1 done + 2 cancelled = 3`);
    const run = await runStore(system.cassandra, system.keyspace).getRun(runId);
    expect(run).toMatchObject({ status: 'cancelled', hostCount: 3, hostsDone: 1, hostsCancelled: 2 });
    expect(run!.counts.changed + run!.counts.ok).toBe(1);
    // Only the host that ran still has a job; the waiting ones were removed.
    expect((await allHostJobIds(system)).filter((id) => id.includes(runId))).toHaveLength(1);
    // `run --wait` learns of the cancel (the cancel's run event) and ends with the recap.
    const { events } = await withRedis(system, (redis) => readRunEvents(redis, system.prefix, runId, RUN_EVENTS_START, 1));
    expect(events).toContainEqual({ kind: 'cancelled', hostsCancelled: 2 });
    expect(await waiter.exited).toBe(0);
    expect(waiter.output()).toMatch(/1\/3 hosts \(2 cancelled\)/);

    const again = await cancel(system, [runId, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.output)).toMatchObject({ runId, result: 'already-cancelled', hostsDone: 1, hostsCancelled: 2, hostCount: 3 });
  }, 180_000);

  it('a cancel racing the last host: nothing left to remove, the host finishes, counts still add up', async () => {
    const waiter = startEnqueue(system, ['--hosts', 'host2', '--wait']);
    const runId = await waiter.runId();
    await waitUntil('the last host to be running', () => withRedis(system, async (redis) => (await pendingJobsOfRun(redis, system.prefix, runId)).active.length === 1), { timeoutMs: 60_000 });
    const { code, output } = await cancel(system, [runId]);
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toContain(`run ${runId}: cancelled (0 waiting host job(s) removed); hosts: 1 done + 0 cancelled = 1`);
    expect(await runStore(system.cassandra, system.keyspace).getRun(runId)).toMatchObject({ status: 'cancelled', hostCount: 1, hostsDone: 1, hostsCancelled: 0 });
    expect(await waiter.exited).toBe(0);
  }, 180_000);

  it('refuses a run that does not exist (exit 2)', async () => {
    const { code, output } = await cancel(system, ['e1270960-caf1-11f0-9d7b-0b4a1c2d3e4f']);
    expect({ code, output }).toMatchObject({ code: 2 });
    expect(output).toMatch(/no run/);
  }, 60_000);

  it('names a malformed run id in one line (exit 2), before connecting', async () => {
    const { code, output } = await cancel(system, ['00000000-0000-0000-0000-000000000000']);
    expect({ code, output: output.trim() }).toEqual({ code: 2, output: expect.stringMatching(/^cancel: <runId> '00000000-0000-0000-0000-000000000000' is not a run id .*usage: simplecm cancel/) });
  }, 60_000);
});
