import { resultStore } from '@simplecm/store';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';
import {
  closeFaultSystem,
  expectedOpsOf,
  hangHost,
  hostJobsOf,
  linesOnHost,
  markerOp,
  outputOf,
  recordFaultRow,
  restoreStack,
  resumeHost,
  sleepOp,
  startEnqueue,
  waitUntil,
} from '../support/faults';

describe('unreachable and hung hosts', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await createTestSystem('fault_unreach');
  });
  afterAll(async () => {
    try {
      resumeHost(5);
      await closeFaultSystem(system);
    } finally {
      await restoreStack();
    }
  });

  it('a hung sshd and a vanished host time out, are retried for connection errors only, and do not hold up the fleet', async () => {
    const file = '/root/faults/unreachable';
    await Promise.all([1, 2, 3, 4].map((n) => onHost(n, `rm -f ${file}`)));
    const entries = [
      ...[1, 2, 3].map((n) => ({ host: stackHost(n), operations: [markerOp(0, file)] })),
      // host4's operation runs past the operation timeout: a failed operation, never retried.
      { host: stackHost(4), operations: [markerOp(0, file), sleepOp(1, 60)] },
      { host: stackHost(5), operations: [markerOp(0, file)] },
      // Nothing listens there: connection refused.
      { host: stackHost(99, { hostname: 'gone', address: '127.10.99.99' }), operations: [markerOp(0, file)] },
    ];
    await putDesiredState(system, entries);
    const workers = system.startWorkers(1, ['--concurrency', '10', '--connect-timeout', '3000', '--retry-max-delay', '1000']);
    system.startResults();
    hangHost(5);
    const enqueue = startEnqueue(system, ['--hosts', 'host1,host2,host3,host4,host5,gone', '--connect-attempts', '3', '--operation-timeout', '2', '--wait']);
    try {
      // Bounded, with every process's output when it is not done: a hang here is the bug to see.
      await waitUntil('the run to end', () => enqueue.child.exitCode !== null, { timeoutMs: 150_000, intervalMs: 500, detail: () => outputOf([enqueue, ...system.processes]) });
    } finally {
      resumeHost(5);
    }
    expect(await enqueue.exited).toBe(1);
    const runId = await enqueue.runId();
    const hosts = new Map((await resultStore(system.cassandra, system.keyspace).pageRunHosts(runId, { pageSize: 50 })).items.map((h) => [h.hostname, h]));

    expect(hosts.get('host5')).toMatchObject({ status: 'unreachable' });
    expect(hosts.get('host5')!.cause).toMatch(/^timeout: no SSH session within 3000 ms/);
    expect(hosts.get('gone')).toMatchObject({ status: 'unreachable' });
    expect(hosts.get('gone')!.cause).toMatch(/^unreachable: .*ECONNREFUSED/);
    // Connection errors: three attempts each, with backoff in between.
    const log = outputOf(workers);
    for (const host of ['host5', 'gone']) {
      expect(log).toMatch(new RegExp(`${host}: .*attempt 1/3, will retry`));
      expect(log).toMatch(new RegExp(`${host}: .*attempt 2/3, will retry`));
      expect(log).not.toMatch(new RegExp(`${host}: .*attempt 3/3`));
    }
    // A failed operation is a result, not a retry: host4 ran once and timed out.
    expect(hosts.get('host4')).toMatchObject({ status: 'failed' });
    expect(hosts.get('host4')!.cause).toMatch(/^timeout: .*ran past 2 s/);
    expect(await linesOnHost(4, file)).toHaveLength(1);
    const [host4Job] = await hostJobsOf(system, runId, ['host4']);
    expect(host4Job!.attemptsMade).toBeLessThanOrEqual(1);
    // The rest of the fleet finished before the hung host's last attempt even started.
    const hung = hosts.get('host5')!;
    for (const n of [1, 2, 3]) {
      const host = hosts.get(`host${n}`)!;
      expect(host.status).toBe('changed');
      expect(host.endedAt!.getTime()).toBeLessThan(hung.startedAt!.getTime());
    }
    // The hung host answers again once continued.
    expect((await onHost(5, 'hostname')).stdout.trim()).toBe('host5');

    const row = await recordFaultRow(system.cassandra, system.keyspace, runId, 'sshd SIGSTOPped + host gone + op timeout', expectedOpsOf(entries));
    expect(row).toMatchObject({ hostsInRun: 6, hostsRecorded: 6, hostsConverged: 3, resultsExpected: 7, resultsWritten: 7, duplicated: 0, lost: 0 });
  }, 240_000);
});
