import { Queue } from 'bullmq';
import { RUN_REQUESTS_QUEUE, scheduleSchedulerId } from '@simplecm/queue';
import { runStore } from '@simplecm/store';
import { startProcess } from '@simplecm/stack';
import { markerOp, waitUntil, withRedis } from '../support/faults';
import { startMaster } from '../support/master';
import { createTestSystem, putDesiredState, stackHost, type TestSystem } from '../support/system';

interface ListJson {
  schedules: Array<{ schedule: { name: string; paused: boolean; options: { mode: string } }; next: number | null; lastRunId: string | null }>;
}

describe('schedules (simplecm schedule) fired by the resident master', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await createTestSystem('schedules');
    // No worker: a scheduled run's hosts stay waiting, so the next firings must be skipped.
    await putDesiredState(system, [1, 2].map((n) => ({ host: stackHost(n), operations: [markerOp(0, '/tmp/simplecm-schedules-never')] })));
  }, 120_000);
  afterAll(async () => {
    await system?.close();
  });

  async function schedule(args: string[]): Promise<{ code: number | string; output: string }> {
    const started = startProcess('schedule', args, system.env);
    system.processes.push(started);
    return { code: await started.exited, output: started.output() };
  }
  const scheduledRuns = async () => (await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 })).filter((r) => r.target.endsWith(' schedule:probe'));
  const schedulerOf = (name: string) =>
    withRedis(system, async (connection) => {
      const queue = new Queue(RUN_REQUESTS_QUEUE, { connection, prefix: system.prefix });
      try {
        return await queue.getJobScheduler(scheduleSchedulerId(name));
      } finally {
        await queue.close();
      }
    });

  it('fires runs on --every, skips a firing while the previous run still has hosts waiting, and can be listed, paused, resumed and removed', async () => {
    const master = await startMaster(system, 'sched-m1');
    expect(await schedule(['add', 'probe', '--every', '1s', '--check', '--limit', 'host1'])).toMatchObject({ code: 0 });

    const [run] = await waitUntil('the schedule to start a run', async () => {
      const runs = await scheduledRuns();
      return runs.length > 0 ? runs : undefined;
    });
    expect(run).toMatchObject({ mode: 'check', hostCount: 1, target: 'limit:host1 schedule:probe' });
    await waitUntil('a firing to be skipped', () => master.output().includes(`schedule probe: skipped: schedule probe: its previous run ${run!.runId} still has hosts waiting`), { detail: master.output });
    expect((await scheduledRuns()).map((r) => r.runId)).toEqual([run!.runId]);

    const listed = await schedule(['list', '--json']);
    expect(listed.code).toBe(0);
    const list = JSON.parse(listed.output) as ListJson;
    expect(list.schedules).toHaveLength(1);
    expect(list.schedules[0]).toMatchObject({ schedule: { name: 'probe', paused: false, options: { mode: 'check' } }, lastRunId: run!.runId });
    expect(list.schedules[0]!.next).toEqual(expect.any(Number));

    expect(await schedule(['pause', 'probe'])).toMatchObject({ code: 0 });
    expect(await schedulerOf('probe')).toBeUndefined();
    expect((JSON.parse((await schedule(['list', '--json'])).output) as ListJson).schedules[0]).toMatchObject({ schedule: { paused: true }, next: null });
    expect(await schedule(['resume', 'probe'])).toMatchObject({ code: 0 });
    expect(await schedulerOf('probe')).toMatchObject({ every: 1000 });

    expect(await schedule(['remove', 'probe'])).toMatchObject({ code: 0 });
    expect(await schedulerOf('probe')).toBeUndefined();
    expect((JSON.parse((await schedule(['list', '--json'])).output) as ListJson).schedules).toEqual([]);
    expect(await schedule(['pause', 'probe'])).toMatchObject({ code: 2 });
  }, 180_000);

  it('refuses a bad schedule as bad input', async () => {
    expect(await schedule(['add', 'bad', '--every', '5 minutes'])).toMatchObject({ code: 2 });
    expect(await schedule(['add', 'bad', '--every', '5m', '--cron', '0 * * * *'])).toMatchObject({ code: 2 });
    expect(await schedule(['add', 'bad'])).toMatchObject({ code: 2 });
  }, 60_000);
});
