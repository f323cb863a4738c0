import type { Redis } from 'ioredis';
import { HOSTS_QUEUE } from './names';
import { runDoneKey } from './progress';
import { runHandedKey } from './result-stream';
import { appendRunEvent } from './run-events';

/**
 * Cancelling a run (`simplecm cancel`): a mark in Redis, `<prefix>:run:<runId>:cancel`, a hash
 * whose `state` is `cancelling` from the moment the cancel starts (a master planning the run
 * adds no batch after it sees it) and `cancelled` with `hosts` (the number of hosts taken out)
 * once the hosts that were running have finished. `enqueue --wait` reads it to stop waiting
 * (told by a `cancelled` run event, run-events.ts).
 */
export type RunCancelMark = { readonly state: 'cancelling' } | { readonly state: 'cancelled'; readonly hostsCancelled: number };

const TTL_SECONDS = 7 * 24 * 3600;

export function runCancelKey(prefix: string, runId: string): string {
  return `${prefix}:run:${runId}:cancel`;
}

/** Starts cancelling (a no-op when the run is already cancelling or cancelled). */
export async function markRunCancelling(redis: Redis, prefix: string, runId: string): Promise<void> {
  const key = runCancelKey(prefix, runId);
  await redis.multi().hsetnx(key, 'state', 'cancelling').expire(key, TTL_SECONDS).exec();
}

/** Records the end of the cancel: `hostsCancelled` hosts never ran; tells the run's waiters (run-events.ts) in the same MULTI. */
export async function markRunCancelled(redis: Redis, prefix: string, runId: string, hostsCancelled: number): Promise<void> {
  const key = runCancelKey(prefix, runId);
  const marked = redis.multi().hset(key, 'state', 'cancelled', 'hosts', String(hostsCancelled)).expire(key, TTL_SECONDS);
  await appendRunEvent(marked, prefix, runId, { kind: 'cancelled', hostsCancelled }).exec();
}

export async function readRunCancel(redis: Redis, prefix: string, runId: string): Promise<RunCancelMark | undefined> {
  const [state, hosts] = await redis.hmget(runCancelKey(prefix, runId), 'state', 'hosts');
  if (state === 'cancelled') return { state, hostsCancelled: Number(hosts ?? 0) };
  if (state === 'cancelling') return { state };
  return undefined;
}

/** The run's jobs that are not done: host jobs waiting (any waiting state) or running, and results handed off but not yet recorded. */
export interface PendingRunJobs {
  /** Ids of host jobs not yet taken (waiting, paused, delayed for a retry, prioritized). */
  readonly waiting: string[];
  /** Ids of host jobs a worker holds. */
  readonly active: string[];
  /** Results of the run handed off (result-stream.ts) and not yet counted by a results consumer. */
  readonly results: number;
}

/**
 * Reads BullMQ's lists and sets of the hosts queue directly and keeps the ids of run `runId`
 * (job ids carry the run id, see hostJobId), so no job payload is read. Each list is read whole:
 * O(jobs in the queue), fine for an operator's command. Results still queued: the run's handed
 * set less the hosts of it the consumers counted (SCARD − SINTERCARD with the done set). All keys
 * share the prefix's hash tag, so this works on a cluster; with several prefixes (one per queue
 * partition) each is read on its own and the lists joined.
 */
export async function pendingJobsOfRun(redis: Redis, prefix: string | readonly string[], runId: string): Promise<PendingRunJobs> {
  // Queue partitions (queue-partitions.ts): the run's jobs are in every partition's queues.
  if (typeof prefix !== 'string') {
    const parts = await Promise.all(prefix.map((p) => pendingJobsOfRun(redis, p, runId)));
    return { waiting: parts.flatMap((p) => p.waiting), active: parts.flatMap((p) => p.active), results: parts.reduce((n, p) => n + p.results, 0) };
  }
  const ofRun = (ids: string[]) => ids.filter((id) => id.includes(`.${runId}.host.`));
  const hosts = (n: string) => `${prefix}:${HOSTS_QUEUE}:${n}`;
  const handed = runHandedKey(prefix, runId);
  const [waitingLists, activeList, handedCount, counted] = await Promise.all([
    Promise.all([...['wait', 'paused'].map((n) => redis.lrange(hosts(n), 0, -1)), ...['delayed', 'prioritized'].map((z) => redis.zrange(hosts(z), 0, -1))]),
    redis.lrange(hosts('active'), 0, -1),
    redis.scard(handed),
    redis.call('SINTERCARD', 2, handed, runDoneKey(prefix, runId)) as Promise<number>,
  ]);
  return { waiting: ofRun(waitingLists.flat()), active: ofRun(activeList), results: handedCount - counted };
}
