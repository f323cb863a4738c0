/**
 * How a run's host rows are spread over partitions (issue 20): `run_hosts` and
 * `run_hosts_by_status` hold one row per host of a run. A run of a million hosts would make one
 * partition of a million rows (≈ 150 MB), far past Cassandra's guideline of partitions under
 * 100 MB and 100,000 rows. So a large run's rows go to B partitions, (run_id, bucket), with a
 * host in bucket `hostBucket(hostname, B)`.
 *
 * B is chosen once per run from its host count, `runBucketCount`, and recorded on the run row
 * (`runs.bucket_count`); readers and writers take it from there, never from the rule again.
 */

/**
 * Hosts per bucket, at most: 50,000 rows of ≈ 150 bytes is ≈ 7.5 MB. Half the 100,000-row
 * guideline, and far enough under 100 MB that hosts with long causes (a few KB of error text
 * each) still fit. A page of a run's hosts reads every bucket, so B is kept as small as that allows.
 */
export const HOSTS_PER_RUN_BUCKET = 50_000;

/** B for a run of `hostCount` hosts: ⌈hostCount / 50,000⌉, at least 1 (1,000,000 hosts: 20). */
export function runBucketCount(hostCount: number, hostsPerBucket: number = HOSTS_PER_RUN_BUCKET): number {
  return Math.max(1, Math.ceil(hostCount / hostsPerBucket));
}

/** The largest B a run may record: 1,000 buckets of 50,000 hosts is 50 million hosts. */
export const MAX_RUN_BUCKETS = 1_000;

/**
 * A host's bucket among `buckets`: FNV-1a (32 bits) of the hostname's UTF-8 bytes, mod
 * `buckets`. Stable across processes, versions and platforms (no seed, no engine hash); it must
 * never change, since rows already written were placed with it.
 */
export function hostBucket(hostname: string, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`bucket count must be a positive integer, got ${buckets}`);
  if (buckets === 1) return 0;
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(hostname, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % buckets;
}
