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

/**
 * True when every key `${prefix}:…` hashes by a tag inside the prefix: SimpleCM's keys add
 * nothing before the prefix, so the prefix must hold the tag itself.
 */
export function prefixHasHashTag(prefix: string): boolean {
  return hashTag(prefix) !== undefined;
}
