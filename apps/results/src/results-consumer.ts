import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Client } from 'cassandra-driver';
import { recordHostProgress, redisConnection, RESULTS_QUEUE, resultJobDataSchema, type RedisConfig } from '@simplecm/queue';
import { resultStore, runStore } from '@simplecm/store';
import { hostCounts, recordResult } from './record-result';

export interface ResultsConsumer {
  /** Stops taking results and waits for those being written. Safe to call twice. */
  close(): Promise<void>;
}

export function startResultsConsumer(
  redis: RedisConfig,
  cassandra: Client,
  keyspace: string,
  { concurrency = 64, log = console.log }: { concurrency?: number; log?: (line: string) => void } = {},
): ResultsConsumer {
  const results = resultStore(cassandra, keyspace);
  const runs = runStore(cassandra, keyspace);
  const progressConnection = redisConnection(redis);

  async function processResult(job: Job): Promise<void> {
    const parsed = resultJobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`malformed result job ${job.id}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const { finished, snapshot } = await recordResult(parsed.data, {
      recordHostResult: results.recordHostResult,
      recordRunProgress: runs.recordRunProgress,
      countHost: async (data) =>
        (await recordHostProgress(progressConnection, redis.prefix, data.result.runId, data.result.hostname, data.result.status, hostCounts(data))).snapshot,
    });
    if (finished) log(`run ${parsed.data.result.runId} finished: ${snapshot.hostsDone} hosts`);
  }

  const worker = new Worker(RESULTS_QUEUE, processResult, {
    connection: redisConnection(redis, { blocking: true }),
    prefix: redis.prefix,
    concurrency,
  });
  worker.on('failed', (job, error) => log(`result ${job?.id ?? '?'} not written yet (${error.message}); it stays queued`));
  worker.on('error', (error) => log(`results consumer error: ${error.message}`));

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        try {
          await worker.close();
        } finally {
          progressConnection.disconnect();
        }
      })();
      return closing;
    },
  };
}
