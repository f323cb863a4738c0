/**
 * Cuts results into write requests: at most `maxHosts` items and about `maxBytes` per request,
 * in order. An item larger than `maxBytes` on its own gets a request of its own (the store then
 * writes it as single-partition batches, which Cassandra does not size-check).
 *
 * Why both limits: Cassandra logs a warning for every multi-partition batch over
 * `batch_size_warn_threshold` and refuses one over `batch_size_fail_threshold` (50 KiB by
 * default), and warns (rate-limited) when an unlogged batch spans more than
 * `unlogged_batch_across_partitions_warn_threshold` partitions (a host is 2 of them: its
 * operation results and its history; the run's host rows add 2 per run).
 */
export function packBatches<T>(items: readonly T[], sizeOf: (item: T) => number, { maxHosts, maxBytes }: { maxHosts: number; maxBytes: number }): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (size > maxBytes) {
      batches.push([item]);
      continue;
    }
    if (current.length > 0 && (current.length >= maxHosts || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
