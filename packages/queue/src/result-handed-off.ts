import type { Redis } from 'ioredis';
import { runHandedKey } from './result-stream';

/**
 * Whether a host's result for a run was already handed off: the host is in the run's handed
 * set (result-stream.ts), which the hand-off fills before it appends the result, so it holds
 * every host whose result is in the stream, being written, or written and counted in the done
 * set. One SISMEMBER.
 */
export async function isResultHandedOff(redis: Redis, prefix: string, runId: string, hostname: string): Promise<boolean> {
  return (await redis.sismember(runHandedKey(prefix, runId), hostname)) === 1;
}
