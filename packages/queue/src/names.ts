/** Host jobs: one per (run, host), consumed by workers. */
export const HOSTS_QUEUE = 'hosts';
/** Host results: one per (run, host), consumed by the results consumer. */
export const RESULTS_QUEUE = 'results';

/**
 * The job id of a host in a run. BullMQ ignores an add whose id already exists, so enqueuing
 * the same run again, from a retried or a second master, cannot create a second job.
 */
export function hostJobId(runId: string, hostname: string): string {
  return `run.${runId}.host.${hostname}`;
}

/** The results job of a host in a run: a worker that redelivers it adds nothing new. */
export function resultJobId(runId: string, hostname: string): string {
  return `result.${runId}.host.${hostname}`;
}
