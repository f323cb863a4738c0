import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { hostSchema, runIdSchema, runModeSchema } from '@simplecm/domain';
import { CAPPED_BACKOFF } from './backoff';
import { limitedOperationsSchema } from './host-job-limits';
import { sealedValuesSchema } from './sealed-values';

/**
 * The host job: one per (run, host) on the hosts queue, added by the master, parsed by the
 * worker. This file is its one contract: payload schema, job id and job options.
 */

/** Per-run options that travel with every host job. */
export const runOptionsSchema = z.object({
  mode: runModeSchema,
  /** Continue with a host's next operation after one fails (default: stop, the rest are skipped). */
  keepGoing: z.boolean(),
  /** Each operation is killed on the host after this many seconds. */
  operationTimeoutSeconds: z.number().int().min(1).max(86_400),
});
export type RunOptions = z.infer<typeof runOptionsSchema>;

/**
 * The payload of one host job: everything a worker needs, so workers never read Cassandra.
 * Carries a key *name* only; the key stays on the workers. It travels as a JSON string inside
 * the job, signed as those bytes (hostJobWireSchema, job-signature.ts).
 */
export const hostJobDataSchema = z.object({
  runId: runIdSchema,
  host: hostSchema,
  /** Within the caps of host-job-limits.ts (count, attribute value bytes); the whole job's bytes are checked apart (hostJobSizeProblem). */
  operations: limitedOperationsSchema,
  options: runOptionsSchema,
  /** Hosts in the run, so the results consumer knows when the run is complete. */
  hostCount: z.number().int().min(1),
  /** Epoch ms after which workers refuse the job (set when the master signs it). */
  expiresAt: z.number().int().optional(),
  /**
   * The sensitive attribute values, sealed to the workers' key (sealed-values.ts); in
   * `operations` each of them is ''. Absent when the job has none (and once a worker opened them).
   */
  sealed: sealedValuesSchema.optional(),
});
export type HostJobData = z.infer<typeof hostJobDataSchema>;

/**
 * The rest of a host job besides the host's own part (host and operations, which the master
 * checks per host with the `host` and `operations` fields above): run id, options and host
 * count, the same for every host of a run, checked once per run.
 */
export const hostJobRunSchema = hostJobDataSchema.omit({ host: true, operations: true, expiresAt: true, sealed: true });

/**
 * A host job as it sits in Redis: the payload (hostJobDataSchema) as the JSON string the master
 * signed, and the master's Ed25519 signature over the job id and that string. Workers check the
 * signature over the bytes as read and parse them once (host-job-reader.ts).
 */
export const hostJobWireSchema = z.object({
  payload: z.string(),
  /** Checked by the worker's verifier (jobSignatureSchema); a job without one is refused. */
  signature: z.unknown().optional(),
});
export type HostJobWire = z.infer<typeof hostJobWireSchema>;

/** Default lifetime of a signed host job: workers refuse it a day after it was enqueued. */
export const HOST_JOB_TTL_SECONDS = 24 * 3600;

/**
 * The job id of a host in a run. BullMQ ignores an add whose id already exists, so enqueuing
 * the same run again, from a retried or a second master, cannot create a second job.
 */
export function hostJobId(runId: string, hostname: string): string {
  return `run.${runId}.host.${hostname}`;
}

/** Attempts per host job by default: only connection failures are retried (a failed operation is a result). */
export const HOST_JOB_ATTEMPTS = 3;

/**
 * Job options of a host in a run: its id is run + host; `attempts` tries to reach the host,
 * retried with capped backoff from 2 s (workers cap it: their --retry-max-delay). Completed jobs
 * are kept a day (at most 100,000), failed ones a week.
 */
export function hostJobOptions(runId: string, hostname: string, attempts: number = HOST_JOB_ATTEMPTS): JobsOptions {
  return {
    jobId: hostJobId(runId, hostname),
    attempts,
    backoff: { type: CAPPED_BACKOFF, delay: 2_000 },
    removeOnComplete: { age: 24 * 3600, count: 100_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
