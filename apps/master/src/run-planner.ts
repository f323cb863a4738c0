import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunTarget } from '@simplecm/domain';
import type { ModuleRegistry } from '@simplecm/modules';
import { claimRunKey, readRunCancel, type HostJobWire, type RunOptions } from '@simplecm/queue';
import type { HostJobSigner } from './host-job-signer';
import { inventoryStore, latestStateRevision, newRunId, resultStore, runStore, type CassandraClient } from '@simplecm/store';
import { enqueueRun, type EnqueuedRun } from './enqueue';
import { failedHostsOf } from './failed-hosts';
import type { TagSelection } from './select-operations';

/** What is needed to plan runs: open once, used for every run (the resident master keeps them warm). */
export interface PlannerConnections {
  readonly cassandra: CassandraClient;
  readonly keyspace: string;
  readonly redis: Redis;
  /** The queue prefix (run keys live under it). */
  readonly prefix: string;
  /** One per queue partition, in partition order (see EnqueueDeps), or the one queue. */
  readonly hostsQueue: Queue<HostJobWire> | readonly Queue<HostJobWire>[];
  readonly modules: ModuleRegistry;
  readonly signer: HostJobSigner;
}

/** How pass two adds host jobs (the same for every run of a process). */
export interface PlannerSettings {
  readonly batchSize: number;
  readonly batchPauseMs: number;
}

/** One run to plan: what `simplecm run` was asked, from its flags or from a run request. */
export interface RunPlan {
  readonly target: RunTarget;
  /** Only the hosts that failed or were unreachable in this run. */
  readonly rerunFailed?: string;
  /** Re-enqueue this existing run. */
  readonly runId?: string;
  /** Idempotency key: every plan with the same key joins one run. */
  readonly runKey?: string;
  readonly options: RunOptions;
  readonly selection: TagSelection;
  readonly connectAttempts: number;
  /** Shown at the end of the run's target: `schedule:<name>` for a scheduled run. */
  readonly origin?: string;
}

export interface PlanHooks {
  /** The run is recorded, no job added yet. */
  readonly onRunCreated?: (runId: string, hostCount: number) => void;
  readonly onProgress?: (enqueued: number, total: number) => void;
}

export interface RunPlanner {
  plan(plan: RunPlan, hooks?: PlanHooks): Promise<EnqueuedRun>;
}

/**
 * Plans and enqueues runs over connections opened once: what both the one-shot `enqueue`
 * (`simplecm run --local`) and the resident master (`simplecm master`) call, so the two plan
 * alike. The stores' statements are prepared at the first run and reused after.
 */
export function createRunPlanner(c: PlannerConnections, settings: PlannerSettings): RunPlanner {
  const inventory = inventoryStore(c.cassandra, c.keyspace);
  const runs = runStore(c.cassandra, c.keyspace);
  const results = resultStore(c.cassandra, c.keyspace);
  return {
    async plan(plan, hooks = {}) {
      const target = plan.rerunFailed === undefined ? plan.target : await failedHostsOf(plan.rerunFailed, runs.getRun, results.pageRunHosts);
      const runKey = plan.runKey;
      return enqueueRun(
        {
          ...inventory,
          modules: c.modules,
          hostsQueue: c.hostsQueue,
          signer: c.signer,
          createRun: runs.createRun,
          newRunId,
          claimRunId: runKey === undefined ? undefined : async (candidate: string) => (await claimRunKey(c.redis, c.prefix, runKey, candidate)).runId,
          isCancelled: async (runId: string) => (await readRunCancel(c.redis, c.prefix, runId)) !== undefined,
          onRunCreated: hooks.onRunCreated,
          onProgress: hooks.onProgress,
          latestStateRevision: async () => (await latestStateRevision(c.cassandra, c.keyspace))?.revisionId ?? null,
        },
        target,
        plan.options,
        { runId: plan.runId, connectAttempts: plan.connectAttempts, batchSize: settings.batchSize, batchPauseMs: settings.batchPauseMs, selection: plan.selection, origin: plan.origin },
      );
    },
  };
}
