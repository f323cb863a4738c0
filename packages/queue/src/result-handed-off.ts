import type { Redis } from 'ioredis';
import { RESULTS_QUEUE } from './names';
import { runDoneKey } from './progress';
import { resultJobId } from './result-job';

/**
 * The Redis key of a result job's hash (BullMQ keeps a job as `<prefix>:<queue>:<job id>`,
 * from the moment it is added until it is removed, whatever its state).
 */
export function resultJobKey(prefix: string, runId: string, hostname: string): string {
  return `${prefix}:${RESULTS_QUEUE}:${resultJobId(runId, hostname)}`;
}

/**
 * Whether a host's result for a run was already handed off: its result job is in the results
 * queue (in any state: waiting, being written, failed for good), or the results consumer has
 * already counted the host in the run's done set (it counts a host before its result job
 * completes, and a completed result job is removed). Two commands in one round trip
 * (EXISTS, SISMEMBER) instead of BullMQ's getJobState script (up to 8 lookups) and a SISMEMBER.
 */
export async function isResultHandedOff(redis: Redis, prefix: string, runId: string, hostname: string): Promise<boolean> {
  const replies = await redis.pipeline().exists(resultJobKey(prefix, runId, hostname)).sismember(runDoneKey(prefix, runId), hostname).exec();
  if (!replies) throw new Error('result hand-off check: no reply from Redis');
  for (const [error] of replies) if (error) throw error;
  return replies.some(([, value]) => value === 1);
}
