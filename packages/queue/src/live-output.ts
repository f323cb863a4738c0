import type { Redis } from 'ioredis';
import { z } from 'zod';
import { hostnameSchema, operationResultSchema, type OperationResult } from '@simplecm/domain';

/**
 * Live output: each operation's result, published by the worker as its frame arrives from the
 * host's driver (before the host's result is handed off), read by the dashboard while the run
 * is going. One Redis stream per run, `<prefix>:live:<runId>`: bounded (XADD MAXLEN ~), expiring
 * an hour after its last entry, its entries' output cut to LIVE_OUTPUT_BYTES per stream (the
 * whole output arrives with the host's result). Redacted as results are: the worker publishes
 * the same OperationResult it hands off later. Nothing here is the record: a lost entry only
 * means the page shows the operation once its host's result is written.
 *
 * Not a pub/sub channel, and separate from the run progress keys and from any completion
 * notification: a reader that comes late (a page opened mid-run) still reads every entry.
 */

/**
 * Entries a run's stream keeps, at least (MAXLEN ~ trims in whole radix-tree nodes); each entry
 * carries up to LIVE_OUTPUT_OPS_PER_ENTRY operations.
 */
export const LIVE_OUTPUT_MAX_ENTRIES = 1_000;
/** Seconds a run's stream lives after its last entry. */
export const LIVE_OUTPUT_TTL_SECONDS = 3_600;
/** Characters of stdout and of stderr an entry carries, at most (64 KiB each in the result). */
export const LIVE_OUTPUT_CHARS = 4_096;

/** The key of a run's live output stream. */
export function liveOutputKey(prefix: string, runId: string): string {
  return `${prefix}:live:${runId}`;
}

/** One entry: an operation's result as it finished on `hostname`, output possibly cut. */
export const liveOperationSchema = operationResultSchema.extend({ hostname: hostnameSchema });
export type LiveOperation = z.infer<typeof liveOperationSchema>;

/** An entry read back, with its stream id (the `after` of the next read). */
export interface LiveEntry {
  readonly id: string;
  readonly operation: LiveOperation;
}

function cut(text: string, truncated: boolean): [string, boolean] {
  return text.length > LIVE_OUTPUT_CHARS ? [text.slice(0, LIVE_OUTPUT_CHARS), true] : [text, truncated];
}

/** The entry of an operation's result: its output cut to LIVE_OUTPUT_CHARS per stream. */
export function toLiveOperation(hostname: string, result: OperationResult): LiveOperation {
  const [stdout, stdoutTruncated] = cut(result.stdout, result.stdoutTruncated);
  const [stderr, stderrTruncated] = cut(result.stderr, result.stderrTruncated);
  return { ...result, hostname, stdout, stdoutTruncated, stderr, stderrTruncated };
}

export interface LiveOutputPublisherOptions {
  /** How long an operation may wait to be sent with others of its run. @defaultValue 100 */
  readonly flushMs?: number;
  /** Entries a run's stream keeps (MAXLEN ~). @defaultValue LIVE_OUTPUT_MAX_ENTRIES */
  readonly maxEntries?: number;
  /** Told each send's outcome: undefined when it was written, else why not. @defaultValue ignored */
  readonly onSent?: (error: Error | undefined) => void;
}

export interface LiveOutputPublisher {
  /**
   * Queues the operation; within `flushMs` it is sent with the others of its run queued
   * meanwhile, as one stream entry of up to LIVE_OUTPUT_OPS_PER_ENTRY operations (one XADD,
   * and an EXPIRE at most every LIVE_OUTPUT_EXPIRE_EVERY_MS per run). Never waits and never
   * throws: the frame reading goes on; see `onSent`.
   */
  publish(runId: string, hostname: string, result: OperationResult): void;
  /** Sends what is queued now (tests, the bench; a worker's last 100 ms are not worth a wait). */
  flush(): Promise<void>;
}

/** Operations one stream entry carries, at most (field `op`, once per operation). */
export const LIVE_OUTPUT_OPS_PER_ENTRY = 20;
/** ioredis states of a connection that lost Redis (not one still opening). */
const DOWN_STATES = new Set(['reconnecting', 'close', 'end']);

