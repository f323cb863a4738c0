import { ConfigError } from './errors';
import { hashTag } from './hash-tag';

/**
 * Queue partitions (issue 20): an installation's host and result queues, host locks and run
 * progress split over K prefixes, each with a hash tag of its own, so that on a Redis Cluster
 * each partition is one slot and the K slots sit on different masters. K = 1 is the queue prefix
 * itself, exactly the layout from before partitions.
 */

/** Redis Cluster's hash slots. */
export const CLUSTER_SLOTS = 16_384;

/** The most partitions an installation may have (SIMPLECM_QUEUE_PARTITIONS). */
export const MAX_QUEUE_PARTITIONS = 64;

const utf8 = new TextEncoder();

/**
 * CRC-16/XMODEM (polynomial 0x1021, initial 0): the checksum Redis Cluster hashes keys with.
 * Not cluster-key-slot (ioredis' slot function): it parses tags differently from Redis for a
 * key with an empty tag before another one (`foo{}{bar}`: Redis 8363, it 4015), and keySlot must
 * answer what `CLUSTER KEYSLOT` answers.
 */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The hash slot of `key` as Redis Cluster computes it (`CLUSTER KEYSLOT`): its tag's, or the whole key's. */
export function keySlot(key: string): number {
  return crc16(utf8.encode(hashTag(key) ?? key)) % CLUSTER_SLOTS;
}

/**
 * Where partition `index` of `count` must land: the middle half of the index-th count-th of the
 * slots. A cluster whose slots are split evenly between `count` masters (as `redis-cli --cluster
 * create` splits them) has a different master for each such range whatever way its tool rounds
 * the ranges' ends, and a quarter of a range on either side is room for that.
 */
export function partitionSlotRange(index: number, count: number): { readonly low: number; readonly high: number } {
  const width = CLUSTER_SLOTS / count;
  return { low: Math.ceil(width * index + width / 4), high: Math.floor(width * (index + 1) - width / 4) };
}

function checkPartition(index: number, count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_QUEUE_PARTITIONS) throw new ConfigError(`queue partitions: ${count} is not a count of 1 to ${MAX_QUEUE_PARTITIONS}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new ConfigError(`queue partition ${index} is not one of 0 to ${count - 1}`);
}

/**
 * The prefix of partition `index` of `count` for queue prefix `prefix`. With one partition it is
 * `prefix` itself. Else the prefix's tag `t` (`{simplecm}` → `simplecm`; a prefix without a tag
 * is its own tag text) becomes `t-n`, n the smallest number from 0 whose slot lies in
 * partitionSlotRange(index, count): `{simplecm}` → `{simplecm-n}`, `simplecm` → `simplecm-n`.
 * Deterministic: every process of an installation computes the same prefixes.
 */
export function partitionPrefix(prefix: string, index: number, count: number): string {
  checkPartition(index, count);
  if (count === 1) return prefix;
  const tag = hashTag(prefix);
  const open = prefix.indexOf('{');
  const [head, text, tail] = tag === undefined ? ['', prefix, ''] : [prefix.slice(0, open + 1), tag, prefix.slice(open + 1 + tag.length)];
  const { low, high } = partitionSlotRange(index, count);
  for (let n = 0; ; n++) {
    const candidate = `${text}-${n}`;
    const slot = crc16(utf8.encode(candidate)) % CLUSTER_SLOTS;
    if (slot >= low && slot < high) return `${head}${candidate}${tail}`;
  }
}

/** Every partition's prefix, in partition order. */
export function partitionPrefixes(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => partitionPrefix(prefix, index, count));
}

/**
 * The partition of host `hostname` among `count`: CRC-16 of its name's UTF-8 bytes mod count.
 * Stable across processes, versions and platforms; a host's job, its lock, its result and
 * its place in a run's progress are all in this partition.
 */
export function hostPartition(hostname: string, count: number): number {
  checkPartition(0, count);
  return count === 1 ? 0 : crc16(utf8.encode(hostname)) % count;
}

/**
 * The partitions a worker or results consumer serves: `subset` (`--partitions 0,2`) sorted and
 * without repeats, each checked against `count`; all of them when `subset` is absent or empty.
 */
export function servedPartitions(count: number, subset?: readonly number[]): number[] {
  checkPartition(0, count);
  if (subset === undefined || subset.length === 0) return Array.from({ length: count }, (_, i) => i);
  for (const index of subset) {
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new ConfigError(`--partitions: ${index} is not a partition of this installation (SIMPLECM_QUEUE_PARTITIONS=${count}: 0 to ${count - 1})`);
    }
  }
  return [...new Set(subset)].sort((a, b) => a - b);
}
