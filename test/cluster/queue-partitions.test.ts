import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { hostPartition, keySlot, partitionPrefixes } from '@simplecm/config';
import type { Operation } from '@simplecm/domain';
import { HOSTS_QUEUE, hostJobId, hostLockKey, readResultStreamBacklog, readRunProgress, resultStreamKey, runEventsKey, runHandedKey } from '@simplecm/queue';
import { redisClusterMasterFor, redisClusterTopology, restoreRedisClusterMasters, startRedisClusterNode, stopRedisClusterNode, waitForRedisClusterHealthy } from '@simplecm/stack';
import { linesOnHost } from '../support/faults';
import { onHost } from '../support/system';
import { createClusterSystem, eventually, hostsDone, problemSummary, putFleet, runTally, saveProcessLogs, type ClusterSystem } from './support/cluster-system';

// K = 3 queue partitions on the local Redis Cluster (3 masters + 3 replicas, slots split evenly
// by redis-cli): each partition's tag is in its own third of the slots, so each partition is
// served by its own master, and a run spreads its hosts over all three.
const K = 3;
const HOSTS_PER_STACK_HOST = 3;

/** Which master serves each slot, from CLUSTER NODES as a node answers it. */
function masterOfSlot(slot: number): string {
  const master = redisClusterTopology().find((n) => n.role === 'master' && !n.failing && n.slots.some((range) => {
    const [low, high = low] = range.split('-').map(Number);
    return slot >= low! && slot <= high!;
  }));
  if (!master) throw new Error(`no master serves slot ${slot}`);
  return master.id;
}

/** Job counts of one partition's queue of `name`. */
async function partitionJobCounts(system: ClusterSystem, prefix: string, name: string): Promise<Record<string, number>> {
  const queue = new Queue(name, { connection: system.redis, prefix });
  try {
    return await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed');
  } finally {
    await queue.close();
  }
}

/** The hosts of `hostnames` in partition `index`. */
const inPartition = (hostnames: readonly string[], index: number) => hostnames.filter((h) => hostPartition(h, K) === index);

