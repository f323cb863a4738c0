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

/** Entries a run's stream keeps, at least (MAXLEN ~ trims in whole radix-tree nodes). */
export const LIVE_OUTPUT_MAX_ENTRIES = 10_000;
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

export interface LiveOutputPublisher {
  /**
   * Appends the operation to the run's stream and renews its expiry (one round trip, not
   * awaited by the caller's frame reading: the promise is for errors and tests).
   */
  publish(runId: string, hostname: string, result: OperationResult): Promise<void>;
}

export function liveOutputPublisher(redis: Redis, prefix: string, maxEntries = LIVE_OUTPUT_MAX_ENTRIES): LiveOutputPublisher {
  return {
    async publish(runId, hostname, result) {
      const key = liveOutputKey(prefix, runId);
      const entry = JSON.stringify(toLiveOperation(hostname, result));
      await redis.multi().xadd(key, 'MAXLEN', '~', maxEntries, '*', 'op', entry).expire(key, LIVE_OUTPUT_TTL_SECONDS).exec();
    },
  };
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
 * Reads a run's entries after `after` (XRANGE, exclusive start), oldest first. An entry that
 * does not parse is skipped. `last` is the id to read after next time (the input when none);
 * `more` says the read stopped at `count` (read again at once).
 */
export async function readLiveOutput(redis: Redis, prefix: string, runId: string, { after = '0', count = 200 }: LiveReadOptions = {}): Promise<{ entries: LiveEntry[]; last: string; more: boolean }> {
  const start = after === '0' ? '-' : `(${after}`;
  const raw = await redis.xrange(liveOutputKey(prefix, runId), start, '+', 'COUNT', count);
  const entries: LiveEntry[] = [];
  let last = after;
  for (const [id, fields] of raw) {
    last = id;
    const at = fields.indexOf('op');
    if (at < 0 || at + 1 >= fields.length) continue;
    let json: unknown;
    try {
      json = JSON.parse(fields[at + 1] as string);
    } catch {
      continue;
    }
    const parsed = liveOperationSchema.safeParse(json);
    if (parsed.success) entries.push({ id, operation: parsed.data });
  }
  return { entries, last, more: raw.length === count };
}
