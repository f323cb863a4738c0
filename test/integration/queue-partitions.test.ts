import { Queue } from 'bullmq';
import { hostPartition, partitionPrefixes } from '@simplecm/config';
import { HOSTS_QUEUE, hostJobId, pendingJobsOfRun, readRunEvents, readRunProgress, RUN_EVENTS_START } from '@simplecm/queue';
import { resultStore, runStore } from '@simplecm/store';
import { startProcess, stopStarted, type Started } from '@simplecm/stack';
import { linesOnHost, markerOp, sleepOp, startEnqueue, startResultsWith, waitUntil, withRedis } from '../support/faults';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';

// Queue partitions (issue 20) on the stack's single Redis: K = 3, the five stack hosts spread
// over all three (host1…5 → partitions 1, 0, 2, 1, 0), workers and results consumers each
// serving a subset, so that a run only finishes if every partition is served and summed.
const K = 3;
const HOSTS = [1, 2, 3, 4, 5];
const hostname = (n: number) => `host${n}`;

describe('K = 3 queue partitions on one Redis', () => {
  let system: TestSystem;
  let prefixes: string[];
  let marks: string;
  let workers: Started[] = [];

  beforeAll(async () => {
    system = await createTestSystem('parts', { SIMPLECM_QUEUE_PARTITIONS: String(K) });
    prefixes = partitionPrefixes(system.prefix, K);
    marks = `/tmp/simplecm-${system.prefix}/marks`;
    // The test means something only if the hosts fall in every partition.
    expect(new Set(HOSTS.map((n) => hostPartition(hostname(n), K)))).toEqual(new Set([0, 1, 2]));
    await putDesiredState(system, HOSTS.map((n) => ({ host: stackHost(n), operations: [markerOp(0, marks)] })));
    workers = [...system.startWorkers(1, ['--partitions', '0', '--concurrency', '2']), ...system.startWorkers(1, ['--partitions', '1,2', '--concurrency', '2'])];
    startResultsWith(system, ['--partitions', '0,2']);
    startResultsWith(system, ['--partitions', '1']);
  }, 120_000);
  afterAll(async () => {
    if (system) await Promise.all(HOSTS.map((n) => onHost(n, `rm -rf /tmp/simplecm-${system.prefix}`).catch(() => undefined)));
    await system?.close();
  });

  it('a run converges each host once, in its own partition, and the partitions\' progress sums to the run', async () => {
    const { code, runId, output } = await system.enqueue(['--wait']);
    // On failure, the run's report (which host failed, and why) is what jest shows.
    expect(code === 0 ? 0 : output).toBe(0);
    expect(await runStore(system.cassandra, system.keyspace).getRun(runId!)).toMatchObject({ status: 'finished', hostCount: 5, hostsDone: 5 });
    for (const n of HOSTS) {
      // One line per execution of the marker operation: each host ran once.
      expect({ host: n, lines: (await linesOnHost(n, marks)).length }).toEqual({ host: n, lines: 1 });
      expect((await resultStore(system.cassandra, system.keyspace).getOperationResults(runId!, hostname(n))).map((o) => o.status)).toEqual(['changed']);
    }

    await withRedis(system, async (redis) => {
      for (const [index, prefix] of prefixes.entries()) {
        const mine = HOSTS.map(hostname).filter((h) => hostPartition(h, K) === index);
        // Each partition's done set holds its own hosts, and its job queue only their jobs.
        expect((await redis.smembers(`${prefix}:run:${runId}:done`)).sort()).toEqual(mine);
        expect((await readRunProgress(redis, prefix, runId!)).hostsDone).toBe(mine.length);
        const queue = new Queue(HOSTS_QUEUE, { connection: redis, prefix });
        try {
          for (const n of HOSTS) {
            const job = await queue.getJob(hostJobId(runId!, hostname(n)));
            expect({ host: n, partition: index, here: job !== undefined }).toEqual({ host: n, partition: index, here: mine.includes(hostname(n)) });
            if (job) expect({ host: n, state: await job.getState() }).toEqual({ host: n, state: 'completed' });
          }
        } finally {
          await queue.close();
        }
      }
      // Summed, the run's totals; nothing of a host under the queue prefix itself.
      expect(await readRunProgress(redis, prefixes, runId!)).toMatchObject({ hostsDone: 5, hostsFailed: 0, counts: { changed: 5 } });
      expect(await redis.exists(`${system.prefix}:${HOSTS_QUEUE}:${hostJobId(runId!, 'host1')}`, `${system.prefix}:run:${runId}:done`)).toBe(0);
      // The run's events are the run's: under the prefix, with the summed totals at the end.
      const { events } = await readRunEvents(redis, system.prefix, runId!, RUN_EVENTS_START, 1);
      expect(events.at(-1)).toEqual({ kind: 'progress', hostsDone: 5, hostsFailed: 0 });
    });
    const logs = workers.map((w) => w.output()).join('\n');
    expect(logs).toContain('queue partitions 0 of 3 (concurrency 2)');
    expect(logs).toContain('queue partitions 1,2 of 3 (concurrency 1+1)');
  }, 180_000);

  it('cancel removes the waiting host jobs of every partition and the counts add up', async () => {
    await Promise.all(workers.map((w) => stopStarted(w)));
    // Only partition 1 (host1, host4) is served, one host at a time: one host runs, the other
    // four wait, in all three partitions.
    await putDesiredState(system, HOSTS.map((n) => ({ host: stackHost(n), operations: [sleepOp(0, 6)] })));
    workers = system.startWorkers(1, ['--partitions', '1', '--concurrency', '1']);
    const waiter = startEnqueue(system, ['--wait']);
    const runId = await waiter.runId();
    await waitUntil('a host to run and four to wait', () =>
      withRedis(system, async (redis) => {
        const pending = await pendingJobsOfRun(redis, prefixes, runId);
        return pending.active.length === 1 && pending.waiting.length === 4;
      }),
    );
    await withRedis(system, async (redis) => {
      for (const prefix of prefixes) expect((await pendingJobsOfRun(redis, prefix, runId)).waiting.length).toBeGreaterThan(0);
    });

    const cancel = startProcess('cancel', [runId], system.env);
    system.processes.push(cancel);
    const code = await cancel.exited;
    expect({ code, output: cancel.output() }).toMatchObject({ code: 0 });
    expect(cancel.output()).toContain(`run ${runId}: cancelled (4 waiting host job(s) removed); hosts: 1 done + 4 cancelled = 5`);
    expect(await runStore(system.cassandra, system.keyspace).getRun(runId)).toMatchObject({ status: 'cancelled', hostCount: 5, hostsDone: 1, hostsCancelled: 4 });
    await withRedis(system, async (redis) => {
      expect(await pendingJobsOfRun(redis, prefixes, runId)).toEqual({ waiting: [], active: [], results: 0 });
      expect((await readRunProgress(redis, prefixes, runId)).hostsDone).toBe(1);
    });
    expect(await waiter.exited).toBe(0);
    expect(waiter.output()).toMatch(/1\/5 hosts \(4 cancelled\)/);
  }, 180_000);
});
