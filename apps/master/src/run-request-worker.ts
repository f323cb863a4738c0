import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { errorMessage } from '@simplecm/kernel';
import { describeJobIssues, RUN_REQUESTS_QUEUE, runRequestSchema, type RunRequest, type RunRequestAnswer } from '@simplecm/queue';
import { isBadInputError } from './bad-input';
import type { RunPlanner } from './run-planner';
import { BAD_INPUT_MARK, fromRunRequest } from './submit-run-request';

export interface RunRequestWorkerOptions {
  readonly concurrency: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
}

export interface RunRequestEvents {
  readonly planned?: (request: RunRequest, answer: RunRequestAnswer) => void;
  readonly refused?: (jobId: string | undefined, reason: string) => void;
}

/**
 * Takes run requests off the run-requests queue and plans each with `planner`. A request that
 * does not parse, or asks for something the desired state cannot give (bad input), fails for
 * good with its reason marked BAD_INPUT_MARK for the submitter; any other failure fails it too
 * (one attempt), reported as a service error. A master that dies mid-plan stops renewing the
 * request's lock: after `lockDurationMs` another master takes it again, and the request id —
 * claimed as the run key — makes it join the same run, adding no host job twice.
 */
export function startRunRequestWorker(connection: Redis, prefix: string, planner: RunPlanner, options: RunRequestWorkerOptions, events: RunRequestEvents = {}): Worker<RunRequest, RunRequestAnswer> {
  const process = async (job: Job<RunRequest, RunRequestAnswer>): Promise<RunRequestAnswer> => {
    const parsed = runRequestSchema.safeParse(job.data);
    if (!parsed.success) {
      const reason = `${BAD_INPUT_MARK}malformed run request ${job.id}: ${describeJobIssues(parsed.error)}`;
      events.refused?.(job.id, reason);
      throw new UnrecoverableError(reason);
    }
    try {
      const { runId, hostCount, stateRevision } = await planner.plan(fromRunRequest(parsed.data));
      const answer = { runId, hostCount, stateRevision };
      events.planned?.(parsed.data, answer);
      return answer;
    } catch (error) {
      const reason = `${isBadInputError(error) ? BAD_INPUT_MARK : ''}${errorMessage(error)}`;
      events.refused?.(job.id, reason);
      throw new UnrecoverableError(reason);
    }
  };
  return new Worker<RunRequest, RunRequestAnswer>(RUN_REQUESTS_QUEUE, process, {
    connection,
    prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    // A request outlives a few dying masters before it is given up.
    maxStalledCount: 3,
  });
}
