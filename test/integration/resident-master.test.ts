import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { readRunEvents, RUN_EVENTS_START, RUN_REQUESTS_QUEUE, runRequestJobId } from '@simplecm/queue';
import { runStore } from '@simplecm/store';
import { allHostJobIds, linesOnHost, markerOp, startEnqueue, withRedis } from '../support/faults';
import { startMaster } from '../support/master';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';

const HOSTS = [1, 2, 3];
/** The job signing key absent from the environment ('' counts as unset): what a CLI-only machine has. */
const NO_SIGNING_KEY = { SIMPLECM_JOB_SIGNING_KEY: '' };

describe('the resident master (simplecm master)', () => {
  let system: TestSystem;
  const file = `/tmp/simplecm-master-${randomUUID().slice(0, 8)}`;
  const entries = HOSTS.map((n) => ({ host: stackHost(n), operations: [markerOp(0, file)] }));
  beforeAll(async () => {
    system = await createTestSystem('master');
    await putDesiredState(system, entries);
    system.startWorkers(1, ['--concurrency', '5']);
    system.startResults();
  }, 120_000);
  beforeEach(async () => {
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -f ${file}`)));
  });
  afterAll(async () => {
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -f ${file}`).catch(() => undefined)));
    await system?.close();
  });

  it('with no master running, simplecm run plans in-process (the fallback)', async () => {
    const { code, output, runId } = await system.enqueue(['--wait']);
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).not.toMatch(/submitted to the masters/);
    expect(await runStore(system.cassandra, system.keyspace).getRun(runId!)).toMatchObject({ status: 'finished', hostCount: 3, hostsDone: 3 });
  }, 120_000);

  it('with no master running and no signing key, simplecm run cannot plan: one line, exit 2, nothing recorded', async () => {
    const runsBefore = (await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 })).length;
    const run = startEnqueue(system, ['--wait'], NO_SIGNING_KEY);
    expect(await run.exited).toBe(2);
    expect(run.output().trim().split('\n')).toEqual([expect.stringMatching(/^enqueue: SIMPLECM_JOB_SIGNING_KEY is not set: planning in this process .*simplecm master/)]);
    expect((await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 })).length).toBe(runsBefore);
  }, 120_000);

  it('with masters running, simplecm run submits a request that one master plans; --wait works as before', async () => {
    await startMaster(system, 'm1');
    await startMaster(system, 'm2');
    const { code, output, runId } = await system.enqueue(['--wait']);
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toMatch(/request [0-9a-f-]{36}: submitted to the masters \(2 running\)/);
    expect(output).toMatch(/3 host job\(s\) enqueued/);
    expect(await runStore(system.cassandra, system.keyspace).getRun(runId!)).toMatchObject({ status: 'finished', hostCount: 3, hostsDone: 3 });
    const executions = await Promise.all(HOSTS.map((n) => linesOnHost(n, file)));
    expect(executions.map((l) => l.length)).toEqual([1, 1, 1]);
    // Exactly one of the masters planned it.
    const planners = system.processes.filter((p) => p.output().includes(`run ${runId}: 3 host job(s) enqueued (request`));
    expect(planners).toHaveLength(1);
  }, 120_000);

  it('without the signing key in its environment, simplecm run --wait succeeds through a master (the master signs)', async () => {
    const run = startEnqueue(system, ['--wait'], NO_SIGNING_KEY);
    expect({ code: await run.exited, output: run.output() }).toMatchObject({ code: 0 });
    expect(run.output()).toMatch(/submitted to the masters/);
    const runId = await run.runId();
    expect(await runStore(system.cassandra, system.keyspace).getRun(runId)).toMatchObject({ status: 'finished', hostCount: 3, hostsDone: 3 });
    expect((await Promise.all(HOSTS.map((n) => linesOnHost(n, file)))).map((l) => l.length)).toEqual([1, 1, 1]);
    // The results consumer announced the run's totals; the last event says every host is done.
    const { events } = await withRedis(system, (redis) => readRunEvents(redis, system.prefix, runId, RUN_EVENTS_START, 1));
    expect(events.at(-1)).toEqual({ kind: 'progress', hostsDone: 3, hostsFailed: 0 });
  }, 120_000);

  it('--local without the signing key fails with one clear line, exit 2, before connecting', async () => {
    const run = startEnqueue(system, ['--local', '--hosts', 'host1'], NO_SIGNING_KEY);
    expect(await run.exited).toBe(2);
    expect(run.output().trim().split('\n')).toEqual([expect.stringMatching(/^enqueue: SIMPLECM_JOB_SIGNING_KEY is not set: planning in this process \(--local/)]);
  }, 120_000);

  it("--local without the workers' seal key is refused too (sensitive values would reach Redis as they are), exit 2", async () => {
    const run = startEnqueue(system, ['--local', '--hosts', 'host1'], { SIMPLECM_SEAL_PUBLIC_KEY: '' });
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/^enqueue: SIMPLECM_SEAL_PUBLIC_KEY/m);
  }, 120_000);

  it('a request id (--run-key) submitted twice at once is one run, each host enqueued and converged once', async () => {
    const key = `master-key-${Date.now()}`;
    const a = startEnqueue(system, ['--run-key', key, '--wait']);
    const b = startEnqueue(system, ['--run-key', key, '--wait']);
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
    expect(a.output()).toMatch(/submitted to the masters/);
    const runId = await a.runId();
    expect(await b.runId()).toBe(runId);
    expect((await allHostJobIds(system)).filter((id) => id.includes(runId))).toHaveLength(3);
    const executions = await Promise.all(HOSTS.map((n) => linesOnHost(n, file)));
    expect(executions.map((l) => l.length)).toEqual([1, 1, 1]);
  }, 120_000);

  it('--local plans in-process even with masters running', async () => {
    const { code, output } = await system.enqueue(['--local', '--hosts', 'host1']);
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).not.toMatch(/submitted to the masters/);
    expect(output).toMatch(/1 host job\(s\) enqueued/);
  }, 120_000);

  it('a request for a host the inventory lacks is refused as bad input (exit 2), nothing recorded', async () => {
    const runsBefore = (await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 })).length;
    const { code, output } = await system.enqueue(['--hosts', 'no-such-host']);
    expect({ code, output }).toMatchObject({ code: 2 });
    expect(output).toMatch(/submitted to the masters/);
    expect(output).toMatch(/no-such-host/);
    expect((await runStore(system.cassandra, system.keyspace).listRuns({ limit: 100 })).length).toBe(runsBefore);
  }, 120_000);

  it('a malformed request put on the queue behind the CLI is refused, not planned', async () => {
    const failedReason = await withRedis(system, async (connection) => {
      const queue = new Queue(RUN_REQUESTS_QUEUE, { connection, prefix: system.prefix });
      try {
        const job = await queue.add('run', { requestId: 'forged', target: { kind: 'all' }, options: { mode: 'apply' }, extra: 'x' }, { jobId: runRequestJobId('forged') });
        for (let i = 0; i < 240; i++) {
          const state = await job.getState();
          if (state === 'failed' || state === 'completed') break;
          await new Promise((r) => setTimeout(r, 250));
        }
        return (await queue.getJob(job.id!))?.failedReason;
      } finally {
        await queue.close();
      }
    });
    expect(failedReason).toMatch(/^bad input: malformed run request/);
  }, 120_000);
});
