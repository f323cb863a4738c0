import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { markRunCancelled, markRunCancelling, pendingJobsOfRun, readRunProgress } from '@simplecm/queue';
import type { RunStore } from '@simplecm/store';
import type { CancelDeps } from './cancel-run';

/**
 * cancelRun's reads and writes on the real services: cancel marks, pending jobs and progress in
 * Redis under `prefix`, waiting host jobs removed through `hostsQueue`, the run in Cassandra.
 * The caller owns (and closes) the connections and the queue.
 */
export function cancelDepsOf(
  services: { readonly redis: Redis; readonly prefix: string; readonly hostsQueue: Queue; readonly runs: Pick<RunStore, 'getRun' | 'recordRunCancelled'> },
  extra: Pick<CancelDeps, 'onWaiting' | 'sleep'> = {},
): CancelDeps {
  const { redis, prefix, hostsQueue, runs } = services;
  return {
    getRun: runs.getRun,
    markCancelling: (id) => markRunCancelling(redis, prefix, id),
    markCancelled: (id, n) => markRunCancelled(redis, prefix, id, n),
    pendingJobs: (id) => pendingJobsOfRun(redis, prefix, id),
    // 0 when the job is locked: a worker took it between the read and the removal.
    removeHostJob: async (jobId) => (await hostsQueue.remove(jobId)) === 1,
    readProgress: (id) => readRunProgress(redis, prefix, id),
    recordRunCancelled: runs.recordRunCancelled,
    ...extra,
  };
}
