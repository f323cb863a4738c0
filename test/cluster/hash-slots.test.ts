import { Queue } from 'bullmq';
import { Cluster, type Redis } from 'ioredis';
import { connectionConfigFromEnv, hashTag } from '@simplecm/config';
import { emptyCounts } from '@simplecm/domain';
import { HOSTS_QUEUE, readRunProgress, recordHostProgress, redisConnection } from '@simplecm/queue';
import { cassandraNodeView, clusterStackEnv, redisClusterKeySlot, redisClusterNodes } from '@simplecm/stack';
import { RING_NODES } from './support/cluster-system';

// What the fault tests rely on, checked on the real clusters: one hash tag puts every key of an
// installation (BullMQ's and the progress script's) in one slot, and the ring is whole.
describe('the clusters as SimpleCM uses them', () => {
  const prefix = `{t-slots-${process.pid}}`;
  // Typed Redis, a Cluster at run time: exactly what the results consumer and `enqueue` get.
  let redis: Redis;

  /** Every key of the prefix, from every master. */
  async function prefixKeys(): Promise<string[]> {
    const client: unknown = redis;
    if (!(client instanceof Cluster)) throw new Error('expected a Cluster client');
    return (await Promise.all(client.nodes('master').map((node) => node.keys(`${prefix}*`)))).flat();
  }

  beforeAll(() => {
    redis = redisConnection(connectionConfigFromEnv({ ...clusterStackEnv('unused', { redisCluster: true }), SIMPLECM_QUEUE_PREFIX: prefix }).redis);
  });
  afterAll(() => redis?.disconnect());

  it('puts every key a run writes in the slot of the prefix hash tag', async () => {
    const queue = new Queue(HOSTS_QUEUE, { connection: redis, prefix });
    try {
      await queue.add('host', { any: 'thing' }, { jobId: 'run.x.host.h1' });
      // The progress script touches two keys in one EVAL: on a cluster that needs one slot.
      await recordHostProgress(redis, prefix, 'r1', 'h1', 'ok', { ...emptyCounts(), ok: 3 });
      expect((await readRunProgress(redis, prefix, 'r1')).hostsDone).toBe(1);
      const slot = redisClusterKeySlot(prefix);
      const keys = await prefixKeys();
      expect(keys.length).toBeGreaterThan(3);
      expect(new Set(keys.map((key) => redisClusterKeySlot(key)))).toEqual(new Set([slot]));
      expect(keys.every((k) => hashTag(k) === prefix.slice(1, -1))).toBe(true);
    } finally {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      for (const key of await prefixKeys()) await redis.del(key);
    }
  });

  it('refuses a prefix without a hash tag on a cluster, which would make the progress script cross slots', async () => {
    const env = { ...clusterStackEnv('unused', { redisCluster: true }), SIMPLECM_QUEUE_PREFIX: 'simplecm' };
    expect(() => connectionConfigFromEnv(env)).toThrow(/hash tag/);
    expect(() => redisConnection({ url: 'redis://unused', prefix: 'plain', clusterNodes: redisClusterNodes })).toThrow(/hash tag/);
    // And Redis itself rejects such an EVAL: the two untagged keys hash to different slots.
    expect(redisClusterKeySlot('plain:run:r1:done')).not.toBe(redisClusterKeySlot('plain:run:r1:counts'));
    await expect(redis.eval("return redis.call('SCARD', KEYS[1]) + redis.call('HLEN', KEYS[2])", 2, 'plain:run:r1:done', 'plain:run:r1:counts')).rejects.toThrow(/CROSSSLOT/);
  });

  it('has a ring in which every node sees the others (CQL, system.peers_v2)', async () => {
    for (let n = 1; n <= RING_NODES; n++) {
      const view = await cassandraNodeView(n);
      expect(view).toMatchObject({ version: '5.0.9', bootstrapped: 'COMPLETED' });
      expect(view!.peers).toHaveLength(RING_NODES - 1);
    }
  });
});
