import type { Redis } from 'ioredis';
import { emptyCounts, type HostStatus, type OutcomeCounts, operationStatuses } from '@simplecm/domain';

/** Live progress of a run, kept in Redis by the results consumer, read by `enqueue --wait`. */
export interface RunProgressSnapshot {
  readonly hostsDone: number;
  readonly hostsFailed: number;
  readonly counts: OutcomeCounts;
}

const TTL_SECONDS = 7 * 24 * 3600;

// Adds the host to the run's done set; only a host seen for the first time adds its counts,
// so a redelivered result cannot count twice. Returns the new totals.
const RECORD_SCRIPT = `
local added = redis.call('SADD', KEYS[1], ARGV[1])
if added == 1 then
  for i = 3, #ARGV, 2 do
    redis.call('HINCRBY', KEYS[2], ARGV[i], tonumber(ARGV[i + 1]))
  end
  redis.call('HINCRBY', KEYS[2], 'host:' .. ARGV[2], 1)
end
redis.call('EXPIRE', KEYS[1], ${TTL_SECONDS})
redis.call('EXPIRE', KEYS[2], ${TTL_SECONDS})
return {added, redis.call('SCARD', KEYS[1]), redis.call('HGETALL', KEYS[2])}
`;

function keys(prefix: string, runId: string): [string, string] {
  return [`${prefix}:run:${runId}:done`, `${prefix}:run:${runId}:counts`];
}

function snapshotFrom(done: number, flat: string[]): RunProgressSnapshot {
  const counts = emptyCounts();
  let hostsFailed = 0;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = flat[i] as string;
    const value = Number(flat[i + 1]);
    if ((operationStatuses as readonly string[]).includes(field)) counts[field as keyof OutcomeCounts] = value;
    if (field === 'host:failed' || field === 'host:unreachable') hostsFailed += value;
  }
  return { hostsDone: done, hostsFailed, counts };
}

export async function recordHostProgress(
  redis: Redis,
  prefix: string,
  runId: string,
  hostname: string,
  hostStatus: HostStatus,
  counts: OutcomeCounts,
): Promise<{ firstTime: boolean; snapshot: RunProgressSnapshot }> {
  const args = [hostname, hostStatus, ...Object.entries(counts).flatMap(([k, v]) => [k, String(v)])];
  const [added, done, flat] = (await redis.eval(RECORD_SCRIPT, 2, ...keys(prefix, runId), ...args)) as [number, number, string[]];
  return { firstTime: added === 1, snapshot: snapshotFrom(done, flat) };
}

export async function readRunProgress(redis: Redis, prefix: string, runId: string): Promise<RunProgressSnapshot> {
  const [doneKey, countsKey] = keys(prefix, runId);
  const [done, flat] = await Promise.all([redis.scard(doneKey), redis.hgetall(countsKey)]);
  return snapshotFrom(done, Object.entries(flat).flat());
}

/** Whether the results consumer has already counted this host in this run (its result is recorded). */
export async function isHostCounted(redis: Redis, prefix: string, runId: string, hostname: string): Promise<boolean> {
  return (await redis.sismember(keys(prefix, runId)[0], hostname)) === 1;
}
