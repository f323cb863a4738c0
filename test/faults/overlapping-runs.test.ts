import type { Operation } from '@simplecm/domain';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';
import { closeFaultSystem, expectedOpsOf, linesOnHost, outputOf, recordFaultRow, restoreStack, startEnqueue } from '../support/faults';

/** Appends `start <ns>` and, 3 s later, `end <ns>` to the host's log: one interval per execution. */
const intervalOp = (file: string): Operation => ({
  seq: 0,
  name: 'record interval',
  module: 'command',
  attributes: { command: `mkdir -p /root/faults && echo "start $(date +%s%N)" >> ${file} && sleep 3 && echo "end $(date +%s%N)" >> ${file}` },
});

describe('two runs overlap on the same hosts', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await createTestSystem('fault_overlap');
  });
  afterAll(async () => {
    try {
      await closeFaultSystem(system);
    } finally {
      await restoreStack();
    }
  });

  it('never operate on one host at once: the later run waits (delayed) for the host lock', async () => {
    const file = '/root/faults/intervals';
    await Promise.all([1, 2].map((n) => onHost(n, `rm -f ${file}`)));
    const entries = [1, 2].map((n) => ({ host: stackHost(n), operations: [intervalOp(file)] }));
    await putDesiredState(system, entries);
    const workers = system.startWorkers(2, ['--concurrency', '10', '--busy-retry', '500']);
    system.startResults();
    // Two masters at once, no run key: two runs, both targeting host1 and host2.
    const a = startEnqueue(system, ['--hosts', 'host1,host2', '--wait']);
    const b = startEnqueue(system, ['--hosts', 'host1,host2', '--wait']);
    const [codeA, codeB] = await Promise.all([a.exited, b.exited]);
    expect([codeA, codeB]).toEqual([0, 0]);
    const runA = await a.runId();
    const runB = await b.runId();
    expect(runA).not.toBe(runB);

    for (const n of [1, 2]) {
      const lines = await linesOnHost(n, file);
      expect(lines).toHaveLength(4); // two executions, one per run
      // Intervals in file order: start, end, start, end — each execution ended before the next began.
      expect(lines.map((l) => l.split(' ')[0])).toEqual(['start', 'end', 'start', 'end']);
      const stamps = lines.map((l) => BigInt(l.split(' ')[1]!));
      for (let i = 1; i < stamps.length; i++) expect(stamps[i]! >= stamps[i - 1]!).toBe(true);
    }
    // The waiting was the host lock's doing (a job found its host busy), not luck.
    expect(outputOf(workers)).toMatch(/busy with run\./);

    for (const [runId, label] of [
      [runA, 'overlapping runs A (host lock)'],
      [runB, 'overlapping runs B (host lock)'],
    ] as const) {
      const row = await recordFaultRow(system.cassandra, system.keyspace, runId, label, expectedOpsOf(entries), { hostRerun: 0 });
      expect(row).toMatchObject({ hostsConverged: 2, resultsWritten: 2, duplicated: 0, lost: 0 });
    }
  }, 120_000);
});
