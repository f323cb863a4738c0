import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { groupNameSchema, hostnameSchema, runIdSchema } from '@simplecm/domain';
import { runOptionsSchema } from './host-job';

/**
 * The run request: what `simplecm run` (and later the scheduler) puts on the run-requests queue
 * for a resident master (`simplecm master`) to plan and enqueue. It carries no secret: the
 * masters hold the signing key and read the desired state themselves. This file is its one
 * contract: schema, job id, job options and the master's answer.
 */

/** A request id: also the run key the master claims, so a request resubmitted or redelivered joins one run. */
export const requestIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/, 'letters, digits and . _ : @ / - (at most 200)');

export const runTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }),
  z.object({ kind: z.literal('hosts'), hosts: z.array(hostnameSchema).min(1).max(100_000) }),
  z.object({ kind: z.literal('group'), group: groupNameSchema }),
  z.object({ kind: z.literal('pattern'), pattern: z.string().min(1).max(10_000) }),
]);

export const runRequestSchema = z.object({
  requestId: requestIdSchema,
  target: runTargetSchema,
  /** Only the hosts that failed or were unreachable in this run (then `target` is `all`). */
  rerunFailed: runIdSchema.optional(),
  /** Re-enqueue this existing run (after a crash); not with a request id chosen as a run key. */
  runId: runIdSchema.optional(),
  options: runOptionsSchema,
  selection: z.object({ tags: z.array(groupNameSchema).optional(), skipTags: z.array(groupNameSchema).optional() }).strict(),
  connectAttempts: z.number().int().min(1).max(20),
  /** Who asked: `cli`, `schedule:<name>`, … (shown in the master's log). */
  source: z.string().max(200),
  /** When the request was made (ms since the epoch). */
  submittedAt: z.number().int().nonnegative(),
}).strict();
export type RunRequest = z.infer<typeof runRequestSchema>;

/** What a master answers (the request job's return value). */
export const runRequestAnswerSchema = z.object({
  runId: runIdSchema,
  hostCount: z.number().int().nonnegative(),
  stateRevision: z.string().nullable(),
});
export type RunRequestAnswer = z.infer<typeof runRequestAnswerSchema>;

/**
 * The job id of a request: BullMQ adds no second job under an id it still holds, so a request
 * submitted twice is planned once while its job is kept (the run key covers the rest).
 */
export function runRequestJobId(requestId: string): string {
  // BullMQ refuses ':' in custom ids (they are part of its key names); '~' is never in a request id.
  return `request.${requestId.replace(/:/g, '~')}`;
}

/**
 * One attempt: a request that fails (bad target, empty target) is answered with the error; a
 * master that dies mid-plan leaves the job stalled, and BullMQ gives it to another master.
 */
export function runRequestJobOptions(requestId: string): JobsOptions {
  return {
    jobId: runRequestJobId(requestId),
    attempts: 1,
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}