describe('K = 3 queue partitions on the Redis Cluster', () => {
  let system: ClusterSystem;
  let prefixes: string[];
  let marks: string;
  let killedPort: number | undefined;

  beforeAll(async () => {
    await waitForRedisClusterHealthy();
    system = await createClusterSystem('parts', { SIMPLECM_QUEUE_PARTITIONS: String(K) });
    prefixes = partitionPrefixes(system.prefix, K);
    marks = `/tmp/simplecm-${system.prefix.replace(/[{}]/g, '')}/marks`;
    system.startWorkers(2, ['--concurrency', '6']);
    system.startResults();
  }, 120_000);

  afterAll(async () => {
    if (system) process.stderr.write(`[queue-partitions] process output kept in ${saveProcessLogs(system, 'queue-partitions')}\n`);
    try {
      if (killedPort !== undefined) {
        await startRedisClusterNode(killedPort);
        await waitForRedisClusterHealthy();
        await restoreRedisClusterMasters();
      }
      await Promise.all([1, 2, 3, 4, 5].map((n) => onHost(n, `rm -rf ${marks.replace(/\/marks$/, '')}`).catch(() => undefined)));
    } finally {
      await system?.close();
    }
  }, 180_000);

  it("puts each partition's keys on a master of its own, and the run-level keys under the prefix's tag", async () => {
    const masters = new Set<string>();
    for (const prefix of prefixes) {
      // Every key of a partition, BullMQ's and SimpleCM's, is in one slot, as Redis computes it.
      const keys = [`${prefix}:${HOSTS_QUEUE}:wait`, resultStreamKey(prefix), runHandedKey(prefix, 'r'), `${prefix}:${HOSTS_QUEUE}:${hostJobId('r', 'h')}`, hostLockKey(prefix, 'h'), `${prefix}:run:r:done`, `${prefix}:run:r:counts`];
      const slots = await Promise.all(keys.map(async (key) => Number(await system.redis.call('CLUSTER', 'KEYSLOT', key))));
      expect(new Set(slots).size).toBe(1);
      expect(slots[0]).toBe(keySlot(prefix));
      masters.add(masterOfSlot(slots[0]!));
    }
    expect(masters.size).toBe(K);
    // Run events stay under the queue prefix's own tag, whatever K is.
    expect(Number(await system.redis.call('CLUSTER', 'KEYSLOT', runEventsKey(system.prefix, 'r')))).toBe(keySlot(system.prefix));
  });

  const operations = (file: string): Operation[] => [
    { seq: 0, name: 'wait a little', module: 'sleep', attributes: { seconds: 1 } },
    { seq: 1, name: 'mark', module: 'command', attributes: { command: `mkdir -p "$(dirname ${file})" && echo ran >> ${file}` } },
    { seq: 2, name: 'wait again', module: 'sleep', attributes: { seconds: 1 } },
  ];

  it('a run spanning the three partitions converges every host once', async () => {
    const hostnames = await putFleet(system, 'kp', HOSTS_PER_STACK_HOST, operations(marks));
    for (let i = 0; i < K; i++) expect(inPartition(hostnames, i).length).toBeGreaterThan(0);
    const { code, runId, output } = await system.enqueue([]);
    expect({ code, output }).toMatchObject({ code: 0 });
    await eventually('the run to finish', async () => (await hostsDone(system, runId!)) >= hostnames.length);

    const tally = await runTally(system, runId!, hostnames);
    expect(tally.run).toMatchObject({ status: 'finished', hostCount: hostnames.length, hostsDone: hostnames.length });
    expect(tally.resultRows).toBe(hostnames.length * 3);
    expect(tally.runHosts).toBe(hostnames.length);
    // The marker ran once per inventory host: HOSTS_PER_STACK_HOST lines on each SSH host.
    for (const n of [1, 2, 3, 4, 5]) expect({ host: n, lines: (await linesOnHost(n, marks)).length }).toEqual({ host: n, lines: HOSTS_PER_STACK_HOST });
    for (const [index, prefix] of prefixes.entries()) {
      const mine = inPartition(hostnames, index);
      expect(await partitionJobCounts(system, prefix, HOSTS_QUEUE)).toMatchObject({ completed: mine.length, failed: 0, active: 0, waiting: 0, delayed: 0 });
      // Each result's entry is acknowledged and deleted once written (the rows are in Cassandra, the host in the done set).
      expect(await readResultStreamBacklog(system.redis as unknown as Redis, prefix)).toEqual({ waiting: 0, pending: 0 });
      expect((await system.redis.smembers(runHandedKey(prefix, runId!))).sort()).toEqual([...mine].sort());
      expect((await system.redis.smembers(`${prefix}:run:${runId}:done`)).sort()).toEqual([...mine].sort());
    }
    // Nothing of a host under the prefix itself; the partitions' progress sums to the run.
    expect(await partitionJobCounts(system, system.prefix, HOSTS_QUEUE)).toMatchObject({ completed: 0, waiting: 0 });
    expect((await readRunProgress(system.redis as unknown as Redis, prefixes, runId!)).hostsDone).toBe(hostnames.length);
  }, 600_000);

  it('a partition whose master is killed mid-run fails over with nothing lost', async () => {
    const hostnames = await putFleet(system, 'kf', 6, [
      { seq: 0, name: 'wait a little', module: 'sleep', attributes: { seconds: 1 } },
      { seq: 1, name: 'say who', module: 'command', attributes: { command: 'hostname' } },
      { seq: 2, name: 'wait again', module: 'sleep', attributes: { seconds: 2 } },
    ]);
    const { code, runId, output } = await system.enqueue(['--hosts', hostnames.join(',')]);
    expect({ code, output }).toMatchObject({ code: 0 });
    await eventually('a few hosts to be done', async () => (await hostsDone(system, runId!)) >= 4);
    // Partition 1's master: not the one holding the run-level keys, unless the tags share it.
    const master = await redisClusterMasterFor(`${prefixes[1]}:${HOSTS_QUEUE}:wait`);
    await stopRedisClusterNode(master, 'SIGKILL');
    killedPort = master;
    const doneAtKill = await hostsDone(system, runId!);
    await eventually('a replica to be promoted', async () => (await redisClusterMasterFor(`${prefixes[1]}:${HOSTS_QUEUE}:wait`).catch(() => master)) !== master, 60_000, 200);
    process.stderr.write(`[queue-partitions] killed master ${master} of partition 1 with ${doneAtKill}/${hostnames.length} hosts done\n`);

    await eventually('the run to finish', async () => (await hostsDone(system, runId!)) >= hostnames.length);
    process.stderr.write(`[queue-partitions] ${problemSummary(system)}\n`);
    const tally = await runTally(system, runId!, hostnames);
    expect(doneAtKill).toBeLessThan(hostnames.length);
    expect(tally.run).toMatchObject({ status: 'finished', hostCount: hostnames.length, hostsDone: hostnames.length });
    expect(tally.resultRows).toBe(hostnames.length * 3);
    expect([...tally.rowsPerHost]).toEqual([3]);
    expect(tally.runHosts).toBe(hostnames.length);
    for (const [index, prefix] of prefixes.entries()) {
      const mine = inPartition(hostnames, index);
      expect((await system.redis.smembers(`${prefix}:run:${runId}:done`)).sort()).toEqual([...mine].sort());
      expect(await partitionJobCounts(system, prefix, HOSTS_QUEUE)).toMatchObject({ failed: 0, active: 0, waiting: 0, delayed: 0 });
    }
  }, 600_000);
});
