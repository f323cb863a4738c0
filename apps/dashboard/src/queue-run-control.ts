import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { cancelDepsOf, cancelRun } from '@simplecm/control';
import { liveMasters, RunRequestTimeoutError, type RunRequest, type RunRequestSubmitter, type SubmitBounds } from '@simplecm/queue';
import type { RunStore } from '@simplecm/store';
import { HttpError } from './http-error';
import { launchRunRequest, relaunchRunRequest, type RequestStamp } from './launch-run-request';
import type { LaunchedRun, RunControl } from './run-control';

/** What the page shows (503) when no master's heartbeat is current. */
export const NO_MASTER_MESSAGE = 'no resident master is running: start `simplecm master`';

export interface QueueRunControlDeps {
  /** Reads master heartbeats and the run's jobs, writes cancel marks. */
  readonly redis: Redis;
  readonly prefix: string;
  /** Puts run requests on the run-requests queue and waits for the answers (the caller closes it). */
  readonly submitter: RunRequestSubmitter;
  /** Where a cancel removes the waiting host jobs of the run: one per queue partition, in partition order, or the one queue. */
  readonly hostsQueue: Queue | readonly Queue[];
  /** The queue partitions' prefixes (the run's jobs and progress). @defaultValue `[prefix]` */
  readonly partitions?: readonly string[];
  readonly runs: Pick<RunStore, 'getRun' | 'recordRunCancelled'>;
  /** @defaultValue a random UUID and Date.now() */
  readonly stamp?: () => RequestStamp;
  /**
   * How long a launch waits for a master to take its request (then withdrawn) and to answer
   * (then left queued); each answers 503 with what happened. @defaultValue unbounded
   */
  readonly bounds?: SubmitBounds;
  /** How often a cancel looks again at the hosts still running. @defaultValue 500 */
  readonly cancelPollMs?: number;
}

/**
 * The dashboard's RunControl over the resident master: launch and relaunch become run requests
 * on the `run-requests` queue, answered by a master once every host job is enqueued; the
 * dashboard never plans a run (it holds no job signing key). Cancel is `simplecm cancel`'s
 * cancelRun. With no master alive a launch is refused at once (503) rather than left waiting;
 * with `bounds`, a request no master takes in time (the only master died just now) is withdrawn
 * and answered 503, one a master took but did not answer in time is left queued, also 503.
 */
export function queueRunControl(deps: QueueRunControlDeps): RunControl {
  const { redis, prefix, submitter, runs } = deps;
  const stamp = deps.stamp ?? (() => ({ requestId: randomUUID(), now: Date.now() }));
  const submit = async (request: RunRequest): Promise<LaunchedRun> => {
    if ((await liveMasters(redis, prefix)).length === 0) throw new HttpError('unavailable', NO_MASTER_MESSAGE);
    try {
      const { runId, hostCount } = await submitter.submit(request, deps.bounds);
      return { runId, hostCount };
    } catch (error) {
      if (error instanceof RunRequestTimeoutError) throw new HttpError('unavailable', error.message, { cause: error });
      throw error;
    }
  };
  return {
    launch: (request, by) => submit(launchRunRequest(request, by, stamp())),
    async relaunchFailed(runId, by) {
      const run = await runs.getRun(runId);
      if (!run) throw new HttpError('not-found', `There is no run ${runId}.`);
      if (run.mode === 'adhoc') throw new HttpError('bad-request', `Run ${runId} is an ad-hoc command: run it again with \`simplecm exec\`.`);
      return submit(relaunchRunRequest(runId, run.mode, by, stamp()));
    },
    async cancel(runId) {
      await cancelRun(cancelDepsOf({ redis, prefix, partitions: deps.partitions, hostsQueue: deps.hostsQueue, runs }), runId, { pollMs: deps.cancelPollMs });
    },
  };
}
