import type { JobsOptions } from 'bullmq';
import { CAPPED_BACKOFF } from './backoff';
import { resultJobId } from './names';

/**
 * A result waits in Redis until it is written: retried with capped backoff (see backoff.ts) for
 * as long as the store is down — 1,000,000 attempts at the consumer's cap (5 s by default) is
 * about two months — and never dropped: a result that used them all stays in the failed set.
 */
export const RESULT_JOB_ATTEMPTS = 1_000_000;

/** Job options of a host's result: its id is run + host, so a second hand-off adds nothing. */
export function resultJobOptions(runId: string, hostname: string): JobsOptions {
  return {
    jobId: resultJobId(runId, hostname),
    attempts: RESULT_JOB_ATTEMPTS,
    backoff: { type: CAPPED_BACKOFF, delay: 500 },
    removeOnComplete: 10_000,
    removeOnFail: false,
  };
}
