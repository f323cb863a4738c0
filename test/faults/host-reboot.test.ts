import { INTERRUPTED_NOTE } from '@simplecm/ssh';
import { rebootHost } from '@simplecm/stack';
import { resultStore } from '@simplecm/store';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';
import {
  closeFaultSystem,
  executedTwice,
  expectedOpsOf,
  hostJobsOf,
  linesOnHost,
  loggedOp,
  outputOf,
  recordFaultRow,
  startEnqueue,
  waitUntil,
} from '../support/faults';

describe('a host reboots in the middle of a run', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await createTestSystem('fault_reboot');
    system.startResults();
  });
  // No restoreStack: this test touches only host5, and rebootHost returns once it is up again.
  afterAll(() => closeFaultSystem(system));

  it('power cut during operation 2 of 4: the retry resumes the journal, op 2 runs again (expected, and its stderr says so), the others once', async () => {
    // /var/tmp is on the host's disk (its overlay upper dir): the log survives the reboot, /tmp would not.
    const file = '/var/tmp/faults/host-reboot';
    await onHost(5, `rm -f ${file}`);
    const entries = [{ host: stackHost(5), operations: [loggedOp(0, file, 'op1'), loggedOp(1, file, 'op2', 6), loggedOp(2, file, 'op3'), loggedOp(3, file, 'op4')] }];
    await putDesiredState(system, entries);
    system.startWorkers(1);
    const enqueue = startEnqueue(system, ['--hosts', 'host5', '--wait']);
    const runId = await enqueue.runId();
    await waitUntil('host5 to start op2', async () => (await linesOnHost(5, file)).includes('op2'), { timeoutMs: 60_000 });
    const rebootedAt = Date.now();
    await rebootHost(5); // every process of host5 SIGKILLed, driver included; back on the same disk

    expect(await enqueue.exited).toBe(0);
    const recoverySeconds = (Date.now() - rebootedAt) / 1000;
    const [job] = await hostJobsOf(system, runId, ['host5']);
    expect(job).toMatchObject({ state: 'completed' });
    expect(job!.attemptsMade).toBeGreaterThanOrEqual(1); // the lost connection used an attempt
    const log = await linesOnHost(5, file);
    // op2 was running when the power went: its outcome was never known, so it runs again.
    expect(log).toEqual(['op1', 'op2', 'op2', 'op3', 'op4']);
    const rerunAfterReboot = log.filter((line) => line === 'op2').length - 1;
    const finished = log.filter((line) => line !== 'op2'); // operations that had finished, or had not started
    // The second delivery found the journal (the first delivery's marker) and resumed it.
    expect(outputOf(system.processes)).toMatch(/host5: attached to the journal/);
    const recorded = (await resultStore(system.cassandra, system.keyspace).pageRunHosts(runId, { pageSize: 10 })).items;
    expect(recorded.map((h) => h.status)).toEqual(['changed']);
    // What `simplecm results <run> --host host5` shows: op2's stderr starts with the driver's note
    // that it was running when the host went down and ran again; the others have none.
    const ops = await resultStore(system.cassandra, system.keyspace).getOperationResults(runId, 'host5');
    expect(ops.map((o) => o.stderr.startsWith(INTERRUPTED_NOTE))).toEqual([false, true, false, false]);
    const row = await recordFaultRow(system.cassandra, system.keyspace, runId, 'host5 rebooted (SIGKILL all) mid-operation (retry, journal resumed)', expectedOpsOf(entries), {
      hostRerun: 0,
      opsRunTwice: executedTwice(finished),
      opsRerunAfterReboot: rerunAfterReboot,
      recoverySeconds,
    });
    expect(row).toMatchObject({ hostsInRun: 1, hostsRecorded: 1, hostsConverged: 1, resultsExpected: 4, resultsWritten: 4, duplicated: 0, lost: 0, opsRunTwice: 0, opsRerunAfterReboot: 1 });
    await onHost(5, `rm -f ${file}`);
  }, 180_000);
});
