import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { hostResultSchema, runModeSchema } from '@simplecm/domain';
import { CAPPED_BACKOFF } from './backoff';

/**
 * The result job: one per (run, host) on the results queue, added by the worker that converged
 * the host, parsed by the results consumer. This file is its one contract: payload schema, job
 * id and job options.
 */

/** The payload: a host's result plus what the consumer needs about its run. */
export const resultJobDataSchema = z.object({
  result: hostResultSchema,
  mode: runModeSchema,
  hostCount: z.number().int().min(1),
});
export type ResultJobData = z.infer<typeof resultJobDataSchema>;

/** The results job of a host in a run: a worker that redelivers it adds nothing new. */
export function resultJobId(runId: string, hostname: string): string {
  return `result.${runId}.host.${hostname}`;
}

/**
 * A result waits in Redis until it is written: retried with capped backoff (see backoff.ts) for
 * as long as the store is down — 1,000,000 attempts at the consumer's cap (5 s by default) is
 * about two months — and never dropped: a result that used them all stays in the failed set.
 */
export const RESULT_JOB_ATTEMPTS = 1_000_000;

/**
 * Job options of a host's result: its id is run + host, so a second hand-off adds nothing while
 * the job is queued. A written result's job is removed as it completes: its rows are in
 * Cassandra and its host in the run's done set (which is what tells a redelivered host job that
 * its result was handed off, see result-handed-off.ts), so keeping it would only hold the
 * host's output in Redis and cost each completion a sorted-set entry, a hash write and the
 * trimming of an older job (about seven commands once the kept count is reached).
 */
export function resultJobOptions(runId: string, hostname: string): JobsOptions {
  return {
    jobId: resultJobId(runId, hostname),
    attempts: RESULT_JOB_ATTEMPTS,
    backoff: { type: CAPPED_BACKOFF, delay: 500 },
    removeOnComplete: true,
    removeOnFail: false,
  };
}
