import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { errorMessage } from '@simplecm/kernel';
import {
  BAD_INPUT_MARK,
  describeJobIssues,
  getSchedule,
  lastScheduleRun,
  pendingJobsOfRun,
  recordScheduleRun,
  RUN_REQUESTS_QUEUE,
  runRequestSchema,
  SCHEDULE_JOB_NAME,
  scheduleFiringSchema,
  type RunRequest,
  type RunRequestAnswer,
  type ScheduleFiring,
} from '@simplecm/queue';
import { isBadInputError } from './bad-input';
import { fireSchedule, type FiringOutcome } from './fire-schedule';
import type { RunPlanner } from './run-planner';
import { fromRunRequest } from './run-plan-request';

export interface RunRequestWorkerOptions {
  readonly concurrency: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  /** The queue partitions' prefixes, where a run's host jobs wait (queue-partitions.ts). @defaultValue `[prefix]` */
  readonly partitionPrefixes?: readonly string[];
}

export interface RunRequestEvents {
  readonly planned?: (request: RunRequest, answer: RunRequestAnswer) => void;
  readonly refused?: (jobId: string | undefined, reason: string) => void;
  readonly fired?: (schedule: string, outcome: FiringOutcome) => void;
}

type MasterJobData = RunRequest | ScheduleFiring;
type MasterAnswer = RunRequestAnswer | FiringOutcome;

/**
 * Takes run requests and schedule firings off the run-requests queue and plans each with
 * `planner`. A request that does not parse, or asks for something the desired state cannot
 * give (bad input), fails for good with its reason marked BAD_INPUT_MARK for the submitter; any
 * other failure fails it too (one attempt), reported as a service error. A master that dies
 * mid-plan stops renewing the job's lock: after `lockDurationMs` another master takes it again,
 * and the request id (or firing id) — claimed as the run key — makes it join the same run,
 * adding no host job twice.
 */
export function startRunRequestWorker(connection: Redis, prefix: string, planner: RunPlanner, options: RunRequestWorkerOptions, events: RunRequestEvents = {}): Worker<MasterJobData, MasterAnswer> {
  const refuse = (job: Job, reason: string): never => {
    events.refused?.(job.id, reason);
    throw new UnrecoverableError(reason);
  };
  const planOrRefuse = async <T>(job: Job, plan: () => Promise<T>): Promise<T> => {
    try {
      return await plan();
    } catch (error) {
      return refuse(job, `${isBadInputError(error) ? BAD_INPUT_MARK : ''}${errorMessage(error)}`);
    }
  };
  const processRequest = async (job: Job<MasterJobData, MasterAnswer>): Promise<MasterAnswer> => {
    if (job.name === SCHEDULE_JOB_NAME) {
      const firing = scheduleFiringSchema.safeParse(job.data);
      if (!firing.success) return refuse(job, `${BAD_INPUT_MARK}malformed schedule firing ${job.id}: ${describeJobIssues(firing.error)}`);
      const name = firing.data.schedule;
      const outcome = await planOrRefuse(job, () =>
        fireSchedule(
          {
            getSchedule: (n) => getSchedule(connection, prefix, n),
            lastRun: (n) => lastScheduleRun(connection, prefix, n),
            recordRun: (n, runId) => recordScheduleRun(connection, prefix, n, runId),
            hasWaitingHosts: async (runId) => (await pendingJobsOfRun(connection, options.partitionPrefixes ?? prefix, runId)).waiting.length > 0,
            plan: async (plan) => planner.plan(plan),
          },
          name,
          String(job.id),
        ),
      );
      events.fired?.(name, outcome);
      return outcome;
    }
    const parsed = runRequestSchema.safeParse(job.data);
    if (!parsed.success) return refuse(job, `${BAD_INPUT_MARK}malformed run request ${job.id}: ${describeJobIssues(parsed.error)}`);
    const { runId, hostCount, stateRevision } = await planOrRefuse(job, () => planner.plan(fromRunRequest(parsed.data)));
    const answer = { runId, hostCount, stateRevision };
    events.planned?.(parsed.data, answer);
    return answer;
  };
  return new Worker<MasterJobData, MasterAnswer>(RUN_REQUESTS_QUEUE, processRequest, {
    connection,
    prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    // A request outlives a few dying masters before it is given up.
    maxStalledCount: 3,
  });
}
