import type { Redis } from 'ioredis';
import { decodeResultEntry, REFUSED_RESULTS_KEPT, refusedResultsKey, RESULT_STREAM_GROUP, resultStreamKey, type ResultStreamEntry } from './result-stream';

/**
 * The results consumers' side of a partition's result stream (result-stream.ts): the group
 * `writers`, reading, claiming a dead consumer's entries, acknowledging written ones, and
 * recording refused ones. Each function is one command (or one pipeline) on one partition's keys.
 */

/**
 * Creates the group if it is missing (at id 0, so entries appended before any consumer ever
 * started are read too; MKSTREAM: before any entry). A group that exists (BUSYGROUP) is left as it is.
 */
export async function ensureResultGroup(redis: Redis, prefix: string): Promise<void> {
  try {
    await redis.call('XGROUP', 'CREATE', resultStreamKey(prefix), RESULT_STREAM_GROUP, '0', 'MKSTREAM');
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
  }
}

/** Whether `error` says the stream or its group is gone (Redis restarted empty, a FLUSHALL): ensureResultGroup again. */
export function isMissingResultGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOGROUP');
}

/** Entries of a reply's `[[id, fields], …]` list. */
function entriesOf(list: unknown): ResultStreamEntry[] {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const [id, fields] = item as [string, string[] | null];
    return decodeResultEntry(String(id), fields);
  });
}

/**
 * XREADGROUP of up to `count` entries never delivered to any consumer of the group, waiting up
 * to `blockMs` for one (on a connection of its own: it blocks it).
 */
export async function readNewResults(blocking: Redis, prefix: string, consumer: string, count: number, blockMs: number): Promise<ResultStreamEntry[]> {
  const reply = (await blocking.call('XREADGROUP', 'GROUP', RESULT_STREAM_GROUP, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', resultStreamKey(prefix), '>')) as [string, unknown][] | null;
  return reply === null ? [] : entriesOf(reply[0]?.[1]);
}

/**
 * XAUTOCLAIM: up to `count` entries delivered to any consumer of the group (a consumer killed
 * mid-write) and not acknowledged for `minIdleMs`, now `consumer`'s. One page from the start of
 * the pending list; entries deleted meanwhile are dropped by Redis.
 */
export async function claimStalledResults(redis: Redis, prefix: string, consumer: string, minIdleMs: number, count: number): Promise<ResultStreamEntry[]> {
  const reply = (await redis.call('XAUTOCLAIM', resultStreamKey(prefix), RESULT_STREAM_GROUP, consumer, minIdleMs, '0-0', 'COUNT', count)) as [string, unknown, unknown?];
  return entriesOf(reply[1]);
}

/**
 * XCLAIM … JUSTID of entries `consumer` holds and retries: resets their idle time, so no other
 * consumer claims entries that are being retried, and returns those still pending (an entry
 * another consumer claimed and acknowledged meanwhile is not).
 */
export async function keepResults(redis: Redis, prefix: string, consumer: string, entryIds: readonly string[]): Promise<Set<string>> {
  if (entryIds.length === 0) return new Set();
  const reply = (await redis.call('XCLAIM', resultStreamKey(prefix), RESULT_STREAM_GROUP, consumer, 0, ...entryIds, 'JUSTID')) as string[];
  return new Set(reply.map(String));
}

/** XACK + XDEL of written (or refused) entries in one round trip: they leave the group's pending list and the stream. */
export async function ackResults(redis: Redis, prefix: string, entryIds: readonly string[]): Promise<void> {
  if (entryIds.length === 0) return;
  const stream = resultStreamKey(prefix);
  const replies = await redis.pipeline().xack(stream, RESULT_STREAM_GROUP, ...entryIds).xdel(stream, ...entryIds).exec();
  for (const [error] of replies ?? []) if (error) throw error;
}

/** Records an entry the consumer refused (not written) where an operator sees it: `<p>:result-stream:refused`, capped. */
export async function recordRefusedResult(redis: Redis, prefix: string, entry: ResultStreamEntry, reason: string): Promise<void> {
  await redis.xadd(refusedResultsKey(prefix), 'MAXLEN', '~', REFUSED_RESULTS_KEPT, '*', 'entry', entry.entryId, 'id', entry.resultId ?? '', 'reason', reason);
}

/** Removes `consumer` from the group when it holds no entry (a consumer that closes cleanly); one that still holds some is left for XAUTOCLAIM. */
export async function forgetResultConsumer(redis: Redis, prefix: string, consumer: string): Promise<void> {
  const held = (await redis.call('XPENDING', resultStreamKey(prefix), RESULT_STREAM_GROUP, '-', '+', 1, consumer)) as unknown[];
  if (held.length === 0) await redis.call('XGROUP', 'DELCONSUMER', resultStreamKey(prefix), RESULT_STREAM_GROUP, consumer);
}
