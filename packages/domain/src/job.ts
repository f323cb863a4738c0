import { z } from 'zod';
import { hostSchema } from './host';
import { operationSchema } from './operation';
import { runModeSchema } from './outcome';
import { runIdSchema } from './run';

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
 * The payload of one host job on the hosts queue: everything a worker needs, so workers
 * never read Cassandra. Carries a key *name* only; the key stays on the workers.
 */
export const hostJobDataSchema = z.object({
  runId: runIdSchema,
  host: hostSchema,
  operations: z.array(operationSchema).max(10_000),
  options: runOptionsSchema,
  /** Hosts in the run, so the results consumer knows when the run is complete. */
  hostCount: z.number().int().min(1),
});
export type HostJobData = z.infer<typeof hostJobDataSchema>;
