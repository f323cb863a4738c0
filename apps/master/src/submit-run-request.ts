import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { SimpleCmError } from '@simplecm/kernel';
import { RUN_REQUESTS_QUEUE, runRequestAnswerSchema, runRequestJobOptions, runRequestSchema, type RunRequest, type RunRequestAnswer } from '@simplecm/queue';
import type { RunPlan } from './run-planner';

/** A master refused or failed a run request; `badInput` when the request itself was wrong (exit 2). */
export class RunRequestRefusedError extends SimpleCmError<'run-request-refused'> {
  override readonly name = 'RunRequestRefusedError';
  readonly code = 'run-request-refused' as const;
  constructor(
    message: string,
    readonly badInput: boolean,
  ) {
    super(message);
  }
}

/** How a master marks the failure of a request that was bad input (see master-main.ts). */
export const BAD_INPUT_MARK = 'bad input: ';

/** The run request for `plan`, checked as the masters will check it. */
export function toRunRequest(plan: RunPlan, request: { requestId: string; source: string; now?: number }): RunRequest {
  return runRequestSchema.parse({
    requestId: request.requestId,
    target: plan.target,
    rerunFailed: plan.rerunFailed,
    runId: plan.runId,
    options: plan.options,
    selection: { tags: plan.selection.tags && [...plan.selection.tags], skipTags: plan.selection.skipTags && [...plan.selection.skipTags] },
    connectAttempts: plan.connectAttempts,
    source: request.source,
    submittedAt: request.now ?? Date.now(),
  });
}

/** The run as a plan again (what a master does with a request it took). */
export function fromRunRequest(request: RunRequest): RunPlan {
  return {
    target: request.target,
    rerunFailed: request.rerunFailed,
    runId: request.runId,
    // The request id is the run key: redelivered or resubmitted, a request joins the run it created.
    runKey: request.runId === undefined ? request.requestId : undefined,
    options: request.options,
    selection: request.selection,
    connectAttempts: request.connectAttempts,
  };
}

/**
 * Puts a run request on the run-requests queue and waits for a master's answer (the run id and
 * host count, once every host job is enqueued). The same request id submitted again while its
 * job is kept adds nothing and gets the same answer.
 */
export async function submitRunRequest(
  connections: { readonly redis: Redis; /** For QueueEvents' blocking XREAD (maxRetriesPerRequest null); the caller closes it. */ readonly blocking: Redis },
  prefix: string,
  plan: RunPlan,
  request: { requestId: string; source: string },
): Promise<RunRequestAnswer> {
  const { redis } = connections;
  const data = toRunRequest(plan, request);
  const queue = new Queue<RunRequest>(RUN_REQUESTS_QUEUE, { connection: redis, prefix });
  const events = new QueueEvents(RUN_REQUESTS_QUEUE, { connection: connections.blocking, prefix });
  try {
    await events.waitUntilReady();
    const job = await queue.add('run', data, runRequestJobOptions(data.requestId));
    try {
      return runRequestAnswerSchema.parse(await job.waitUntilFinished(events));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (reason.startsWith(BAD_INPUT_MARK)) throw new RunRequestRefusedError(reason.slice(BAD_INPUT_MARK.length), true);
      throw new RunRequestRefusedError(`the master failed request ${data.requestId}: ${reason}`, false);
    }
  } finally {
    await Promise.allSettled([events.close(), queue.close()]);
  }
}
