import type { Queue } from 'bullmq';
import { describeTarget, type HostJobData, type RunOptions, type RunTarget } from '@simplecm/domain';
import type { ModuleRegistry } from '@simplecm/modules';
import { CAPPED_BACKOFF, hostJobId } from '@simplecm/queue';
import type { NewRun } from '@simplecm/store';
import { planHosts, validateTarget, type PlanSource } from './plan-run';

export interface EnqueueDeps extends PlanSource {
  readonly modules: ModuleRegistry;
  readonly hostsQueue: Queue<HostJobData>;
  readonly createRun: (run: NewRun) => Promise<void>;
  readonly newRunId: () => string;
  /** For `--run-key`: returns the run id recorded under the key, recording `candidate` if there is none. */
  readonly claimRunId?: (candidate: string) => Promise<string>;
  /** Called once the run is recorded, before any job is added (so a crash after it can be resumed). */
  readonly onRunCreated?: (runId: string, hostCount: number) => void;
  readonly onProgress?: (enqueued: number, total: number) => void;
}

export interface EnqueuedRun {
  readonly runId: string;
  readonly hostCount: number;
}

/** Attempts per host job by default: only connection failures are retried (a failed operation is a result). */
export const HOST_JOB_ATTEMPTS = 3;

export interface EnqueueRunOptions {
  /** Re-enqueue this existing run (else a new id, or the run key's). */
  readonly runId?: string;
  /** Tries to reach each host (HOST_JOB_ATTEMPTS by default). */
  readonly connectAttempts?: number;
  /** Host jobs per addBulk, default 200. */
  readonly batchSize?: number;
  /** Pause after each batch, default 0 (a test hook). */
  readonly batchPauseMs?: number;
}

/**
 * Enqueues a run: pass one validates the whole target (nothing is recorded or enqueued if any
 * operation is invalid), then the run id is settled (given, claimed under a run key, or new) and
 * the run recorded, then pass two enqueues one job per host with a job id derived from run and
 * host, so a second enqueue of the same run — retried, or a second master — adds nothing.
 */
export async function enqueueRun(deps: EnqueueDeps, target: RunTarget, options: RunOptions, settings: EnqueueRunOptions = {}): Promise<EnqueuedRun> {
  const hostCount = await validateTarget(deps, deps.modules, target);
  if (hostCount === 0) throw new Error(`no hosts match the target ${describeTarget(target)}`);
  const candidate = settings.runId ?? deps.newRunId();
  const id = settings.runId === undefined && deps.claimRunId ? await deps.claimRunId(candidate) : candidate;
  await deps.createRun({ runId: id, mode: options.mode, target: describeTarget(target), hostCount });
  deps.onRunCreated?.(id, hostCount);
  let enqueued = 0;
  for await (const batch of planHosts(deps, deps.modules, target, { batch: settings.batchSize ?? 200 })) {
    await deps.hostsQueue.addBulk(
      batch.map(({ host, operations }) => ({
        name: 'host',
        data: { runId: id, host, operations, options, hostCount },
        opts: {
          jobId: hostJobId(id, host.hostname),
          attempts: settings.connectAttempts ?? HOST_JOB_ATTEMPTS,
          // Workers cap this doubling backoff (their --retry-max-delay).
          backoff: { type: CAPPED_BACKOFF, delay: 2_000 },
          removeOnComplete: { age: 24 * 3600, count: 100_000 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      })),
    );
    enqueued += batch.length;
    deps.onProgress?.(enqueued, hostCount);
    if (settings.batchPauseMs) await new Promise((resolve) => setTimeout(resolve, settings.batchPauseMs));
  }
  return { runId: id, hostCount };
}
