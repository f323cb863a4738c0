import type { Client } from 'cassandra-driver';
import { createTestSystem, onHost, putDesiredState, stackHost, type TestSystem } from '../support/system';
import {
  closeFaultSystem,
  expectedOpsOf,
  freshCassandra,
  killHard,
  markerOp,
  outputOf,
  progressOf,
  queueCounts,
  resultBacklog,
  recordFaultRow,
  restoreStack,
  sleep,
  sleepOp,
  startCassandra,
  startEnqueue,
  startResultsWith,
  stopCassandra,
  waitUntil,
} from '../support/faults';
import { stopStarted } from '@simplecm/stack';

const HOSTS = [1, 2, 3, 4, 5];
const hostList = HOSTS.map((n) => `host${n}`).join(',');

describe('the store or its consumer fails mid-run', () => {
  let system: TestSystem;
  let client: Client | undefined;
  const file = '/root/faults/store-outage';
  const entries = HOSTS.map((n) => ({ host: stackHost(n), operations: [markerOp(0, file), sleepOp(1, 4)] }));
  beforeAll(async () => {
    system = await createTestSystem('fault_store');
    await putDesiredState(system, entries);
  });
  afterAll(async () => {
    try {
      await restoreStack();
      await client?.shutdown();
    } finally {
      await closeFaultSystem(system);
    }
  });
  afterEach(async () => {
    await Promise.all(system.processes.splice(0).map((p) => stopStarted(p, 20_000)));
  });

  it('Cassandra down for 60 s: workers keep converging, results wait in Redis, then all are written once', async () => {
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -f ${file}`)));
    // One host at a time, so the run spans the outage.
    system.startWorkers(1, ['--concurrency', '1']);
    const consumer = system.startResults();
    const enqueue = startEnqueue(system, ['--hosts', hostList]);
    const runId = await enqueue.runId();
    expect(await enqueue.exited).toBe(0);
    await waitUntil('the first result to be written', async () => (await progressOf(system, runId)).hostsDone >= 1, { timeoutMs: 60_000 });

    const down = Date.now();
    let up = down;
    try {
      await stopCassandra();
      // While the store is gone, workers go on converging and results pile up in Redis.
      await waitUntil('two more hosts to converge with Cassandra down', async () => ((await queueCounts(system, 'hosts')).completed ?? 0) >= 3, { timeoutMs: 60_000 });
      const pending = await resultBacklog(system);
      expect(pending.waiting + pending.pending).toBeGreaterThanOrEqual(2);
      expect((await progressOf(system, runId)).hostsDone).toBeLessThan(3);
      await sleep(Math.max(0, 60_000 - (Date.now() - down)));
    } finally {
      await startCassandra();
      up = Date.now();
    }
    await waitUntil('every result to be written', async () => (await progressOf(system, runId)).hostsDone === 5, { timeoutMs: 120_000, detail: consumer.output });
    process.stderr.write(`[faults] Cassandra back after ${((up - down) / 1000).toFixed(1)} s; all results written ${((Date.now() - up) / 1000).toFixed(1)} s later\n`);
    // The outage is logged once, with where Cassandra is and which setting points there, and its end.
    expect(consumer.output().match(/Cassandra at \S+ unreachable \(SIMPLECM_CASSANDRA_CONTACT_POINTS\)/g)).toHaveLength(1);
    expect(consumer.output()).toMatch(/Cassandra reachable again after \d+ s/);

    client = await freshCassandra(system);
    const row = await recordFaultRow(client, system.keyspace, runId, 'Cassandra stopped 60 s mid-run', expectedOpsOf(entries));
    expect(row).toMatchObject({ hostsInRun: 5, hostsRecorded: 5, hostsConverged: 5, resultsExpected: 10, resultsWritten: 10, duplicated: 0, lost: 0 });
  }, 300_000);

  it('results consumer SIGKILLed mid-run and restarted: every result written once', async () => {
    client ??= await freshCassandra(system);
    await Promise.all(HOSTS.map((n) => onHost(n, `rm -f ${file}`)));
    system.startWorkers(1, ['--concurrency', '1']);
    // A dead consumer's results are claimed once idle --lock-duration, which must be above
    // --retry-max-delay (results-options.ts).
    const consumerFlags = ['--lock-duration', '2000', '--stalled-interval', '1000', '--retry-max-delay', '1000'];
    const doomed = startResultsWith(system, consumerFlags);
    const enqueue = startEnqueue(system, ['--hosts', hostList]);
    const runId = await enqueue.runId();
    await waitUntil('the first result to be written', async () => (await progressOf(system, runId)).hostsDone >= 1, { timeoutMs: 60_000 });
    await killHard(doomed);
    await waitUntil('every host to converge', async () => ((await queueCounts(system, 'hosts')).completed ?? 0) >= 5, { timeoutMs: 90_000 });
    expect((await progressOf(system, runId)).hostsDone).toBeLessThan(5);
    const restarted = startResultsWith(system, consumerFlags);
    await waitUntil('every result to be written', async () => (await progressOf(system, runId)).hostsDone === 5, { timeoutMs: 60_000, detail: () => outputOf([restarted]) });
    const row = await recordFaultRow(client, system.keyspace, runId, 'results consumer SIGKILLed, restarted', expectedOpsOf(entries));
    expect(row).toMatchObject({ hostsInRun: 5, hostsRecorded: 5, hostsConverged: 5, resultsExpected: 10, resultsWritten: 10, duplicated: 0, lost: 0 });
  }, 180_000);
});
