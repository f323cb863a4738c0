import { z } from 'zod';
import { hostnameSchema } from './host';
import { operationStatusSchema, hostStatusSchema } from './outcome';
import { runIdSchema } from './run';

/**
 * Captured output is cut to this many bytes per stream (stdout and stderr each) on the host
 * itself, so a chatty module cannot flood Redis or Cassandra; `…Truncated` says it was cut.
 */
export const OUTPUT_LIMIT_BYTES = 64 * 1024;

export const operationResultSchema = z.object({
  seq: z.number().int().min(0),
  name: z.string(),
  module: z.string(),
  status: operationStatusSchema,
  /** Exit code of the module's script; null when it did not run (skipped, unreachable). */
  exitCode: z.number().int().nullable(),
  stdout: z.string(),
  stdoutTruncated: z.boolean(),
  stderr: z.string(),
  stderrTruncated: z.boolean(),
  /** What the module changed, or in check mode would change, one entry per change. */
  changes: z.array(z.string()),
  startedAt: z.number().int().nullable(),
  durationMs: z.number().int().min(0),
});
export type OperationResult = z.infer<typeof operationResultSchema>;

/** What a worker hands to the results consumer for one host of one run. */
export const hostResultSchema = z.object({
  runId: runIdSchema,
  hostname: hostnameSchema,
  status: hostStatusSchema,
  worker: z.string(),
  startedAt: z.number().int(),
  endedAt: z.number().int(),
  /** Why the host stopped early (e.g. `unreachable: connect ECONNREFUSED`), else null. */
  cause: z.string().nullable(),
  operations: z.array(operationResultSchema),
});
export type HostResult = z.infer<typeof hostResultSchema>;
