import { z } from 'zod';
import { hostResultSchema, runModeSchema } from '@simplecm/domain';

/**
 * A host's result as handed to the results consumers: one per (run, host), appended to its
 * partition's result stream (result-stream.ts) by the worker that converged the host, parsed by
 * the results consumer. This file is its contract: payload schema and result id.
 */

/** The payload: a host's result plus what the consumer needs about its run. */
export const resultJobDataSchema = z.object({
  result: hostResultSchema,
  mode: runModeSchema,
  hostCount: z.number().int().min(1),
});
export type ResultJobData = z.infer<typeof resultJobDataSchema>;

/** The result id of a host in a run: what its seal is bound to (result-mac.ts); a second hand-off of it adds nothing. */
export function resultJobId(runId: string, hostname: string): string {
  return `result.${runId}.host.${hostname}`;
}
