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

/**
 * The hash tag Redis Cluster hashes `key` by: the text between the first `{` and the next `}`,
 * when not empty; undefined when the whole key is hashed. Every key SimpleCM and BullMQ write
 * starts with the queue prefix, so a prefix with a tag (`{simplecm}`) puts all of them, and so
 * every multi-key script (BullMQ's, the progress script's), in one slot of one shard.
 */
export function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}
