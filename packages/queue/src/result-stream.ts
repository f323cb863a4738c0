import type { Redis } from 'ioredis';
import { redisScript } from './redis-script';
import { resultJobId } from './result-job';
import type { ResultJobWire } from './result-mac';

/**
 * The result stream: how a worker hands a host's result to the results consumers. One Redis
 * stream per queue partition, `<p>:result-stream`, read by the consumer group `writers`
 * (XREADGROUP); an entry is acknowledged and deleted once its result is written. Next to it,
 * per run, the set of hosts whose result was handed off (`<p>:run:<id>:handed`): the hand-off
 * adds the host to it and the entry in one script, so a second hand-off of the same host adds
 * nothing. Both keys are under the partition's prefix (one slot on a cluster).
 *
 * An entry's fields: `id` (the result id, resultJobId: what the seal is bound to), `payload`
 * and `mac` (the sealed result, result-mac.ts). The name cannot clash with a BullMQ results
 * queue of the same prefix (`<p>:results:*`), so an installation upgraded with result jobs
 * left on one still has them there (docs/scaling.md, "Upgrading to the result stream").
 */

/** The consumer group of the results consumers (every consumer of a partition is in it). */
export const RESULT_STREAM_GROUP = 'writers';

/** A partition's result stream. */
export function resultStreamKey(prefix: string): string {
  return `${prefix}:result-stream`;
}

/** Where the consumers record the entries they refused (bad MAC, malformed): a capped stream, for operators. */
export function refusedResultsKey(prefix: string): string {
  return `${prefix}:result-stream:refused`;
}

/** Entries kept in the refused stream (about: MAXLEN ~). */
export const REFUSED_RESULTS_KEPT = 10_000;

/** The hosts of a run whose result was handed off, in one partition (a superset of its done set). */
export function runHandedKey(prefix: string, runId: string): string {
  return `${prefix}:run:${runId}:handed`;
}

const TTL_SECONDS = 7 * 24 * 3600;
/** The handed set's expiry is renewed each time this many more hosts are handed off (as progress.ts does). */
const EXPIRY_EVERY_HOSTS = 32;

// KEYS: the handed set. ARGV: the stream, the hostname, then the entry's fields
// (encodeResultEntry). Adds the host to the handed set; only the first time is the entry
// appended (returns 1, else 0). The stream is named in ARGV, not KEYS, so that the worker's
// Redis user may append to it without reading it (redis-acl.ts: Redis refuses a key a script
// declares unless the caller may read and write it; a key the script builds is checked per
// command, and XADD only writes). It is in the handed set's slot (same prefix). The set
// expires TTL_SECONDS after it was made, renewed when its size reaches a multiple of
// EXPIRY_EVERY_HOSTS (not at each hand-off).
const HAND_OFF_SCRIPT = `
if redis.call('SADD', KEYS[1], ARGV[2]) == 0 then return 0 end
redis.call('XADD', ARGV[1], '*', unpack(ARGV, 3))
local n = redis.call('SCARD', KEYS[1])
if n == 1 or n % ${EXPIRY_EVERY_HOSTS} == 0 then redis.call('EXPIRE', KEYS[1], ${TTL_SECONDS}) end
return 1
`;
const handOffScript = redisScript(HAND_OFF_SCRIPT);

/**
 * Hands a host's sealed result to its partition's result stream: one round trip, atomic, and
 * deduplicated by (run, host): true when it was appended now, false when this host's result of
 * this run had already been handed off (nothing is appended then). `wire` is the result sealed
 * with resultJobId(runId, hostname) (resultSealer).
 */
export async function handOffResult(redis: Redis, prefix: string, runId: string, hostname: string, wire: ResultJobWire): Promise<boolean> {
  const reply = await handOffScript.run(redis, [runHandedKey(prefix, runId)], [resultStreamKey(prefix), hostname, ...encodeResultEntry(resultJobId(runId, hostname), wire)]);
  return reply === 1;
}

