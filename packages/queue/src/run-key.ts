import type { Redis } from 'ioredis';

/**
 * Run identity for `enqueue --run-key KEY`: the first enqueue with a key records the run id it
 * created under `<prefix>:run-key:<key>` (SET NX); every later or concurrent enqueue with the same
 * key gets that id back, so a retried or duplicated master joins the same run and (job ids being
 * run + host) adds no second job for any host. Kept RUN_KEY_TTL_SECONDS.
 */
export const RUN_KEY_TTL_SECONDS = 30 * 24 * 3600;

export function runKeyKey(prefix: string, key: string): string {
  return `${prefix}:run-key:${key}`;
}

// SET NX, else the id already there: one round trip, so two masters cannot both "win".
const CLAIM_SCRIPT = `
local set = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2])
if set then return {1, ARGV[1]} end
return {0, redis.call('GET', KEYS[1])}
`;

/** The run id for `key`: `candidate` when this call claimed the key, else the id recorded before. */
export async function claimRunKey(redis: Redis, prefix: string, key: string, candidate: string): Promise<{ runId: string; created: boolean }> {
  const [created, runId] = (await redis.eval(CLAIM_SCRIPT, 1, runKeyKey(prefix, key), candidate, String(RUN_KEY_TTL_SECONDS))) as [number, string];
  return { runId, created: created === 1 };
}
