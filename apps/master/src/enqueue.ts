import type { Queue } from 'bullmq';
import { describeTarget, type HostJobData, type RunOptions, type RunTarget } from '@simplecm/domain';
import type { ModuleRegistry } from '@simplecm/modules';
import { hostJobId } from '@simplecm/queue';
import type { NewRun } from '@simplecm/store';
import { planHosts, validateTarget, type PlanSource } from './plan-run';

export interface EnqueueDeps extends PlanSource {
  readonly modules: ModuleRegistry;
  readonly hostsQueue: Queue<HostJobData>;
  readonly createRun: (run: NewRun) => Promise<void>;
  readonly newRunId: () => string;
  readonly onProgress?: (enqueued: number, total: number) => void;
}

export interface EnqueuedRun {
  readonly runId: string;
  readonly hostCount: number;
}

/** Attempts per host job: only connection failures are retried (a failed operation is a result). */
export const HOST_JOB_ATTEMPTS = 3;

/**
 * Enqueues a run: pass one validates the whole target (nothing is recorded or enqueued if any
 * operation is invalid), then the run is recorded, then pass two enqueues one job per host with
 * a job id derived from run and host, so a second enqueue of the same run adds nothing.
 */
export async function enqueueRun(deps: EnqueueDeps, target: RunTarget, options: RunOptions, runId?: string): Promise<EnqueuedRun> {
  const hostCount = await validateTarget(deps, deps.modules, target);
  if (hostCount === 0) throw new Error(`no hosts match the target ${describeTarget(target)}`);
  const id = runId ?? deps.newRunId();
  await deps.createRun({ runId: id, mode: options.mode, target: describeTarget(target), hostCount });
  let enqueued = 0;
  for await (const batch of planHosts(deps, deps.modules, target, { batch: 200 })) {
    await deps.hostsQueue.addBulk(
      batch.map(({ host, operations }) => ({
        name: 'host',
        data: { runId: id, host, operations, options, hostCount },
        opts: {
          jobId: hostJobId(id, host.hostname),
          attempts: HOST_JOB_ATTEMPTS,
          backoff: { type: 'exponential', delay: 2_000 },
          removeOnComplete: { age: 24 * 3600, count: 100_000 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      })),
    );
    enqueued += batch.length;
    deps.onProgress?.(enqueued, hostCount);
  }
  return { runId: id, hostCount };
}
