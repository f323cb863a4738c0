import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisConfig } from '@simplecm/config';
import { isStoreUnreachable } from '@simplecm/store';
import {
  cappedBackoffStrategy,
  closeTogether,
  concurrencyShares,
  describeJobIssues,
  partitionCount,
  publishRunEvent,
  readResultKey,
  recordPartitionedHostsProgress,
  redisConnection,
  RESULTS_QUEUE,
  resultJobDataSchema,
  resultSealer,
  servedQueuePartitions,
} from '@simplecm/queue';
import { closeAll } from '@simplecm/kernel';
import { boundedClose, isConnectionError, type OutageReporter, type ProcessMetrics } from '@simplecm/telemetry';
import { resultWriter } from './result-writer';
import type { ResultsConfig } from './results-options';
import type { StoreSession } from './store-session';

/** How long close() waits for results being written before it drops its connections. */
const CLOSE_BOUND_MS = 10_000;

export type ResultsConsumerState = 'running' | 'closing' | 'closed';

export interface ResultsConsumer {
  readonly state: () => ResultsConsumerState;
  /** Stops taking results and waits for those being written (flushes what it holds). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Writes results from the results queue. A write that fails (Cassandra down) fails the job's
 * attempt; BullMQ keeps it in Redis and retries it after a capped, doubling delay
 * (`retryDelayMs` … `retryMaxDelayMs`), so every result waits durably and is written within
 * about `retryMaxDelayMs` of Cassandra's return. Results being written at the same time are
 * written together (see resultWriter); every step is idempotent (see recordResults).
 */
export function startResultsConsumer(
  redis: RedisConfig,
  store: StoreSession,
  options: ResultsConfig,
  {
    log = console.log,
    metrics,
    redisOutage,
    cassandraOutage,
  }: {
    log?: (line: string) => void;
    /** Results written and Cassandra write latency. */
    metrics?: ProcessMetrics;
    /** Told when Redis fails or answers; logs each outage once. */
    redisOutage?: OutageReporter;
    /** Told when a write fails for want of Cassandra, and when one succeeds. */
    cassandraOutage?: OutageReporter;
  } = {},
): ResultsConsumer {
  const sealer = resultSealer(readResultKey(options.resultKeyFile));
  const progressConnection = redisConnection(redis, { autoPipelining: true });
  progressConnection.on('error', (error: Error) => redisOutage?.down(error));
  progressConnection.on('ready', () => redisOutage?.up());
  let state: ResultsConsumerState = 'running';
  // The store is looked up per group: storeSession replaces it after a reconnect.
  const writer = resultWriter(
    {
      async recordHostResults(writes) {
        const stopTimer = metrics?.cassandraWriteSeconds.startTimer();
        await store.current().results.recordHostResults(writes);
        stopTimer?.();
      },
      recordRunProgress: (runId, progress) => store.current().runs.recordRunProgress(runId, progress),
      // Each host in its queue partition's progress; the run's totals summed over the partitions.
      countHosts: (runId, hosts) => recordPartitionedHostsProgress(progressConnection, redis, runId, hosts),
      announceProgress: (runId, s) => publishRunEvent(progressConnection, redis.prefix, runId, { kind: 'progress', hostsDone: s.hostsDone, hostsFailed: s.hostsFailed }),
    },
    { batchHosts: options.batchHosts, batchBytes: options.batchBytes },
  );

  async function processResult(job: Job): Promise<void> {
    // Anyone who can write to Redis can add a result job: only what a worker sealed is written.
    const opened = sealer.open(job.id ?? '', job.data);
    if (typeof opened === 'string') {
      log(`result job ${job.id} refused, not written: ${opened}`);
      throw new UnrecoverableError(`result job ${job.id} refused: ${opened}`);
    }
    const parsed = resultJobDataSchema.safeParse(opened.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`malformed result job ${job.id}: ${describeJobIssues(parsed.error)}`);
    }
    try {
      const { finishedRun, snapshot } = await writer.write(parsed.data);
      metrics?.resultsWrittenTotal.inc();
      cassandraOutage?.up();
      if (finishedRun) log(`run ${parsed.data.result.runId} finished: ${snapshot.hostsDone} hosts`);
    } catch (error) {
      store.noteFailure(error);
      if (isStoreUnreachable(error)) cassandraOutage?.down(error);
      throw error;
    }
  }

  // BullMQ does not close a connection it was handed (only the blocking one it duplicates from
  // it), so close() disconnects it after the worker.
  const workerConnection = redisConnection(redis, { blocking: true, autoPipelining: true });
  // One Worker per queue partition served (K = 1: the queue prefix's, with the whole
  // --concurrency); they share the writer, so results of several partitions are written together.
  const partitions = servedQueuePartitions(redis, options.partitions);
  const shares = concurrencyShares(options.concurrency, partitions.length);
  const workers = partitions.map(({ prefix }, i) => {
    const worker = new Worker(RESULTS_QUEUE, processResult, {
      connection: workerConnection,
      prefix,
      concurrency: shares[i]!,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      // A consumer killed mid-write leaves its results active; they are redelivered, however often.
      maxStalledCount: 1_000,
      settings: { backoffStrategy: cappedBackoffStrategy({ baseMs: options.retryDelayMs, capMs: options.retryMaxDelayMs }) },
    });
    worker.on('failed', (job, error) => {
      // While Cassandra is down every result fails the same way: the outage line says it once.
      if (!(cassandraOutage && isStoreUnreachable(error))) log(`result ${job?.id ?? '?'} not written yet (${error.message.split('\n')[0]}); it stays queued`);
    });
    worker.on('error', (error) => (redisOutage && isConnectionError(error) ? redisOutage.down(error) : log(`results consumer error: ${error.message}`)));
    return worker;
  });
  if (partitionCount(redis) > 1) log(`results consumer: queue partitions ${partitions.map((p) => p.index).join(',')} of ${partitionCount(redis)} (concurrency ${shares.join('+')})`);

  let closing: Promise<void> | undefined;
  return {
    state: () => state,
    close() {
      closing ??= (async () => {
        state = 'closing';
        try {
          // In order of set-up; closeAll closes the worker first and the store last.
          const orderly = closeAll([() => store.close(), () => progressConnection.disconnect(), () => workerConnection.disconnect(), () => closeTogether(workers)]);
          // Results being written have CLOSE_BOUND_MS to finish; past it (Redis or Cassandra down)
          // they stay in Redis (redelivered later) and the connections are dropped.
          await boundedClose(orderly, CLOSE_BOUND_MS, () => {
            log('results consumer: close did not finish in time (Redis or Cassandra unreachable?); dropping connections');
            progressConnection.disconnect();
            workerConnection.disconnect();
            for (const w of workers) w.close(true).catch(() => undefined);
            store.close().catch(() => undefined);
          });
        } finally {
          state = 'closed';
        }
      })();
      return closing;
    },
  };
}
