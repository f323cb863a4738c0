import { runRequestSchema, type RunRequest } from '@simplecm/queue';
import type { RunPlan } from './run-planner';

/** The run request for `plan`, checked as the masters will check it (submitted with @simplecm/queue's submitRunRequest). */
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
