import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { markRunCancelled, markRunCancelling, pendingJobsOfRun, queueOfHost, readRunProgress } from '@simplecm/queue';
import type { RunStore } from '@simplecm/store';
import type { CancelDeps } from './cancel-run';

/**
 * cancelRun's reads and writes on the real services: cancel marks under `prefix`, pending jobs
 * and progress in Redis under each of `partitions` (the queue partitions' prefixes; default
 * `prefix` alone), waiting host jobs removed through `hostsQueue` (one per partition, in
 * partition order, or the one queue), the run in Cassandra. The caller owns (and closes) the
 * connections and the queues.
 */
export function cancelDepsOf(
  services: {
    readonly redis: Redis;
    readonly prefix: string;
    readonly partitions?: readonly string[];
    readonly hostsQueue: Queue | readonly Queue[];
    readonly runs: Pick<RunStore, 'getRun' | 'recordRunCancelled'>;
  },
  extra: Pick<CancelDeps, 'onWaiting' | 'sleep'> = {},
): CancelDeps {
  const { redis, prefix, hostsQueue, runs } = services;
  const partitions = services.partitions ?? prefix;
  return {
    getRun: runs.getRun,
    markCancelling: (id) => markRunCancelling(redis, prefix, id),
    markCancelled: (id, n) => markRunCancelled(redis, prefix, id, n),
    pendingJobs: (id) => pendingJobsOfRun(redis, partitions, id),
    // 0 when the job is locked: a worker took it between the read and the removal. With
    // partitions, the queue of the job's host (its name is in the job id, hostJobId).
    removeHostJob: async (jobId) => (await queueOfHost(hostsQueue, /\.host\.(.*)$/.exec(jobId)?.[1] ?? '').remove(jobId)) === 1,
    readProgress: (id) => readRunProgress(redis, partitions, id),
    recordRunCancelled: runs.recordRunCancelled,
    ...extra,
  };
}
