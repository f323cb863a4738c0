import { randomUUID } from 'node:crypto';
import { hostname as machineName } from 'node:os';
import type { RedisConfig } from '@simplecm/config';
import { isStoreUnreachable } from '@simplecm/store';
import {
  concurrencyShares,
  describeJobIssues,
  forgetResultConsumer,
  partitionCount,
  publishRunEvent,
  readResultKey,
  recordPartitionedHostsProgress,
  recordRefusedResult,
  redisConnection,
  resultJobDataSchema,
  resultSealer,
  servedQueuePartitions,
  type ResultJobData,
  type ResultStreamEntry,
} from '@simplecm/queue';
import { closeAll, coerceError } from '@simplecm/kernel';
import { boundedClose, isConnectionError, type OutageReporter, type ProcessMetrics } from '@simplecm/telemetry';
import { resultWriter } from './result-writer';
import { startResultStreamReader } from './result-stream-reader';
import type { ResultsConfig } from './results-options';
import type { StoreSession } from './store-session';

/** How long close() waits for results being written before it drops its connections. */
const CLOSE_BOUND_MS = 10_000;

/** How long one read of a result stream waits for new entries (and close() for a reader between two steps). */
const READ_BLOCK_MS = 2_000;

export type ResultsConsumerState = 'running' | 'closing' | 'closed';

export interface ResultsConsumer {
  readonly state: () => ResultsConsumerState;
  /** Stops taking results and waits for those being written (flushes what it holds). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Writes results from the result streams (result-stream.ts), one reader per queue partition
 * served (result-stream-reader.ts), in the group `writers`. An entry is acknowledged and deleted
 * once its result is written; one whose write fails (Cassandra down) stays pending and is
 * retried after a capped, doubling delay (`retryDelayMs` … `retryMaxDelayMs`), so every result
 * waits durably and is written within about `retryMaxDelayMs` of Cassandra's return. A consumer
 * killed mid-write leaves its entries pending: another claims them after `lockDurationMs`
 * (looked for every `stalledIntervalMs`). Results being written at the same time are written
 * together (see resultWriter); every step is idempotent (see recordResults), so a redelivered
 * entry is harmless.
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

  /** The result of an entry, or why it is not written (refused: not as a worker sealed it, or malformed). */
  function openEntry(entry: ResultStreamEntry): ResultJobData | string {
    if (typeof entry.content === 'string') return `malformed entry: ${entry.content}`;
    // Anyone who can write to the stream can add an entry: only what a worker sealed is written.
    const opened = sealer.open(entry.content.resultId, entry.content.wire);
    if (typeof opened === 'string') return `refused: ${opened}`;
    const parsed = resultJobDataSchema.safeParse(opened.data);
    return parsed.success ? parsed.data : `malformed result: ${describeJobIssues(parsed.error)}`;
  }

  async function writeResult(entryId: string, data: ResultJobData): Promise<boolean> {
    try {
      const { finishedRun, snapshot } = await writer.write(data);
      metrics?.resultsWrittenTotal.inc();
      cassandraOutage?.up();
      if (finishedRun) log(`run ${data.result.runId} finished: ${snapshot.hostsDone} hosts`);
      return true;
    } catch (raw) {
      const error = coerceError(raw);
      store.noteFailure(error);
      if (isStoreUnreachable(error)) cassandraOutage?.down(error);
      // While Cassandra is down every result fails the same way: the outage line says it once.
      if (!(cassandraOutage && isStoreUnreachable(error))) log(`result ${data.result.runId}/${data.result.hostname} (entry ${entryId}) not written yet (${error.message.split('\n')[0]}); it stays queued`);
      return false;
    }
  }

  /** Writes the entries' results (together, see resultWriter); records refused ones; returns the ids done with. */
  async function handleEntries(prefix: string, entries: readonly ResultStreamEntry[]): Promise<string[]> {
    const done: string[] = [];
    await Promise.all(
      entries.map(async (entry) => {
        const data = openEntry(entry);
        if (typeof data === 'string') {
          log(`result ${entry.resultId ?? '?'} (entry ${entry.entryId} of ${prefix}) not written: ${data}`);
          await recordRefusedResult(progressConnection, prefix, entry, data);
          done.push(entry.entryId);
        } else if (await writeResult(entry.entryId, data)) done.push(entry.entryId);
      }),
    );
    return done;
  }

  // One blocking connection per partition served: XREADGROUP … BLOCK holds its connection.
  const partitions = servedQueuePartitions(redis, options.partitions);
  const shares = concurrencyShares(options.concurrency, partitions.length);
  const consumerName = `${machineName()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const onRedisError = (error: Error) => (redisOutage && isConnectionError(error) ? redisOutage.down(error) : log(`results consumer error: ${error.message}`));
  const readers = partitions.map(({ prefix }, i) => {
    const blocking = redisConnection(redis, { blocking: true });
    blocking.on('error', (error: Error) => redisOutage?.down(error));
    const reader = startResultStreamReader(
      progressConnection,
      blocking,
      {
        prefix,
        consumer: consumerName,
        count: shares[i]!,
        blockMs: READ_BLOCK_MS,
        claimIdleMs: options.lockDurationMs,
        claimEveryMs: options.stalledIntervalMs,
        retryDelayMs: options.retryDelayMs,
        retryMaxDelayMs: options.retryMaxDelayMs,
      },
      handleEntries,
      { onRedisError, onRedisUp: () => redisOutage?.up() },
    );
    return { prefix, blocking, reader };
  });
  if (partitionCount(redis) > 1) log(`results consumer: queue partitions ${partitions.map((p) => p.index).join(',')} of ${partitionCount(redis)} (concurrency ${shares.join('+')})`);

  let closing: Promise<void> | undefined;
  return {
    state: () => state,
    close() {
      closing ??= (async () => {
        state = 'closing';
        try {
          // In order of set-up; closeAll stops the readers first (each finishes the entries it
          // holds), then leaves the group if it holds none, and closes the store last.
          const orderly = closeAll([
            () => store.close(),
            () => progressConnection.disconnect(),
            ...readers.map(({ blocking }) => () => blocking.disconnect()),
            () => closeAll(readers.map(({ prefix }) => () => forgetResultConsumer(progressConnection, prefix, consumerName))),
            async () => {
              await Promise.all(readers.map(({ reader }) => reader.stop()));
            },
          ]);
          // Results being written have CLOSE_BOUND_MS to finish; past it (Redis or Cassandra down)
          // they stay in Redis (redelivered later) and the connections are dropped.
          await boundedClose(orderly, CLOSE_BOUND_MS, () => {
            log('results consumer: close did not finish in time (Redis or Cassandra unreachable?); dropping connections');
            progressConnection.disconnect();
            for (const { blocking } of readers) blocking.disconnect();
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
