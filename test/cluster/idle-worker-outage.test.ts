import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import type { Cluster } from 'ioredis';
import type { RedisConfig } from '@simplecm/config';
import { redisClient, redisConnection } from '@simplecm/queue';
import { holdRedisClusterFailover, redisClusterMasterFor, redisClusterNodes, redisClusterPorts, redisClusterTopology, startRedisClusterNode, stopRedisClusterNode, waitForRedisClusterHealthy } from '@simplecm/stack';
import { eventually } from './support/cluster-system';

// A consumer that sits idle in BullMQ's blocking wait when the master of its queue dies: the
// wait's watchdog (drain delay 5 s + 1 s) resets the blocking connection while that master is
// down. With ioredis' cluster ready check on, a reconnect whose check asked the dead master (or
// saw cluster_state:fail) never settled, and the consumer never took another job (the results
// consumer stalled this way in the failover test, about one run in three). Failover is held
// here so the outage outlasts the watchdog every time, not only when the election is slow.
describe('an idle consumer whose queue master is down for a while', () => {
  const prefix = `{t-idle-${randomUUID().slice(0, 8)}}`;
  const config: RedisConfig = { url: 'redis://unused', prefix, clusterNodes: redisClusterNodes };
  let master: number | undefined;

  afterAll(async () => {
    if (master === undefined) return;
    await startRedisClusterNode(master);
    holdRedisClusterFailover(master, false);
    await waitForRedisClusterHealthy();
  }, 120_000);

  it('takes jobs again once the master is back', async () => {
    await waitForRedisClusterHealthy();
    const workerConnection = redisConnection(config, { blocking: true });
    const producerConnection = redisConnection(config);
    const probe = redisClient(config, { blocking: true }) as Cluster;
    const taken: string[] = [];
    const errors: string[] = [];
    const worker = new Worker('q', async (job) => void taken.push(job.id ?? '?'), { connection: workerConnection, prefix });
    // Commands to the dead master fail while it is down (the stalled-jobs check among them).
    worker.on('error', (error) => errors.push(error.message));
    const queue = new Queue('q', { connection: producerConnection, prefix });
    try {
      await worker.waitUntilReady();
      await queue.add('before', {}, { jobId: 'before' });
      await eventually('the job added before the outage to be taken', async () => taken.includes('before'), 30_000, 100);

      master = await redisClusterMasterFor(`${prefix}:q:wait`);
      holdRedisClusterFailover(master, true);
      await stopRedisClusterNode(master, 'SIGKILL');
      const down = Date.now();
      const witness = redisClusterPorts.find((port) => port !== master)!;
      await eventually('the others to see the master down', async () => redisClusterTopology(witness).some((n) => n.port === master && n.failing), 30_000, 100);

      // What the watchdog does, ten times over: each reconnect must settle (connected or failed),
      // whichever node its ready check would have asked.
      const outcomes: string[] = [];
      for (let i = 0; i < 10; i++) outcomes.push(await reconnect(probe));
      expect(outcomes).toEqual(Array(10).fill('settled'));

      // At least two watchdog periods with the slot down, then the master comes back.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 12_000 - (Date.now() - down))));
      expect(redisClusterTopology(witness).find((n) => n.port === master)?.failing).toBe(true);

      await startRedisClusterNode(master);
      await waitForRedisClusterHealthy();
      await queue.add('after', {}, { jobId: 'after' });
      await eventually('the job added after the outage to be taken', async () => taken.includes('after'), 60_000, 200).catch((error: unknown) => {
        process.stderr.write(`[idle-worker-outage] taken: ${JSON.stringify(taken)}; worker running: ${worker.isRunning()}; its errors: ${JSON.stringify(errors.slice(-5))}\n`);
        throw error;
      });
      expect(taken).toEqual(['before', 'after']);
    } finally {
      await worker.close(true).catch(() => undefined);
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close().catch(() => undefined);
      workerConnection.disconnect();
      producerConnection.disconnect();
      probe.disconnect();
    }
  }, 180_000);
});

/** Disconnects the client and connects it again: 'settled' once connect() resolves or rejects, 'hung' if it has not within 10 s. */
async function reconnect(client: Cluster): Promise<'settled' | 'hung'> {
  if (client.status !== 'end') {
    const ended = new Promise((resolve) => client.once('end', resolve));
    client.disconnect();
    await ended;
  }
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 10_000)));
  const settled = client.connect().then(
    () => 'settled' as const,
    () => 'settled' as const,
  );
  try {
    return await Promise.race([settled, hung]);
  } finally {
    clearTimeout(timer);
  }
}
