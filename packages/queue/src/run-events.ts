import type { ChainableCommander, Redis } from 'ioredis';
import { z } from 'zod';

/**
 * Notifications of a run's progress and end, for whoever waits on the run (`simplecm run
 * --wait`): a Redis stream per run, `<prefix>:run:<runId>:events`. The results consumer appends
 * the run's totals after each group of hosts it recorded (the last group is the run's end), and
 * `simplecm cancel` appends the end of a cancel. A waiter blocks on XREAD instead of polling.
 *
 * A stream rather than pub/sub: an event appended before the waiter starts reading is still
 * there (it reads from the start), the key lives under the queue prefix (its hash tag: one slot
 * on a cluster; the ACL grants it like any other key), and a waiter that reconnects reads on
 * from the last id it saw. Each event carries the run's totals, not a difference, so only the
 * newest matters and the stream is cut to its last MAX_EVENTS. Waiters still re-read the totals
 * now and then (see apps/master's wait-for-run.ts): an event lost in a Redis restart delays
 * them, it cannot hang them.
 */
export const RUN_EVENTS_MAX = 16;
const TTL_SECONDS = 7 * 24 * 3600;

export type RunEvent =
  | { readonly kind: 'progress'; readonly hostsDone: number; readonly hostsFailed: number }
  | { readonly kind: 'cancelled'; readonly hostsCancelled: number };

const count = z.coerce.number().int().nonnegative();
const eventFieldsSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('progress'), done: count, failed: count }),
  z.object({ kind: z.literal('cancelled'), hosts: count }),
]);

export function runEventsKey(prefix: string, runId: string): string {
  return `${prefix}:run:${runId}:events`;
}

function fieldsOf(event: RunEvent): string[] {
  return event.kind === 'progress'
    ? ['kind', 'progress', 'done', String(event.hostsDone), 'failed', String(event.hostsFailed)]
    : ['kind', 'cancelled', 'hosts', String(event.hostsCancelled)];
}

/** Adds the append of `event` to a MULTI or pipeline (with the key's expiry), for callers that write more in it. */
export function appendRunEvent(commands: ChainableCommander, prefix: string, runId: string, event: RunEvent): ChainableCommander {
  const key = runEventsKey(prefix, runId);
  return commands.xadd(key, 'MAXLEN', String(RUN_EVENTS_MAX), '*', ...fieldsOf(event)).expire(key, TTL_SECONDS);
}

/** Appends `event` to the run's stream (one round trip; a refused command's own error is thrown). */
export async function publishRunEvent(redis: Redis, prefix: string, runId: string, event: RunEvent): Promise<void> {
  const replies = await appendRunEvent(redis.pipeline(), prefix, runId, event).exec();
  const failed = replies?.find(([error]) => error !== null)?.[0];
  if (failed) throw failed;
}

/** What one read returned: the events in order (unreadable entries skipped) and the id to read on from. */
export interface RunEventBatch {
  readonly events: RunEvent[];
  readonly lastId: string;
}

/** The id to read from when nothing was read yet: every event the stream still holds. */
export const RUN_EVENTS_START = '0-0';

/**
 * Reads the run's events after `afterId`, blocking up to `blockMs` when there is none yet (an
 * empty batch then). XREAD BLOCK holds its connection: give it one of its own.
 */
export async function readRunEvents(blocking: Redis, prefix: string, runId: string, afterId: string, blockMs: number): Promise<RunEventBatch> {
  const reply = (await blocking.xread('COUNT', RUN_EVENTS_MAX, 'BLOCK', Math.max(1, Math.round(blockMs)), 'STREAMS', runEventsKey(prefix, runId), afterId)) as
    | Array<[string, Array<[string, string[]]>]>
    | null;
  const entries = reply?.[0]?.[1] ?? [];
  const events: RunEvent[] = [];
  for (const [, flat] of entries) {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
    const parsed = eventFieldsSchema.safeParse(fields);
    if (!parsed.success) continue;
    const f = parsed.data;
    events.push(f.kind === 'progress' ? { kind: 'progress', hostsDone: f.done, hostsFailed: f.failed } : { kind: 'cancelled', hostsCancelled: f.hosts });
  }
  return { events, lastId: entries.at(-1)?.[0] ?? afterId };
}
