import { types } from 'cassandra-driver';
import type { Operation } from '@simplecm/domain';
import { restartCassandraNode, stopCassandraNode } from '@simplecm/stack';
import { createClusterSystem, eventually, problemSummary, saveProcessLogs, hostsDone, putFleet, runTally, type ClusterSystem } from './support/cluster-system';

// One Cassandra node of three is killed (SIGKILL) while a run writes its results at LOCAL_QUORUM
// with replication factor 3: the two others keep acknowledging every write, the run finishes
// with every row exactly once, and the node, restarted, gets the rows it missed (hints).
const HOSTS_PER_STACK_HOST = 6;
const operations: Operation[] = [
  { seq: 0, name: 'wait a little', module: 'sleep', attributes: { seconds: 1 } },
  { seq: 1, name: 'say who', module: 'command', attributes: { command: 'hostname' } },
  { seq: 2, name: 'wait again', module: 'sleep', attributes: { seconds: 2 } },
  { seq: 3, name: 'check a file', module: 'file_exists', attributes: { path: '/etc/hostname' } },
  { seq: 4, name: 'wait once more', module: 'sleep', attributes: { seconds: 1 } },
];
const KILLED_NODE = 3;

describe('a Cassandra node dies in the middle of a run', () => {
  let system: ClusterSystem;
  let hostnames: string[];
  let nodeKilled = false;

  beforeAll(async () => {
    system = await createClusterSystem('cassfail');
    hostnames = await putFleet(system, 'cf', HOSTS_PER_STACK_HOST, operations);
    system.startWorkers(2, ['--concurrency', '3']);
    system.startResults();
  }, 120_000);

  afterAll(async () => {
    if (system) process.stderr.write(`[cassandra-node-failure] process output kept in ${saveProcessLogs(system, 'cassandra-node-failure')}\n`);
    try {
      if (nodeKilled) await restartCassandraNode(KILLED_NODE);
    } finally {
      await system?.close();
    }
  }, 400_000);

  it('finishes the run with every result once, and the restarted node catches up', async () => {
    const { code, runId, output } = await system.enqueue([]);
    expect({ code, output }).toMatchObject({ code: 0 });
    const hosts = hostnames.length;

    await eventually('a few hosts to be done', async () => (await hostsDone(system, runId!)) >= 4);
    await stopCassandraNode(KILLED_NODE, 'SIGKILL');
    nodeKilled = true;
    const doneAtKill = await hostsDone(system, runId!);

    await eventually('the run to finish', async () => (await hostsDone(system, runId!)) >= hosts).catch(async (error: unknown) => {
      const stuck = await runTally(system, runId!, hostnames).catch((e: unknown) => String(e));
      process.stderr.write(`[cassandra-failure] run not finished: ${JSON.stringify(stuck, (_k, v: unknown) => (v instanceof Set ? [...v] : v))}\n`);
      throw error;
    });
    const tally = await runTally(system, runId!, hostnames);
    process.stderr.write(`[cassandra-failure] ${problemSummary(system)}\n`);
    process.stderr.write(`[cassandra-failure] ${hosts} hosts, ${doneAtKill} done when node ${KILLED_NODE} was killed\n`);
    expect(doneAtKill).toBeLessThan(hosts); // the failure really hit the run
    expect(tally.run).toMatchObject({ status: 'finished', hostCount: hosts, hostsDone: hosts });
    expect(tally.run!.outcomes).toBe(hosts * operations.length);
    expect(tally.resultRows).toBe(hosts * operations.length);
    expect([...tally.rowsPerHost]).toEqual([operations.length]);
    expect(tally.runHosts).toBe(hosts);
    expect(tally.hostsJobs).toMatchObject({ completed: hosts, failed: 0, active: 0, waiting: 0, delayed: 0 });
    // Every result written, its entry acknowledged and deleted: none unread, none pending.
    expect(tally.resultBacklog).toEqual({ waiting: 0, pending: 0 });

    // Back with all three replicas: reading at ALL needs every node, so every row is on the restarted one too.
    await restartCassandraNode(KILLED_NODE);
    nodeKilled = false;
    const afterRestart = await runTally(system, runId!, hostnames, types.consistencies.all);
    expect(afterRestart.resultRows).toBe(hosts * operations.length);
    expect(afterRestart.runHosts).toBe(hosts);
  }, 600_000);
});