/** An entry as read from the stream: its stream id and its result id and sealed result, or why it is not one (a string). */
export interface ResultStreamEntry {
  /** The stream's id of the entry (`<ms>-<seq>`), what XACK and XDEL take. */
  readonly entryId: string;
  /** Its `id` field (the result id), when it has one: what a refused entry is recorded under. */
  readonly resultId?: string;
  /** The result id (resultJobId) and the sealed result, or why the fields are not an entry a worker makes. */
  readonly content: { readonly resultId: string; readonly wire: { readonly payload: string; readonly mac: string } } | string;
}

/** The fields of an entry as XADD takes them (what the hand-off script appends). */
export function encodeResultEntry(resultId: string, wire: ResultJobWire): string[] {
  return ['id', resultId, 'payload', wire.payload, 'mac', wire.mac];
}

/** An entry from its stream id and its flat field list (as XREADGROUP / XAUTOCLAIM return them). */
export function decodeResultEntry(entryId: string, fields: readonly string[] | null): ResultStreamEntry {
  if (fields === null) return { entryId, content: 'entry deleted before it was read' };
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i]!, fields[i + 1]!);
  const resultId = values.get('id');
  const payload = values.get('payload');
  const mac = values.get('mac');
  if (resultId === undefined) return { entryId, content: 'entry without a result id' };
  if (payload === undefined) return { entryId, resultId, content: 'entry without a payload' };
  if (mac === undefined) return { entryId, resultId, content: 'entry without a MAC' };
  return { entryId, resultId, content: { resultId, wire: { payload, mac } } };
}

/** A partition's backlog of results: entries not yet read by any consumer, and read but not yet written (acknowledged). */
export interface ResultStreamBacklog {
  readonly waiting: number;
  readonly pending: number;
}

/** XINFO GROUPS of a partition's stream: the group's `lag` and `pending` (0 and 0 when there is no stream or group yet). */
export async function readResultStreamBacklog(redis: Redis, prefix: string): Promise<ResultStreamBacklog> {
  let groups: unknown[];
  try {
    groups = (await redis.xinfo('GROUPS', resultStreamKey(prefix))) as unknown[];
  } catch (error) {
    if (error instanceof Error && error.message.includes('no such key')) return { waiting: 0, pending: 0 };
    throw error;
  }
  for (const group of groups) {
    const info = new Map<string, unknown>();
    const flat = group as unknown[];
    for (let i = 0; i + 1 < flat.length; i += 2) info.set(String(flat[i]), flat[i + 1]);
    if (info.get('name') !== RESULT_STREAM_GROUP) continue;
    // lag is nil when Redis cannot tell (entries deleted in the unread range): the stream's length then bounds it.
    const lag = info.get('lag');
    return { waiting: typeof lag === 'number' ? lag : await redis.xlen(resultStreamKey(prefix)), pending: Number(info.get('pending') ?? 0) };
  }
  return { waiting: await redis.xlen(resultStreamKey(prefix)), pending: 0 };
}

/**
 * The Prometheus lines of the result streams' backlog, as the gauge the results queue had
 * (`bullmq_job_count{queue="results", state="waiting"|"active"}`): waiting = the group's lag,
 * active = its pending entries; a `partition` label when there are several partitions.
 */
export async function resultStreamMetrics(redis: Redis, prefixes: readonly string[]): Promise<string> {
  const backlogs = await Promise.all(prefixes.map((p) => readResultStreamBacklog(redis, p)));
  const lines = ['# HELP bullmq_job_count Number of jobs in the queue by state', '# TYPE bullmq_job_count gauge'];
  backlogs.forEach((b, i) => {
    const partition = prefixes.length > 1 ? `, partition="${i}"` : '';
    lines.push(`bullmq_job_count{queue="results", state="waiting"${partition}} ${b.waiting}`, `bullmq_job_count{queue="results", state="active"${partition}} ${b.pending}`);
  });
  return lines.join('\n');
}
