import { types } from 'cassandra-driver';

/**
 * The Murmur3 token ring (Cassandra's default partitioner, and the one cql/ and the compose file
 * run) cut into `parts` contiguous ranges `(start, end]` of about equal width. Together they hold
 * every token: Murmur3 never gives the minimum, -2^63, so `token > -2^63` misses nothing.
 */
export function tokenRanges(parts: number): Array<readonly [types.Long, types.Long]> {
  if (!Number.isInteger(parts) || parts < 1) throw new RangeError(`token ranges: parts must be a positive integer, got ${parts}`);
  const min = -(2n ** 63n);
  const max = 2n ** 63n - 1n;
  const bound = (i: number) => (i === parts ? max : min + ((max - min) * BigInt(i)) / BigInt(parts));
  return Array.from({ length: parts }, (_, i) => [types.Long.fromString(String(bound(i))), types.Long.fromString(String(bound(i + 1)))] as const);
}
