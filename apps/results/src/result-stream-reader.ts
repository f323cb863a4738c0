import type { Redis } from 'ioredis';
import { coerceError } from '@simplecm/kernel';
import { ackResults, cappedBackoffDelay, claimStalledResults, ensureResultGroup, isMissingResultGroup, keepResults, readNewResults, type ResultStreamEntry } from '@simplecm/queue';

/** What a reader of one partition's result stream needs. */
export interface ResultStreamReaderOptions {
  readonly prefix: string;
  /** This consumer's name in the group (unique per process). */
  readonly consumer: string;
  /** Entries held at once: read (COUNT), being written, or waiting to be retried. */
  readonly count: number;
  /** How long one read waits for new entries; also how long close() may wait for a reader. */
  readonly blockMs: number;
  /** An entry no consumer acknowledged for this long is claimed (XAUTOCLAIM) … */
  readonly claimIdleMs: number;
  /** … looked for this often. */
  readonly claimEveryMs: number;
  /** First wait before entries whose write failed are retried, doubling up to `retryMaxDelayMs`. */
  readonly retryDelayMs: number;
  readonly retryMaxDelayMs: number;
}

/**
 * What the reader does with entries: write or refuse each, and return the stream ids of those
 * done with (written or refused), which are then acknowledged and deleted. The others stay
 * pending and are retried.
 */
export type HandleResultEntries = (prefix: string, entries: readonly ResultStreamEntry[]) => Promise<string[]>;

export interface ResultStreamReader {
  /** Ends after the step under way (a read waits at most `blockMs`); what it holds stays pending in Redis. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads one partition's result stream in a loop: new entries (XREADGROUP `>` on `blocking`, a
 * connection of its own), every `claimEveryMs` a dead consumer's entries (XAUTOCLAIM), and
 * entries whose write failed, again after a capped, doubling delay (never dropped: Cassandra
 * down, they wait, and at most `count` are held, the rest wait in Redis unread). A Redis error
 * is reported (`onRedisError`) and the step retried after the same delay; a group that is gone
 * is made again.
 */
export function startResultStreamReader(
  redis: Redis,
  blocking: Redis,
  options: ResultStreamReaderOptions,
  handle: HandleResultEntries,
  { onRedisError, onRedisUp }: { onRedisError: (error: Error) => void; onRedisUp: () => void },
): ResultStreamReader {
  const { prefix, consumer, count } = options;
  let stopped = false;
  /** Entries held for a retry, by stream id. */
  const retry = new Map<string, ResultStreamEntry>();
  let retryAt = 0;
  let failures = 0;
  /** Written entries whose acknowledgement failed (Redis down): acknowledged first thing next. */
  let unacked: string[] = [];
  let nextClaim = 0;
  let groupReady = false;
  const delay = () => cappedBackoffDelay(failures, { baseMs: options.retryDelayMs, capMs: options.retryMaxDelayMs });

  async function nextBatch(): Promise<ResultStreamEntry[] | undefined> {
    const now = Date.now();
    if (retry.size > 0 && now >= retryAt) {
      // Still ours? (Another consumer may have claimed and written some.) Their idle time starts again.
      const kept = await keepResults(redis, prefix, consumer, [...retry.keys()]);
      for (const id of [...retry.keys()]) if (!kept.has(id)) retry.delete(id);
      return [...retry.values()];
    }
    const room = count - retry.size;
    if (room <= 0) {
      await sleep(Math.max(0, retryAt - now));
      return undefined;
    }
    if (now >= nextClaim) {
      nextClaim = now + options.claimEveryMs;
      const claimed = (await claimStalledResults(redis, prefix, consumer, options.claimIdleMs, room)).filter((e) => !retry.has(e.entryId));
      if (claimed.length > 0) return claimed;
    }
    const until = Math.min(nextClaim, retry.size > 0 ? retryAt : Infinity);
    return readNewResults(blocking, prefix, consumer, room, Math.max(1, Math.min(options.blockMs, until - now)));
  }

  async function step(): Promise<void> {
    if (!groupReady) {
      await ensureResultGroup(redis, prefix);
      groupReady = true;
    }
    if (unacked.length > 0) {
      await ackResults(redis, prefix, unacked);
      unacked = [];
    }
    const batch = await nextBatch();
    onRedisUp();
    if (batch === undefined || batch.length === 0) return;
    const done = new Set(await handle(prefix, batch));
    for (const entry of batch) {
      if (done.has(entry.entryId)) retry.delete(entry.entryId);
      else retry.set(entry.entryId, entry);
    }
    if (retry.size > 0 && batch.some((e) => !done.has(e.entryId))) {
      failures++;
      retryAt = Date.now() + delay();
    } else if (retry.size === 0) failures = 0;
    unacked = [...done];
    await ackResults(redis, prefix, unacked);
    unacked = [];
  }

  const loop = (async () => {
    let redisFailures = 0;
    while (!stopped) {
      try {
        await step();
        redisFailures = 0;
      } catch (raw) {
        const error = coerceError(raw);
        if (isMissingResultGroup(error)) groupReady = false;
        onRedisError(error);
        redisFailures++;
        if (!stopped) await sleep(cappedBackoffDelay(redisFailures, { baseMs: options.retryDelayMs, capMs: options.retryMaxDelayMs }));
      }
    }
  })();

  return {
    stop() {
      stopped = true;
      return loop;
    },
  };
}