/** A run's expiry is renewed by a publisher at most this often. */
const LIVE_OUTPUT_EXPIRE_EVERY_MS = 60_000;

/**
 * Batching is what keeps the cost down: a warm host's ten operations finish within a few
 * milliseconds, and a worker converges dozens of hosts of the same run at once, so most of a
 * run's operations share an XADD (bench/live-output-cost.ts).
 */
export function liveOutputPublisher(redis: Redis, prefix: string, { flushMs = 100, maxEntries = LIVE_OUTPUT_MAX_ENTRIES, onSent = () => undefined }: LiveOutputPublisherOptions = {}): LiveOutputPublisher {
  let queued = new Map<string, string[]>();
  const expiredAt = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;

  function send(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = queued;
    queued = new Map();
    // While Redis is away the batch is dropped, not queued in ioredis' offline queue for the
    // length of the outage (the results carry every operation).
    if (DOWN_STATES.has(redis.status)) {
      onSent(new Error(`Redis is ${redis.status}; ${[...batch.values()].reduce((n, e) => n + e.length, 0)} operation(s) not published`));
      return Promise.resolve();
    }
    const now = Date.now();
    const sends: Array<Promise<unknown>> = [];
    for (const [key, entries] of batch) {
      for (let i = 0; i < entries.length; i += LIVE_OUTPUT_OPS_PER_ENTRY) {
        const fields = entries.slice(i, i + LIVE_OUTPUT_OPS_PER_ENTRY).flatMap((json) => ['op', json]);
        sends.push(redis.xadd(key, 'MAXLEN', '~', maxEntries, '*', ...fields));
      }
      if (now - (expiredAt.get(key) ?? 0) >= LIVE_OUTPUT_EXPIRE_EVERY_MS) {
        expiredAt.set(key, now);
        sends.push(redis.expire(key, LIVE_OUTPUT_TTL_SECONDS));
      }
    }
    // Runs whose expiry was renewed long ago are forgotten (a worker lives through many runs).
    for (const [key, at] of expiredAt) if (now - at > LIVE_OUTPUT_TTL_SECONDS * 1000) expiredAt.delete(key);
    return Promise.all(sends).then(
      () => onSent(undefined),
      (error: unknown) => onSent(error instanceof Error ? error : new Error(String(error))),
    );
  }

  return {
    publish(runId, hostname, result) {
      const key = liveOutputKey(prefix, runId);
      const entries = queued.get(key) ?? [];
      if (entries.length === 0) queued.set(key, entries);
      entries.push(JSON.stringify(toLiveOperation(hostname, result)));
      if (!timer) {
        timer = setTimeout(() => void send(), flushMs);
        timer.unref();
      }
    },
    flush: send,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Stream ids as Redis makes them (`<ms>-<n>`); `0` reads from the start. */
export const liveEntryIdSchema = z.string().regex(/^(0|\d{1,20}-\d{1,20})$/, 'a stream id such as 1700000000000-0');

export interface LiveReadOptions {
  /** Read entries after this id. @defaultValue '0' (from the start) */
  readonly after?: string;
  /** Entries at most. @defaultValue 200 */
  readonly count?: number;
}

/**
 * Reads a run's entries after `after` (XRANGE, exclusive start), oldest first: one LiveEntry per
 * operation (an entry of several operations gives several with its id). One that does not parse
 * is skipped. `last` is the id to read after next time (the input when none);
 * `more` says the read stopped at `count` (read again at once).
 */
export async function readLiveOutput(redis: Redis, prefix: string, runId: string, { after = '0', count = 200 }: LiveReadOptions = {}): Promise<{ entries: LiveEntry[]; last: string; more: boolean }> {
  const start = after === '0' ? '-' : `(${after}`;
  const raw = await redis.xrange(liveOutputKey(prefix, runId), start, '+', 'COUNT', count);
  const entries: LiveEntry[] = [];
  let last = after;
  for (const [id, fields] of raw) {
    last = id;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] !== 'op') continue;
      const parsed = liveOperationSchema.safeParse(parseJson(fields[i + 1] as string));
      if (parsed.success) entries.push({ id, operation: parsed.data });
    }
  }
  return { entries, last, more: raw.length === count };
}
