import type { Operation } from '@simplecm/domain';
import { redisClusterClients, redisClusterMasterFor, redisClusterTopology, restoreRedisClusterMasters, startRedisClusterNode, stopRedisClusterNode, waitForRedisClusterHealthy } from '@simplecm/stack';
import { createClusterSystem, eventually, problemSummary, saveProcessLogs, hostsDone, putFleet, runTally, type ClusterSystem } from './support/cluster-system';

// The Redis master that holds every key of the installation (one hash tag, one slot) is killed
// (SIGKILL) while a run is in flight; its replica is promoted, workers and the results consumer
// carry on through ioredis' Cluster client, and the run finishes with every result once.
const HOSTS_PER_STACK_HOST = 6;
const operations: Operation[] = [
  { seq: 0, name: 'wait a little', module: 'sleep', attributes: { seconds: 1 } },
  { seq: 1, name: 'say who', module: 'command', attributes: { command: 'hostname' } },
  { seq: 2, name: 'wait again', module: 'sleep', attributes: { seconds: 2 } },
  { seq: 3, name: 'check a file', module: 'file_exists', attributes: { path: '/etc/hostname' } },
  { seq: 4, name: 'wait once more', module: 'sleep', attributes: { seconds: 1 } },
];

describe('the Redis master of the queues fails over in the middle of a run', () => {
  let system: ClusterSystem;
  let hostnames: string[];
  let killedPort: number | undefined;

  beforeAll(async () => {
    await waitForRedisClusterHealthy();
    system = await createClusterSystem('redisfail');
    hostnames = await putFleet(system, 'rf', HOSTS_PER_STACK_HOST, operations);
    system.startWorkers(2, ['--concurrency', '3']);
    system.startResults();
  }, 120_000);

  afterAll(async () => {
    if (system) process.stderr.write(`[redis-failover] process output kept in ${saveProcessLogs(system, 'redis-failover')}\n`);
    try {
      if (killedPort !== undefined) {
        await startRedisClusterNode(killedPort);
        await waitForRedisClusterHealthy();
        await restoreRedisClusterMasters();
      }
    } finally {
      await system?.close();
    }
  }, 180_000);

  it('finishes the run with every result once after the replica takes over', async () => {
    const { code, runId, output } = await system.enqueue([]);
    expect({ code, output }).toMatchObject({ code: 0 });
    const hosts = hostnames.length;

    await eventually('a few hosts to be done', async () => (await hostsDone(system, runId!)) >= 4);
    const master = await redisClusterMasterFor(`${system.prefix}:hosts:wait`);
    const masterId = redisClusterTopology(master).find((n) => n.port === master)?.id ?? '?';
    await stopRedisClusterNode(master, 'SIGKILL');
    killedPort = master;
    const doneAtKill = await hostsDone(system, runId!);
    const promoted = await redisClusterMasterForAfterFailover(system.prefix, master);
    process.stderr.write(`[redis-failover] killed master ${master} (${masterId.slice(0, 8)}) with ${doneAtKill}/${hosts} hosts done; ${promoted} promoted\n`);

    await eventually('the run to finish', async () => (await hostsDone(system, runId!)) >= hosts).catch(async (error: unknown) => {
      const stuck = await runTally(system, runId!, hostnames).catch((e: unknown) => String(e));
      process.stderr.write(`[redis-failover] run not finished: ${JSON.stringify(stuck, (_k, v: unknown) => (v instanceof Set ? [...v] : v))}\n`);
      process.stderr.write(`[redis-failover] BullMQ connections per node:\n${redisClusterClients(/name=[^ ]|cmd=bzpopmin/)}\n`);
      throw error;
    });
    const tally = await runTally(system, runId!, hostnames);
    process.stderr.write(`[redis-failover] ${problemSummary(system)}\n`);
    expect(doneAtKill).toBeLessThan(hosts);
    expect(tally.run).toMatchObject({ status: 'finished', hostCount: hosts, hostsDone: hosts });
    expect(tally.run!.outcomes).toBe(hosts * operations.length);
    expect(tally.resultRows).toBe(hosts * operations.length);
    expect([...tally.rowsPerHost]).toEqual([operations.length]);
    expect(tally.runHosts).toBe(hosts);
    expect(tally.hostsJobs).toMatchObject({ completed: hosts, failed: 0, active: 0, waiting: 0, delayed: 0 });
    // Every result written, its entry acknowledged and deleted: none unread, none pending.
    expect(tally.resultBacklog).toEqual({ waiting: 0, pending: 0 });
  }, 600_000);
});

/** Waits until another node serves the prefix's slot, and returns its port. */
async function redisClusterMasterForAfterFailover(prefix: string, killed: number): Promise<number> {
  let promoted = killed;
  await eventually(
    'a replica to be promoted',
    async () => {
      promoted = await redisClusterMasterFor(`${prefix}:hosts:wait`).catch(() => killed);
      return promoted !== killed;
    },
    60_000,
    200,
  );
  return promoted;
}
