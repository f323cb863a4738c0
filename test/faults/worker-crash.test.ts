import { resultStore } from '@simplecm/store';
import { createTestSystem, putDesiredState, stackHost, type TestSystem } from '../support/system';
import {
  closeFaultSystem,
  cutSshSession,
  executedTwice,
  expectedOpsOf,
  hostJobsOf,
  killHard,
  linesOnHost,
  loggedOp,
  markerOp,
  outputOf,
  recordFaultRow,
  restoreStack,
  sleepOp,
  startEnqueue,
  waitUntil,
} from '../support/faults';
import { journalKey } from '@simplecm/ssh';
import { onHost } from '../support/system';

// Short locks for the long-host test: six lock durations in 12 s (production: 10 s / 5 s).
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

  const HOSTS = [1, 2, 3];
  const hostnames = HOSTS.map((n) => `host${n}`);

  /**
   * A run over hosts 1–3, each logging three operations to `file` on the host (the second one
   * 4 s long), on one worker: resolves once every host is in the middle of that second operation.
   */
  async function runUntilMidHost(file: string) {
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -f ${file}`)));
    const entries = HOSTS.map((n) => ({ host: stackHost(n), operations: [loggedOp(0, file, 'op0'), loggedOp(1, file, 'op1', 4), loggedOp(2, file, 'op2', 1)] }));
    await putDesiredState(system, entries);
    // The production lock settings (10 s / 5 s): the recovery in the table is what operators get.
    const [worker] = system.startWorkers(1, ['--concurrency', '5']);
    const enqueue = startEnqueue(system, ['--hosts', hostnames.join(','), '--wait']);
    const runId = await enqueue.runId();
    await waitUntil('every host to start op1', async () => (await Promise.all(HOSTS.map((n) => linesOnHost(n, file)))).every((l) => l.includes('op1')), { timeoutMs: 60_000 });
    return { entries, worker: worker!, enqueue, runId };
  }

  /** After the fault: the run finished, every operation ran once on its host; its table row. */
  async function expectRanOnce(label: string, run: Awaited<ReturnType<typeof runUntilMidHost>>, file: string, faultAt: number) {
    expect(await run.enqueue.exited).toBe(0);
    const recoverySeconds = (Date.now() - faultAt) / 1000;
    const jobs = await hostJobsOf(system, run.runId, hostnames);
    expect(jobs.map((j) => j.state)).toEqual(HOSTS.map(() => 'completed'));
    const logs = await Promise.all(HOSTS.map((n) => linesOnHost(n, file)));
    expect(logs).toEqual(HOSTS.map(() => ['op0', 'op1', 'op2']));
    const row = await recordFaultRow(system.cassandra, system.keyspace, run.runId, label, expectedOpsOf(run.entries), {
      hostRerun: 0,
      opsRunTwice: logs.reduce((sum, l) => sum + executedTwice(l), 0),
      recoverySeconds,
    });
    expect(row).toMatchObject({ hostsInRun: 3, hostsRecorded: 3, hostsConverged: 3, resultsExpected: 9, resultsWritten: 9, duplicated: 0, lost: 0, opsRunTwice: 0 });
    return jobs;
  }

  it('SIGKILL mid-operations: another worker takes the hosts over within seconds, attaches to their journals, no operation runs twice', async () => {
    const file = '/root/faults/worker-crash';
    const run = await runUntilMidHost(file);
    const killedAt = Date.now();
    await killHard(run.worker);
    const [survivor] = system.startWorkers(1, ['--concurrency', '5']);
    const jobs = await expectRanOnce('worker SIGKILLed mid-host (stall takeover, journal)', run, file, killedAt);
    expect(jobs.every((j) => j.stalledCounter >= 1)).toBe(true); // taken over through stall detection
    // The survivor (w2) attached to each host's journal and recorded every host.
    const recorded = (await resultStore(system.cassandra, system.keyspace).pageRunHosts(run.runId, { pageSize: 10 })).items;
    expect(recorded.map((h) => [h.worker, h.status])).toEqual(HOSTS.map(() => ['w2', 'changed']));
    expect(outputOf([survivor!])).toMatch(/attached to the journal/);
  }, 180_000);

  it('SSH connection cut mid-host (its sshd session process killed): the job is retried, attaches, no operation runs twice', async () => {
    const file = '/root/faults/ssh-cut';
    const run = await runUntilMidHost(file);
    const cutAt = Date.now();
    // Only the sessions of this run's connections (found by the journal their driver holds).
    for (const n of HOSTS) expect(cutSshSession(n, journalKey(run.runId, `host${n}`)).length).toBeGreaterThan(0);
    const jobs = await expectRanOnce('SSH session killed mid-host (retry, journal)', run, file, cutAt);
    expect(jobs.every((j) => j.attemptsMade >= 1)).toBe(true); // the lost connection used an attempt
    // Whichever worker had the host (the first test's survivor runs too) logged the lost connection.
    expect(outputOf(system.processes)).toMatch(/connection lost while the driver ran/);
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
