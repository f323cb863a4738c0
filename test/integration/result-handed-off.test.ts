import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectionConfigFromEnv } from '@simplecm/config';
import { emptyCounts } from '@simplecm/domain';
import { isResultHandedOff, recordHostProgress, redisConnection, RESULTS_QUEUE, resultJobId, resultJobOptions } from '@simplecm/queue';
import { stackEnv } from '@simplecm/stack';
import { waitUntil } from '../support/faults';

/**
 * The worker's check before it converges a host job (result-handed-off.ts), on the stack's
 * Redis under a prefix of its own: a host's result is handed off while its result job is in the
 * results queue in any state, and once the consumer counted the host, also after the job was
 * removed as it completed (resultJobOptions); not before either.
 */
const prefix = `test-handoff-${randomUUID().slice(0, 8)}`;
const config = connectionConfigFromEnv({ ...process.env, ...stackEnv('unused') }).redis;

describe('isResultHandedOff', () => {
  const redis: Redis = redisConnection(config);
  const queue = new Queue(RESULTS_QUEUE, { connection: redis, prefix });
  const runId = randomUUID();
  const handedOff = (hostname: string) => isResultHandedOff(redis, prefix, runId, hostname);

  afterAll(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('is false for a host with no result job and not counted, true once its result job is queued', async () => {
    expect(await handedOff('web1')).toBe(false);
    await queue.add('result', { any: 'payload' }, resultJobOptions(runId, 'web1'));
    expect(await handedOff('web1')).toBe(true);
    // Another host of the same run, and the same host in another run, are not.
    expect(await handedOff('web2')).toBe(false);
    expect(await isResultHandedOff(redis, prefix, randomUUID(), 'web1')).toBe(false);
  });

  it('stays true after the consumer counted the host and its job was removed as it completed, and for a failed job', async () => {
    const blocking = redisConnection(config, { blocking: true });
    const consumer = new Worker(
      RESULTS_QUEUE,
      async (job: Job) => {
        if (job.id === resultJobId(runId, 'web4')) throw new Error('refused');
        // As the results consumer does: the host is counted before its job completes.
        const hostname = job.id === resultJobId(runId, 'web3') ? 'web3' : 'web1';
        await recordHostProgress(redis, prefix, runId, hostname, 'ok', { ...emptyCounts(), ok: 1 });
      },
      { connection: blocking, prefix },
    );
    try {
      await queue.add('result', { any: 'payload' }, resultJobOptions(runId, 'web3'));
      await queue.add('result', { any: 'payload' }, { ...resultJobOptions(runId, 'web4'), attempts: 1 });
      await waitUntil('the results to be settled', async () => (await queue.getJobCounts('failed')).failed === 1 && (await queue.getJob(resultJobId(runId, 'web3'))) === undefined && (await queue.getJob(resultJobId(runId, 'web1'))) === undefined);
    } finally {
      await consumer.close();
      blocking.disconnect();
    }
    // Completed: the job is gone, the done set says it.
    expect(await handedOff('web1')).toBe(true);
    expect(await handedOff('web3')).toBe(true);
    // Failed for good: the job is kept (removeOnFail false), so a redelivered host job still does not converge again.
    expect(await handedOff('web4')).toBe(true);
    expect(await handedOff('web5')).toBe(false);
  });
});
